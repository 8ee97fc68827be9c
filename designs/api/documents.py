"""Documents (images) of a project, its threads and assistants (Backboard §5.3), their lineage,
and the signed media URLs that serve their bytes."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import http_date
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from designs import media
from designs.api.base import JsonWhateverAsked, ProjectApiView, ok
from designs.api.delivery import content_refusal, signed_media_refusal
from designs.errors import error_response
from designs.exceptions import Invalid, NotFound
from designs.models import Assistant, Document, DocumentParent, Project, Thread
from designs.payloads import document_payload, lineage_payload
from designs.serializers import DateTimeInRangeField
from designs.services.documents import document_create, document_delete, document_lineage, documents_for_project
from designs.services.images import read_upload
from designs.services.threads import assistant_get, thread_get


def _document_get(project: Project, document_id: uuid.UUID) -> Document:
    document = Document.objects.filter(project=project, id=document_id).first()
    if document is None:
        raise NotFound("Document not found")
    return document


def _with_links(queryset: QuerySet[Document]) -> QuerySet[Document]:
    return queryset.prefetch_related(Prefetch("parent_links", queryset=DocumentParent.objects.order_by("position")))


def _upload(
    view: ProjectApiView, request: Request, *, thread: Thread | None = None, assistant: Assistant | None = None
) -> Response:
    files = request.FILES.getlist("file")
    if len(files) != 1 or set(request.FILES) != {"file"}:
        raise Invalid("Send exactly one file, in a multipart part named 'file'")
    image = read_upload(files[0], field="file")
    document = document_create(
        project=view.project,
        data=image.data,
        facts=image.facts,
        thread=thread,
        assistant=assistant,
        operation=Document.Operation.UPLOAD,
        original_filename=files[0].name,
        metadata=image.provenance(),
    )
    return Response(document_payload(document, view.base_url()))


class ThreadDocumentsApi(ProjectApiView):
    parser_classes = [MultiPartParser]

    def get(self, request: Request, thread_id: uuid.UUID) -> Response:
        thread = thread_get(project=self.project, thread_id=thread_id)
        documents = _with_links(Document.objects.filter(project=self.project, thread=thread).order_by("created_at"))
        return Response([document_payload(d, self.base_url()) for d in documents])

    def post(self, request: Request, thread_id: uuid.UUID) -> Response:
        return _upload(self, request, thread=thread_get(project=self.project, thread_id=thread_id))


class AssistantDocumentsApi(ProjectApiView):
    parser_classes = [MultiPartParser]

    def get(self, request: Request, assistant_id: uuid.UUID) -> Response:
        assistant = assistant_get(project=self.project, assistant_id=assistant_id)
        documents = Document.objects.filter(project=self.project, assistant=assistant).order_by("created_at")
        documents = _with_links(documents)
        return Response([document_payload(d, self.base_url()) for d in documents])

    def post(self, request: Request, assistant_id: uuid.UUID) -> Response:
        return _upload(self, request, assistant=assistant_get(project=self.project, assistant_id=assistant_id))


class DocumentListApi(ProjectApiView):
    """`GET /documents`: the project's documents, newest first → {"documents": [...], "total": N}."""

    class FilterSerializer(serializers.Serializer):
        thread_id = serializers.UUIDField(required=False)
        operation = serializers.ChoiceField(choices=Document.Operation.values, required=False)
        model_provider = serializers.CharField(required=False, max_length=100)
        model_name = serializers.CharField(required=False, max_length=200)
        created_after = DateTimeInRangeField(required=False)
        created_before = DateTimeInRangeField(required=False)

    def get(self, request: Request) -> Response:
        skip, limit = self.page()
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        criteria = dict(filters.validated_data)
        if thread_id := criteria.pop("thread_id", None):
            criteria["thread"] = thread_get(project=self.project, thread_id=thread_id)
        documents = documents_for_project(project=self.project, **criteria)
        page = _with_links(documents)[skip : skip + limit]
        return Response({"documents": [document_payload(d, self.base_url()) for d in page], "total": documents.count()})


class DocumentStatusApi(ProjectApiView):
    def get(self, request: Request, document_id: uuid.UUID) -> Response:
        return Response(document_payload(_document_get(self.project, document_id), self.base_url()))


