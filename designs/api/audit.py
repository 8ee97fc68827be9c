"""`GET /api/audit?document_id=&actor=&action=&from=&to=&format=json|csv&skip=&limit=`: the
project's audit trail, newest first, for owners, admins and reviewers (and keys of the reviewer
or admin role). `format=csv` streams every matching entry as CSV, a header row first."""

from __future__ import annotations

from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from designs.api.base import JsonWhateverAsked, ProjectApiView, caller_role
from designs.models import AuditEntry
from designs.services.audit import audit_entries, csv_lines, csv_lines_async, entry_row, parse_moment, require_reader


class AuditFilterSerializer(serializers.Serializer):
    # Read as text and checked by audit_entries: a deleted document's id still finds its entries.
    document_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    actor = serializers.CharField(required=False, allow_blank=True, max_length=200)
    action = serializers.CharField(required=False, allow_blank=True, max_length=32)
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, default="json")


class AuditApi(ProjectApiView):
    content_negotiation_class = JsonWhateverAsked

    def get(self, request: Request) -> Response | StreamingHttpResponse:
        require_reader(caller_role(request.user))
        filters = AuditFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        criteria = filters.validated_data
        params = request.query_params
        entries = audit_entries(
            self.project.id,
            document_id=criteria.get("document_id"),
            actor=criteria.get("actor"),
            action=criteria.get("action"),
            start=parse_moment("from", params.get("from")),
            end=parse_moment("to", params.get("to"), end=True),
        )
        if criteria["format"] == "csv":
            return _export(request, entries)
        skip, limit = self.page()
        page = entries[skip : skip + limit]
        return Response({"entries": [entry_row(entry) for entry in page], "total": entries.count()})


def _export(request: Request, entries: QuerySet[AuditEntry]) -> StreamingHttpResponse:
    # Under ASGI (the server) the rows are read as an async iterator; Django would read a
    # synchronous one whole before sending a byte. The test client is not ASGI.
    lines = csv_lines_async(entries) if isinstance(request._request, ASGIRequest) else csv_lines(entries)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="easel-audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
