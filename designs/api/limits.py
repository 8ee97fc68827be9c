"""`GET|PUT /api/limits`: a project's image budgets (images per day, spend per month) and each
API key's images per day, with what each window holds now. Any member reads; owners and admins
change them."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from designs.api.base import ProjectApiView, caller_role
from designs.exceptions import Forbidden
from designs.parsers import BoundedJSONParser
from designs.services.budgets import limits_payload, limits_update
from designs.services.webhooks import MANAGERS


class LimitsApi(ProjectApiView):
    parser_classes = [BoundedJSONParser]

    def get(self, request: Request) -> Response:
        return Response(limits_payload(self.project))

    def put(self, request: Request) -> Response:
        if caller_role(request.user) not in MANAGERS:
            raise Forbidden("Only owners and admins change the project's limits")
        return Response(limits_update(self.project, request.data))
