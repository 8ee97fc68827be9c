"""The API under /api. No trailing slashes: the Backboard SDK never sends them."""

from __future__ import annotations

from django.urls import path, re_path

from designs.api import (
    audit,
    catalog,
    customizations,
    documents,
    providers,
    review,
    runs,
    templates,
    threads,
    unsupported,
    usage,
)
from designs.api.feed import feed_events
from designs.api.messages import thread_messages
from designs.api.revise import document_revise
from designs.api.tool_outputs import run_submit_tool_outputs, thread_tool_outputs

urlpatterns = [
    path("events", feed_events),
    path("threads/messages", thread_messages),
    path("threads/tool-outputs", thread_tool_outputs),
    path("threads", threads.ThreadListApi.as_view()),
    path("threads/<uuid:thread_id>", threads.ThreadDetailApi.as_view()),
    path("threads/<uuid:thread_id>/messages", thread_messages),
    path("threads/<uuid:thread_id>/documents", documents.ThreadDocumentsApi.as_view()),
    path("threads/<uuid:thread_id>/runs/<uuid:run_id>/events", runs.run_events),
    path("threads/<uuid:thread_id>/runs/<uuid:run_id>/cancel", runs.RunCancelApi.as_view()),
    path("threads/<uuid:thread_id>/runs/<uuid:run_id>/submit-tool-outputs", run_submit_tool_outputs),
    path("assistants", threads.AssistantListApi.as_view()),
    path("assistants/<uuid:assistant_id>", threads.AssistantDetailApi.as_view()),
    path("assistants/<uuid:assistant_id>/threads", threads.AssistantThreadsApi.as_view()),
    path("assistants/<uuid:assistant_id>/documents", documents.AssistantDocumentsApi.as_view()),
    path("assistants/<uuid:assistant_id>/clone", threads.AssistantCloneApi.as_view()),
    # Memory is refused for any id, well-formed or not: no <uuid:> here, so never a 404.
    path("assistants/memories/operations/<str:operation_id>", unsupported.MemoryReadApi.as_view()),
    path("assistants/<str:assistant_id>/memories", unsupported.MemoryListApi.as_view()),
    path("assistants/<str:assistant_id>/memories/stats", unsupported.MemoryReadApi.as_view()),
    path("assistants/<str:assistant_id>/memories/insights", unsupported.MemoryReadApi.as_view()),
    path("assistants/<str:assistant_id>/memories/search", unsupported.MemorySearchApi.as_view()),
    path("assistants/<str:assistant_id>/memories/<str:memory_id>", unsupported.MemoryDetailApi.as_view()),
    path("documents", documents.DocumentListApi.as_view()),
    path("documents/<uuid:document_id>", documents.DocumentDetailApi.as_view()),
    path("documents/<uuid:document_id>/status", documents.DocumentStatusApi.as_view()),
    path("documents/<uuid:document_id>/lineage", documents.DocumentLineageApi.as_view()),
    path("documents/<uuid:document_id>/review", review.DocumentReviewApi.as_view()),
    path("documents/<uuid:document_id>/comments", review.DocumentCommentsApi.as_view()),
    path("documents/<uuid:document_id>/revise", document_revise),
    path("comments/<uuid:comment_id>/resolve", review.CommentResolveApi.as_view()),
    path("review/policy", review.ReviewPolicyApi.as_view()),
    path("reviews", review.ReviewListApi.as_view()),
    path("reviews/bulk", review.ReviewBulkApi.as_view()),
    path("documents/<uuid:document_id>/content", documents.DocumentContentApi.as_view()),
    path("media/<uuid:document_id>.thumb.webp", documents.media_thumbnail),
    path("media/<uuid:document_id>.<str:ext>", documents.media_file),
    path("models/image/all", catalog.ImageModelListApi.as_view()),
    path("models/image/providers", catalog.ImageProviderListApi.as_view()),
    re_path(r"^models/image/(?P<model_name>.+)$", catalog.ImageModelDetailApi.as_view()),
    path("models/llm", catalog.LLMListApi.as_view()),
    path("models/embedding/all", unsupported.EmbeddingModelsApi.as_view()),
    path("models/embedding/providers", unsupported.EmbeddingModelsApi.as_view()),
    re_path(r"^models/embedding/(?P<model_name>.+)$", unsupported.EmbeddingModelsApi.as_view()),
    path("models/video/all", unsupported.VideoModelsApi.as_view()),
    re_path(r"^models/video/(?P<model_name>.+)$", unsupported.VideoModelsApi.as_view()),
    path("models", catalog.ModelListApi.as_view()),
    path("models/providers", catalog.ModelProviderListApi.as_view()),
    path("models/provider/<str:provider>", catalog.ProviderModelListApi.as_view()),
    # Last of the models/ routes: a name may hold "/", so this would swallow the ones above.
    re_path(r"^models/(?P<model_name>.+)$", catalog.ModelDetailApi.as_view()),
    path("providers", providers.ProviderListApi.as_view()),
    path("providers/<str:provider>/credentials", providers.ProviderCredentialApi.as_view()),
    path("usage", usage.UsageApi.as_view()),
    path("audit", audit.AuditApi.as_view()),
    path("templates", templates.TemplateListApi.as_view()),
    path("templates/<uuid:template_id>", templates.TemplateDetailApi.as_view()),
    path("templates/<uuid:template_id>/versions", templates.TemplateVersionsApi.as_view()),
    path("customizations", customizations.customizations_root),
    path("customizations/<uuid:customization_id>", customizations.CustomizationDetailApi.as_view()),
    path("customizations/<uuid:customization_id>/events", customizations.customization_events),
    path("customizations/<uuid:customization_id>/refine", customizations.customization_refine),
    path("customizations/<uuid:customization_id>/select", customizations.CustomizationSelectApi.as_view()),
    path("customizations/<uuid:customization_id>/export", customizations.CustomizationExportApi.as_view()),
]
