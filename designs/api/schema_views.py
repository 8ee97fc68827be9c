"""`/api/schema` (the OpenAPI document), `/api/docs` (Swagger UI), `/api/redoc` (ReDoc).

Public, like any API reference: no key needed to read them (the API itself still wants one).
Every asset is served from this server (drf-spectacular-sidecar's static files), so the pages
work offline. Swagger UI runs under the site-wide Content-Security-Policy (its start-up script
is a separate request: SpectacularSwaggerSplitView); ReDoc injects its styles at run time and
searches in a blob: worker, so its page alone allows inline styles and blob: workers.
"""

from __future__ import annotations

from csp.utils import build_policy
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response

import designs.api.schema  # noqa: F401 - registers the extensions and hooks
import designs.api.schema_audit_drf  # noqa: F401
import designs.api.schema_catalog_drf  # noqa: F401
import designs.api.schema_drf  # noqa: F401
import designs.api.schema_products_drf  # noqa: F401
import designs.api.schema_review_drf  # noqa: F401
import designs.api.schema_webhooks_drf  # noqa: F401

REDOC_POLICY = build_policy(update={"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})


class Public:
    """Reading the reference needs no key, and costs no request from anyone's rate limit."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []


class SchemaApi(Public, SpectacularAPIView):
    """JSON by default; YAML with ?format=yaml or Accept: application/yaml (or vnd.oai.openapi)."""

    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer2, OpenApiYamlRenderer]


class SwaggerDocs(Public, SpectacularSwaggerSplitView):
    url_name = "api-schema"
    template_name = "api_docs/swagger_ui.html"


class RedocDocs(Public, SpectacularRedocView):
    url_name = "api-schema"
    template_name = "api_docs/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args, **kwargs) -> Response:
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = REDOC_POLICY
        return response
