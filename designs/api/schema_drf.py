"""The DRF views' OpenAPI descriptions, one `OpenApiViewExtension` per view, matched by the
view's dotted name: the view modules stay free of schema annotations.

Each extension's `view_replacement` returns a subclass of the view with `extend_schema` on its
methods; drf-spectacular only reads it (the routed view is untouched).
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view

from designs.api.documents import DocumentListApi
from designs.api.schema import FLAG, PAGE, READ, WRITE, answers, errors, path_id, query
from designs.api.schema_components import STRING
from designs.serializers import (
    AssistantCloneSerializer,
    AssistantFilterSerializer,
    AssistantInputSerializer,
    ThreadInputSerializer,
)

PROVIDER = OpenApiParameter("provider", type=str, location=OpenApiParameter.PATH, description="A provider's name.")
CREDENTIAL_BODY = {
    "type": "object",
    "properties": {
        "api_key": {"type": "string", "description": "The provider's key; it never comes back out."},
        "base_url": {"type": ["string", "null"], "maxLength": 500, "description": "When the server allows it."},
    },
    "required": ["api_key"],
}
UPLOAD_BODY = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary", "description": "One image."}},
        "required": ["file"],
    }
}
MODEL_NAME = OpenApiParameter(
    "model_name", type={"type": "string", "minLength": 1}, location=OpenApiParameter.PATH,
    description="A model's name, or provider/name (it may contain '/').",
)  # fmt: skip


def described(target: str, tag: str, *, shared: bool = False, **methods: dict[str, Any]) -> type[OpenApiViewExtension]:
    """An extension for the view named `target`: `methods` maps get/post/put/delete to the
    keyword arguments of `extend_schema`. A view routed at several paths is `shared`: its
    operation ids come from the path (EaselAutoSchema), one per path."""

    def view_replacement(self: OpenApiViewExtension) -> type:
        class Described(self.target_class):
            pass

        Described.__name__ = self.target_class.__name__
        base = re.sub(
            r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", self.target_class.__name__.removesuffix("Api")
        )
        ids = {name: {} if shared else {"operation_id": f"{base.lower()}_{name}"} for name in methods}
        decorators = {name: extend_schema(tags=[tag], **ids[name], **kwargs) for name, kwargs in methods.items()}
        return extend_schema_view(**decorators)(Described)

    name = target.rsplit(".", 1)[-1] + "Schema"
    return type(name, (OpenApiViewExtension,), {"target_class": target, "view_replacement": view_replacement})


ASSISTANT_ID, THREAD_ID, DOCUMENT_ID = path_id("assistant_id"), path_id("thread_id"), path_id("document_id")

EXTENSIONS = [
    described(
        "designs.api.threads.AssistantListApi",
        "assistants",
        get={
            "summary": "List assistants",
            "parameters": [*PAGE, AssistantFilterSerializer],
            "responses": {200: {"type": "array", "items": {"$ref": "#/components/schemas/Assistant"}}, **errors(*READ)},
        },
        post={
            "summary": "Create an assistant",
            "request": AssistantInputSerializer,
            "examples": [
                OpenApiExample(
                    "A poster designer",
                    value={"name": "Poster studio", "system_prompt": "You design bold, simple posters."},
                    request_only=True,
                )
            ],
            "responses": answers(200, "Assistant", "The new assistant.", *WRITE),
        },
    ),
    described(
        "designs.api.threads.AssistantDetailApi",
        "assistants",
        get={
            "summary": "An assistant",
            "parameters": [ASSISTANT_ID],
            "responses": answers(200, "Assistant", "", *READ),
        },
        put={
            "summary": "Update an assistant (the fields sent)",
            "parameters": [ASSISTANT_ID],
            "request": AssistantInputSerializer(partial=True),
            "responses": answers(200, "Assistant", "The assistant as updated.", *WRITE),
        },
        delete={
            "summary": "Delete an assistant, its threads and documents",
            "parameters": [ASSISTANT_ID],
            "responses": answers(200, "AssistantDeleted", "Deleted.", *READ),
        },
    ),
    described(
        "designs.api.threads.AssistantThreadsApi",
        "assistants",
        get={
            "summary": "The assistant's threads, newest first",
            "parameters": [ASSISTANT_ID, *PAGE],
            "responses": {200: {"type": "array", "items": {"$ref": "#/components/schemas/Thread"}}, **errors(*READ)},
        },
        post={
            "summary": "Start a thread with this assistant",
            "parameters": [ASSISTANT_ID],
            "request": ThreadInputSerializer,
            "responses": answers(200, "Thread", "The new thread.", *WRITE),
        },
    ),
    described(
        "designs.api.threads.ThreadListApi",
        "threads",
        get={
            "summary": "List threads, newest first",
            "parameters": [*PAGE, query("include_messages", FLAG, "Include each thread's messages.")],
            "responses": {200: {"type": "array", "items": {"$ref": "#/components/schemas/Thread"}}, **errors(*READ)},
        },
    ),
    described(
        "designs.api.threads.ThreadDetailApi",
        "threads",
        get={
            "summary": "A thread and its messages",
            "parameters": [THREAD_ID],
            "responses": answers(200, "Thread", "", *READ),
        },
        delete={
            "summary": "Delete a thread",
            "parameters": [THREAD_ID],
            "responses": answers(200, "ThreadDeleted", "Deleted.", *READ),
        },
    ),
    described(
        "designs.api.threads.AssistantCloneApi",
        "assistants",
        post={
            "summary": "Clone an assistant (and its documents)",
            "parameters": [ASSISTANT_ID],
            "request": AssistantCloneSerializer,
            "responses": answers(200, "AssistantClone", "The clone.", *WRITE),
        },
    ),
    described(
        "designs.api.documents.ThreadDocumentsApi",
        "documents",
        get={
            "summary": "The thread's documents",
            "parameters": [THREAD_ID],
            "responses": {200: {"type": "array", "items": {"$ref": "#/components/schemas/Document"}}, **errors(*READ)},
        },
        post={
            "summary": "Upload an image to the thread",
            "parameters": [THREAD_ID],
            "request": UPLOAD_BODY,
            "responses": answers(200, "Document", "The stored image.", *WRITE),
        },
    ),
    described(
        "designs.api.documents.AssistantDocumentsApi",
        "documents",
        get={
            "summary": "The assistant's documents",
            "parameters": [ASSISTANT_ID],
            "responses": {200: {"type": "array", "items": {"$ref": "#/components/schemas/Document"}}, **errors(*READ)},
        },
        post={
            "summary": "Upload an image to the assistant",
            "parameters": [ASSISTANT_ID],
            "request": UPLOAD_BODY,
            "responses": answers(200, "Document", "The stored image.", *WRITE),
        },
    ),
    described(
        "designs.api.documents.DocumentListApi",
        "documents",
        get={
            "summary": "The project's documents, newest first",
            "parameters": [*PAGE, DocumentListApi.FilterSerializer],
            "responses": answers(200, "DocumentList", "", *READ),
        },
    ),
    described(
        "designs.api.documents.DocumentDetailApi",
        "documents",
        get={"summary": "A document", "parameters": [DOCUMENT_ID], "responses": answers(200, "Document", "", *READ)},
        delete={
            "summary": "Delete a document (its URLs stop working at once)",
            "parameters": [DOCUMENT_ID],
            "responses": answers(200, "DocumentDeleted", "Deleted.", *READ),
        },
    ),
    described(
        "designs.api.documents.DocumentStatusApi",
        "documents",
        get={
            "summary": "A document's status",
            "parameters": [DOCUMENT_ID],
            "responses": answers(200, "Document", "", *READ),
        },
    ),
    described(
        "designs.api.documents.DocumentLineageApi",
        "documents",
        get={
            "summary": "A document's ancestors and descendants",
            "parameters": [DOCUMENT_ID],
            "responses": answers(200, "Lineage", "", *READ),
        },
    ),
    described(
        "designs.api.runs.RunCancelApi",
        "runs",
        post={
            "summary": "Cancel a run",
            "parameters": [THREAD_ID, path_id("run_id")],
            "request": None,
            "responses": answers(200, "RunCancelled", "Cancelled (or already over).", *WRITE),
        },
    ),
    described(
        "designs.api.catalog.ImageModelListApi",
        "models",
        get={
            "summary": "The image models",
            "parameters": [
                *PAGE,
                query("provider", STRING, "Only this provider's."),
                query("supports_vision", FLAG, ""),
            ],
            "responses": answers(200, "ImageModelList", "", *READ),
        },
    ),
    described(
        "designs.api.catalog.ImageProviderListApi",
        "models",
        get={"summary": "The image providers", "responses": answers(200, "ImageProviderList", "", *READ)},
    ),
    described(
        "designs.api.catalog.ImageModelDetailApi",
        "models",
        get={
            "summary": "An image model",
            "parameters": [MODEL_NAME],
            "responses": answers(200, "ImageModel", "", *READ),
        },
    ),
    described(
        "designs.api.catalog.LLMListApi",
        "models",
        get={
            "summary": "The LLMs Easel can use",
            "parameters": [query("provider", STRING, "Only this provider's.")],
            "responses": answers(200, "LLMList", "", *READ),
        },
    ),
    described(
        "designs.api.providers.ProviderListApi",
        "providers",
        get={"summary": "Providers, and who holds a key", "responses": answers(200, "ProviderList", "", *READ)},
    ),
    described(
        "designs.api.providers.ProviderCredentialApi",
        "providers",
        get={
            "summary": "The project's key for a provider",
            "parameters": [PROVIDER],
            "responses": answers(200, "Credential", "", *READ),
        },
        put={
            "summary": "Store or replace the project's key",
            "parameters": [PROVIDER],
            "request": {"application/json": CREDENTIAL_BODY, "application/x-www-form-urlencoded": CREDENTIAL_BODY},
            "responses": answers(200, "Credential", "Stored.", *WRITE),
        },
        delete={
            "summary": "Forget the project's key",
            "parameters": [PROVIDER],
            "responses": {204: None, **errors(*READ)},
        },
    ),
    described(
        "designs.api.usage.UsageApi",
        "usage",
        get={
            "summary": "The project's usage per UTC day",
            "parameters": [
                query("from", {"type": "string", "format": "date"}, "First day (default: 29 days before `to`)."),
                query("to", {"type": "string", "format": "date"}, "Last day (default: today). At most 366 days."),
            ],
            "responses": answers(200, "Usage", "", *READ),
        },
    ),
]
