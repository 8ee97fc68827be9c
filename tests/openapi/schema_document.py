"""The OpenAPI document as the server builds it, in-process (what GET /api/schema serves)."""

from __future__ import annotations

import json
from functools import cache


@cache
def openapi_document() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))