class DocumentDetailApi(ProjectApiView):
    def get(self, request: Request, document_id: uuid.UUID) -> Response:
        return Response(document_payload(_document_get(self.project, document_id), self.base_url()))

    def delete(self, request: Request, document_id: uuid.UUID) -> Response:
        document_delete(document=_document_get(self.project, document_id))
        return Response(ok("Document deleted successfully", document_id=str(document_id)))


class DocumentLineageApi(ProjectApiView):
    def get(self, request: Request, document_id: uuid.UUID) -> Response:
        lineage = document_lineage(document=_document_get(self.project, document_id))
        return Response(lineage_payload(lineage, self.base_url()))


class DocumentContentApi(ProjectApiView):
    """`GET /documents/{id}/content`: the image's bytes for the caller's project (keys of the
    reviewer or admin role and signed-in members see it gated or not; a member-role key gets the
    signed URL's 403 while the image waits for review)."""

    content_negotiation_class = JsonWhateverAsked

    def get(self, request: Request, document_id: uuid.UUID) -> HttpResponse:
        document = _document_get(self.project, document_id)
        if not document.file:
            raise NotFound("Media not found")
        refused = content_refusal(request.user, document)
        return refused or _serve(request._request, document, media.ORIGINAL)


def media_file(request: HttpRequest, document_id: uuid.UUID, ext: str) -> HttpResponse:
    """A signed media URL: no API key, but a valid unexpired signature for this document (its
    image, or its display size at `<id>.display.webp`)."""
    return _media(request, document_id, media.variant_of(ext), ext)


def media_thumbnail(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    return _media(request, document_id, media.THUMBNAIL, "thumb.webp")


def _media(request: HttpRequest, document_id: uuid.UUID, variant: str, ext: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return error_response("Method not allowed", 405)
    valid, reason = media.signature_valid(
        str(document_id), request.GET.get("expires", ""), request.GET.get("sig", ""), variant
    )
    if not valid:
        return error_response(reason, 403)
    # Signed, so not scoped to a project: the signature is the permission.
    document = Document.objects.filter(id=document_id).first()
    stored = media.stored_file(document, variant) if document else None
    if document is None or not stored or media.media_path(document, variant) != f"/api/media/{document_id}.{ext}":
        return error_response("Media not found", 404)
    # A review policy may hold the image back (delivery gating); its project's members still see it.
    refused = signed_media_refusal(request, document)
    return refused or _serve(request, document, variant)


def _serve(request: HttpRequest, document: Document, variant: str) -> HttpResponse:
    if settings.EASEL_MEDIA_DELIVERY != "stream":
        return _redirect(document, variant)
    return _stream(request, document, variant)


def _redirect(document: Document, variant: str) -> HttpResponse:
    response = HttpResponseRedirect(media.storage_url(document, variant))
    # Reusing one redirect for a while lets the browser cache the bytes under one bucket URL.
    response["Cache-Control"] = f"private, max-age={max(settings.EASEL_MEDIA_REDIRECT_TTL // 2, 0)}"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _stream(request: HttpRequest, document: Document, variant: str) -> HttpResponse:
    # The original's ETag is its hash; a derivative's adds its kind ("<sha256>-thumb", "-display").
    kind = media.SUFFIXES.get(variant, "").split(".")[0]
    etag = f'"{document.sha256}-{kind}"' if kind else f'"{document.sha256}"'
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        not_modified = HttpResponse(status=304)
        not_modified["ETag"] = etag
        return not_modified
    try:
        handle = media.stored_file(document, variant).open("rb")
    except (FileNotFoundError, OSError):
        return error_response("Media not found", 404)
    response = FileResponse(handle, content_type=media.content_type(document, variant))
    response["ETag"] = etag
    # Documents are immutable, so a signed URL's bytes never change while it is valid.
    response["Cache-Control"] = "private, max-age=3600, immutable"
    response["Last-Modified"] = http_date(document.created_at.timestamp())
    response["Content-Disposition"] = f'inline; filename="{media.media_path(document, variant).rsplit("/", 1)[-1]}"'
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were talked into rendering these bytes as a page, nothing in it could run.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
