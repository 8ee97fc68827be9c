"""Documents (images) of threads and assistants, and the signed media URLs (Backboard §5.3)."""

from __future__ import annotations

import uuid

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import http_date
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from designs import media
from designs.api.base import ProjectApiView, ok
from designs.errors import ApiError, error_response
from designs.models import Document
from designs.payloads import document_payload
from designs.services.documents import document_create, document_delete
from designs.services.images import read_upload
from designs.services.threads import assistant_get, thread_get


def _document_get(project, document_id) -> Document:
    document = Document.objects.filter(project=project, id=document_id).first()
    if document is None:
        raise ApiError("Document not found", 404)
    return document


def _upload(view: ProjectApiView, request: Request, *, thread=None, assistant=None) -> Response:
    files = request.FILES.getlist("file")
    if len(files) != 1:
        raise ApiError("Send exactly one file, in a multipart part named 'file'")
    data, facts = read_upload(files[0], field="file")
    document = document_create(
        project=view.project, data=data, facts=facts, thread=thread, operation=Document.Operation.UPLOAD,
        original_filename=files[0].name,
    )
    if assistant is not None and thread is None:
        Document.objects.filter(id=document.id).update(assistant=assistant)
        document.refresh_from_db()
    return Response(document_payload(document, view.base_url()))


class ThreadDocumentsApi(ProjectApiView):
    parser_classes = [MultiPartParser]

    def get(self, request: Request, thread_id: str) -> Response:
        thread = thread_get(project=self.project, thread_id=thread_id)
        documents = Document.objects.filter(project=self.project, thread=thread).order_by("created_at")
        return Response([document_payload(d, self.base_url()) for d in documents])

    def post(self, request: Request, thread_id: str) -> Response:
        return _upload(self, request, thread=thread_get(project=self.project, thread_id=thread_id))


class AssistantDocumentsApi(ProjectApiView):
    parser_classes = [MultiPartParser]

    def get(self, request: Request, assistant_id: str) -> Response:
        assistant = assistant_get(project=self.project, assistant_id=assistant_id)
        documents = Document.objects.filter(project=self.project, assistant=assistant).order_by("created_at")
        return Response([document_payload(d, self.base_url()) for d in documents])

    def post(self, request: Request, assistant_id: str) -> Response:
        return _upload(self, request, assistant=assistant_get(project=self.project, assistant_id=assistant_id))


class DocumentStatusApi(ProjectApiView):
    def get(self, request: Request, document_id: str) -> Response:
        return Response(document_payload(_document_get(self.project, document_id), self.base_url()))


class DocumentDetailApi(ProjectApiView):
    def get(self, request: Request, document_id: str) -> Response:
        return Response(document_payload(_document_get(self.project, document_id), self.base_url()))

    def delete(self, request: Request, document_id: str) -> Response:
        document = _document_get(self.project, document_id)
        document_delete(document=document)
        return Response(ok("Document deleted successfully", document_id=str(document_id)))


def media_file(request: HttpRequest, document_id: uuid.UUID, ext: str) -> HttpResponse:
    """A signed media URL: no API key, but a valid unexpired signature for this document."""
    if request.method not in ("GET", "HEAD"):
        return error_response("Method not allowed", 405)
    valid, reason = media.signature_valid(str(document_id), request.GET.get("expires", ""), request.GET.get("sig", ""))
    if not valid:
        return error_response(reason, 403)
    document = Document.objects.filter(id=document_id).first()
    if document is None or document.extension != ext:
        return error_response("Media not found", 404)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError):
        return error_response("Media not found", 404)
    response = FileResponse(handle, content_type=document.mime_type)
    response["Content-Length"] = str(document.file_size_bytes)
    response["ETag"] = f'"{document.sha256}"'
    # Documents are immutable, so a signed URL's bytes never change while it is valid.
    response["Cache-Control"] = "private, max-age=3600, immutable"
    response["Last-Modified"] = http_date(document.created_at.timestamp())
    response["X-Content-Type-Options"] = "nosniff"
    if request.headers.get("If-None-Match") == response["ETag"]:
        handle.close()
        not_modified = HttpResponse(status=304)
        not_modified["ETag"] = response["ETag"]
        return not_modified
    return response
