"""Assistants and threads (Backboard §5.1–5.2)."""

from __future__ import annotations

from django.db.models import Prefetch
from rest_framework.request import Request
from rest_framework.response import Response

from designs.api.base import ProjectApiView, ok, query_bool
from designs.models import Assistant, Document, Message, Thread
from designs.payloads import assistant_payload, thread_payload
from designs.serializers import (
    AssistantCloneSerializer,
    AssistantFilterSerializer,
    AssistantInputSerializer,
    ThreadInputSerializer,
)
from designs.services import threads as services
from designs.services.assistants import assistant_clone


def _messages(thread: Thread) -> list[Message]:
    return list(
        thread.messages.order_by("seq").prefetch_related(
            Prefetch("documents", queryset=Document.objects.order_by("output_index")), "inputs__document"
        )
    )


class AssistantListApi(ProjectApiView):
    def get(self, request: Request) -> Response:
        skip, limit = self.page()
        queryset = Assistant.objects.filter(project=self.project).order_by("created_at")
        filters = AssistantFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)  # a NUL in `name` would be a database error
        if name := filters.validated_data.get("name"):
            queryset = queryset.filter(name=name)
        return Response([assistant_payload(a) for a in queryset[skip : skip + limit]])

    def post(self, request: Request) -> Response:
        serializer = AssistantInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assistant = services.assistant_create(project=self.project, data=dict(serializer.validated_data))
        return Response(assistant_payload(assistant))


class AssistantDetailApi(ProjectApiView):
    def get(self, request: Request, assistant_id: str) -> Response:
        return Response(assistant_payload(services.assistant_get(project=self.project, assistant_id=assistant_id)))

    def put(self, request: Request, assistant_id: str) -> Response:
        assistant = services.assistant_get(project=self.project, assistant_id=assistant_id)
        serializer = AssistantInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(
            assistant_payload(services.assistant_update(assistant=assistant, data=dict(serializer.validated_data)))
        )

    def delete(self, request: Request, assistant_id: str) -> Response:
        assistant = services.assistant_get(project=self.project, assistant_id=assistant_id)
        services.assistant_delete(assistant=assistant)
        return Response(ok("Assistant deleted successfully", assistant_id=str(assistant_id)))


class AssistantCloneApi(ProjectApiView):
    def post(self, request: Request, assistant_id: str) -> Response:
        serializer = AssistantCloneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        clone = assistant_clone(
            project=self.project,
            assistant_id=assistant_id,
            name=data.get("name"),
            system_prompt=data.get("system_prompt"),
            copy_documents=data["copy_documents"],
        )
        return Response(
            {
                "assistant": assistant_payload(clone.assistant),
                "documents_cloned": clone.documents_cloned,
                "memories_cloned": clone.memories_cloned,
            }
        )


class AssistantThreadsApi(ProjectApiView):
    def get(self, request: Request, assistant_id: str) -> Response:
        assistant = services.assistant_get(project=self.project, assistant_id=assistant_id)
        skip, limit = self.page()
        threads = Thread.objects.filter(project=self.project, assistant=assistant).order_by("-created_at")
        return Response(
            [thread_payload(t, messages=None, base_url=self.base_url()) for t in threads[skip : skip + limit]]
        )

    def post(self, request: Request, assistant_id: str) -> Response:
        assistant = services.assistant_get(project=self.project, assistant_id=assistant_id)
        serializer = ThreadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        metadata = serializer.validated_data.get("metadata")
        thread = services.thread_create(project=self.project, assistant=assistant, metadata=metadata)
        return Response(thread_payload(thread, messages=[], base_url=self.base_url()))


class ThreadListApi(ProjectApiView):
    def get(self, request: Request) -> Response:
        skip, limit = self.page()
        include = query_bool(request, "include_messages")
        threads = list(Thread.objects.filter(project=self.project).order_by("-created_at")[skip : skip + limit])
        base = self.base_url()
        return Response([thread_payload(t, messages=_messages(t) if include else None, base_url=base) for t in threads])


class ThreadDetailApi(ProjectApiView):
    def get(self, request: Request, thread_id: str) -> Response:
        thread = services.thread_get(project=self.project, thread_id=thread_id)
        return Response(thread_payload(thread, messages=_messages(thread), base_url=self.base_url()))

    def delete(self, request: Request, thread_id: str) -> Response:
        thread = services.thread_get(project=self.project, thread_id=thread_id)
        services.thread_delete(thread=thread)
        return Response(ok("Thread deleted successfully", thread_id=str(thread_id)))
