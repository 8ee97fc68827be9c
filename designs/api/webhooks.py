"""`/api/webhooks`: a project's endpoints, their secrets (shown once), pings, the delivery log
and redelivery. Owners and admins only, by role or by the key's role."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from designs.api.base import ProjectApiView, caller_role
from designs.parsers import BoundedJSONParser
from designs.services import webhooks
from designs.webhook_payloads import delivery_payload, endpoint_payload


class WebhookApiView(ProjectApiView):
    parser_classes = [BoundedJSONParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        webhooks.require_manager(caller_role(request.user))


class WebhookListApi(WebhookApiView):
    def get(self, request: Request) -> Response:
        endpoints = webhooks.endpoints_of(self.project)
        return Response({"webhooks": [endpoint_payload(e) for e in endpoints], "total": len(endpoints)})

    def post(self, request: Request) -> Response:
        endpoint = webhooks.endpoint_create(self.project, request.data)
        return Response(endpoint_payload(endpoint, secret=True), status=201)


class WebhookDetailApi(WebhookApiView):
    def get(self, request: Request, webhook_id: str) -> Response:
        return Response(endpoint_payload(webhooks.endpoint_get(self.project, webhook_id)))

    def patch(self, request: Request, webhook_id: str) -> Response:
        endpoint = webhooks.endpoint_get(self.project, webhook_id)
        return Response(endpoint_payload(webhooks.endpoint_update(endpoint, request.data)))

    def delete(self, request: Request, webhook_id: str) -> Response:
        webhooks.endpoint_delete(webhooks.endpoint_get(self.project, webhook_id))
        return Response({"message": "Webhook deleted", "webhook_id": str(webhook_id)})


class WebhookRotateApi(WebhookApiView):
    def post(self, request: Request, webhook_id: str) -> Response:
        endpoint = webhooks.endpoint_rotate(webhooks.endpoint_get(self.project, webhook_id))
        return Response(endpoint_payload(endpoint, secret=True))


class WebhookPingApi(WebhookApiView):
    def post(self, request: Request, webhook_id: str) -> Response:
        delivery = webhooks.endpoint_ping(webhooks.endpoint_get(self.project, webhook_id))
        return Response(delivery_payload(delivery), status=202)


class WebhookDeliveriesApi(WebhookApiView):
    def get(self, request: Request, webhook_id: str) -> Response:
        endpoint = webhooks.endpoint_get(self.project, webhook_id)
        skip, limit = self.page()
        rows = webhooks.deliveries_of(endpoint, skip=skip, limit=limit, status=request.query_params.get("status"))
        return Response({"deliveries": [delivery_payload(d) for d in rows], "skip": skip, "limit": limit})


class WebhookRedeliverApi(WebhookApiView):
    def post(self, request: Request, webhook_id: str, delivery_id: str) -> Response:
        endpoint = webhooks.endpoint_get(self.project, webhook_id)
        delivery = webhooks.redeliver(endpoint, delivery_id)
        return Response(delivery_payload(delivery), status=202)
