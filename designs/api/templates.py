"""Product templates over the API (project-scoped).

    GET|POST        /api/templates                      list (?include_archived=true) | create (JSON, or
                                                        multipart with the product photo as `base`)
    GET|PUT|DELETE  /api/templates/{id}                 one (?version=N) | a new version | archive
    GET             /api/templates/{id}/versions        every version, oldest first

Thin: parse, call designs.services.templates, shape with designs.product_payloads.
"""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from designs.api.base import ProjectApiView, query_bool
from designs.exceptions import Invalid
from designs.models import Template, TemplateVersion
from designs.parsers import BoundedJSONParser
from designs.product_payloads import template_payload
from designs.services import templates as services


def _body(request: Request) -> tuple[dict[str, Any], Any]:
    """The fields (one value each) and the `base` upload, from JSON or a form."""
    files = request.FILES
    if set(files) - {"base"} or len(files.getlist("base")) > 1:
        raise Invalid("The only file a template takes is one product photo, in a part named 'base'")
    data = request.data
    if hasattr(data, "getlist"):  # a form: its last value per field, without the file
        data = {key: data.getlist(key)[-1] for key in data if key != "base"}
    return data, files.get("base")


class TemplateListApi(ProjectApiView):
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    def get(self, request: Request) -> Response:
        skip, limit = self.page()
        templates = Template.objects.filter(project=self.project).order_by("-created_at")
        if not query_bool(request, "include_archived"):
            templates = templates.filter(archived_at__isnull=True)
        page = list(templates[skip : skip + limit])
        current = {
            v.template_id: v
            for v in TemplateVersion.objects.filter(template__in=page)
            .select_related("base_document", "template")
            .order_by("version")
        }
        return Response([template_payload(current[t.id], self.base_url()) for t in page if t.id in current])

    def post(self, request: Request) -> Response:
        data, upload = _body(request)
        version = services.template_create(self.project, data, base_upload=upload)
        return Response(template_payload(version, self.base_url()), status=201)


class TemplateDetailApi(ProjectApiView):
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    def get(self, request: Request, template_id: uuid.UUID) -> Response:
        template = services.template_get(self.project, template_id)
        version = services.template_version(template, request.query_params.get("version"))
        return Response(template_payload(version, self.base_url()))

    def put(self, request: Request, template_id: uuid.UUID) -> Response:
        template = services.template_get(self.project, template_id)
        data, upload = _body(request)
        version = services.template_update(template, data, base_upload=upload)
        return Response(template_payload(version, self.base_url()))

    def delete(self, request: Request, template_id: uuid.UUID) -> Response:
        template = services.template_archive(services.template_get(self.project, template_id))
        version = services.template_version(template)
        return Response(template_payload(version, self.base_url()))


class TemplateVersionsApi(ProjectApiView):
    def get(self, request: Request, template_id: uuid.UUID) -> Response:
        template = services.template_get(self.project, template_id)
        versions = TemplateVersion.objects.filter(template=template).select_related("base_document", "template")
        numbers = [v.version for v in versions.order_by("version")]
        return Response([template_payload(v, self.base_url(), versions=numbers) for v in versions.order_by("version")])
