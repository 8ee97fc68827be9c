"""The API under /api. No trailing slashes: the Backboard SDK never sends them."""

from __future__ import annotations

from django.urls import path, re_path

from designs.api import catalog, documents, providers, runs, threads, usage
from designs.api.messages import thread_messages

urlpatterns = [
    path("threads/messages", thread_messages),
    path("threads", threads.ThreadListApi.as_view()),
    path("threads/<uuid:thread_id>", threads.ThreadDetailApi.as_view()),
    path("threads/<uuid:thread_id>/messages", thread_messages),
    path("threads/<uuid:thread_id>/documents", documents.ThreadDocumentsApi.as_view()),
    path("threads/<uuid:thread_id>/runs/<uuid:run_id>/events", runs.run_events),
    path("threads/<uuid:thread_id>/runs/<uuid:run_id>/cancel", runs.RunCancelApi.as_view()),
    path("assistants", threads.AssistantListApi.as_view()),
    path("assistants/<uuid:assistant_id>", threads.AssistantDetailApi.as_view()),
    path("assistants/<uuid:assistant_id>/threads", threads.AssistantThreadsApi.as_view()),
    path("assistants/<uuid:assistant_id>/documents", documents.AssistantDocumentsApi.as_view()),
    path("documents", documents.DocumentListApi.as_view()),
    path("documents/<uuid:document_id>", documents.DocumentDetailApi.as_view()),
    path("documents/<uuid:document_id>/status", documents.DocumentStatusApi.as_view()),
    path("documents/<uuid:document_id>/lineage", documents.DocumentLineageApi.as_view()),
    path("media/<uuid:document_id>.thumb.webp", documents.media_thumbnail),
    path("media/<uuid:document_id>.<str:ext>", documents.media_file),
    path("models/image/all", catalog.ImageModelListApi.as_view()),
    path("models/image/providers", catalog.ImageProviderListApi.as_view()),
    re_path(r"^models/image/(?P<model_name>.+)$", catalog.ImageModelDetailApi.as_view()),
    path("models/llm", catalog.LLMListApi.as_view()),
    path("providers", providers.ProviderListApi.as_view()),
    path("providers/<str:provider>/credentials", providers.ProviderCredentialApi.as_view()),
    path("usage", usage.UsageApi.as_view()),
]
