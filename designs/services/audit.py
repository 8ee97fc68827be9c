"""Reading the audit trail: a project's entries by document, actor, action and time, as JSON
rows or as CSV lines that stream (an export never holds every row in memory).

The entries themselves are written by `designs.services.review.audit` and never change.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet

from designs.exceptions import Forbidden, Invalid, NotFound
from designs.models import AuditEntry, Document
from designs.parsers import DATE_RANGE, EARLIEST_DATE, LATEST_DATE

# Who may read a project's trail: the roles that decide (members and member keys may not).
READERS = frozenset({"owner", "admin", "reviewer", "staff"})
COLUMNS = (
    "at",
    "actor",
    "via",
    "action",
    "document_id",
    "from_status",
    "to_status",
    "reason",
    "reason_code",
    "prompt",
    "model",
)
CHUNK = 500  # rows fetched at a time by an export
_ACTION = re.compile(r"[a-z_]{1,32}")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def require_reader(role: str | None) -> None:
    if role not in READERS:
        raise Forbidden("Only owners, admins and reviewers read the audit trail")


def parse_moment(name: str, value: str | None, *, end: bool = False) -> datetime | None:
    """A `from` or `to` filter: a date (`to` then means the whole day) or an ISO date and time
    (UTC when it names no offset). Invalid for anything else."""
    if value is None or value == "":
        return None
    if len(value) > 40:
        raise Invalid(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 date and time")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None:
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise Invalid(f"{name} must be a date {DATE_RANGE}")
        if end:
            return datetime.combine(day, time.max, tzinfo=UTC)  # the day's last microsecond
        return datetime.combine(day, time.min, tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 date and time") from exc
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        in_range = EARLIEST_DATE <= moment.astimezone(UTC).date() <= LATEST_DATE
    except OverflowError:
        in_range = False
    if not in_range:
        raise Invalid(f"{name} must be {DATE_RANGE}")
    return moment


def audit_entries(
    project_id: Any,
    *,
    document_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """The project's entries matching every filter given, newest first (`start` and `end`
    included).

    A `document_id` must name one of the project's documents, or one it had (a deleted
    document keeps its entries): anything else is NotFound, like another project's id.
    """
    entries = AuditEntry.objects.filter(project_id=project_id)
    if document_id:
        try:
            key = uuid.UUID(str(document_id))
        except ValueError as exc:
            raise Invalid("document_id must be a UUID") from exc
        entries = entries.filter(document_id=key)
        if not Document.objects.filter(project_id=project_id, id=key).exists() and not entries.exists():
            raise NotFound("Document not found")
    if actor:
        if len(actor) > 200:
            raise Invalid("actor: at most 200 characters")
        # The actor as entries name it (an email, `Easel`), or an API key by its prefix.
        entries = entries.filter(Q(actor__iexact=actor) | Q(actor_key_prefix=actor))
    if action:
        if not _ACTION.fullmatch(action):
            raise Invalid("action must be a word of lowercase letters and underscores (decided, flagged, refused…)")
        entries = entries.filter(action=action)
    if start is not None:
        entries = entries.filter(at__gte=start)
    if end is not None:
        entries = entries.filter(at__lte=end)
    if start is not None and end is not None and start > end:
        raise Invalid("from must not be after to")
    return entries.order_by("-at", "-id")


def entry_row(entry: AuditEntry) -> dict[str, Any]:
    """One entry as the API shows it (and, column for column, as an export writes it)."""
    return {
        "at": entry.at.isoformat().replace("+00:00", "Z"),
        "actor": entry.actor,
        "via": entry.via,
        "action": entry.action,
        "document_id": str(entry.document_id) if entry.document_id else None,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "reason": entry.reason,
        "reason_code": entry.reason_code,
        "prompt": entry.prompt,
        "model": entry.model,
    }


class _Line:
    """The file csv.writer writes to: it hands back each line instead of keeping it."""

    def write(self, text: str) -> str:
        return text


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # Quoted and escaped by csv; a leading ' keeps a spreadsheet from running it.
    return "'" + text if text.startswith(_FORMULA_START) else text


def _writer() -> Any:
    return csv.writer(_Line(), lineterminator="\r\n")


def csv_line(entry: AuditEntry, writer: Any = None) -> str:
    row = entry_row(entry)
    return (writer or _writer()).writerow([_cell(row[column]) for column in COLUMNS])


def csv_lines(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    """The header, then one line per entry, fetched CHUNK rows at a time."""
    writer = _writer()
    yield writer.writerow(COLUMNS)
    for entry in entries.iterator(chunk_size=CHUNK):
        yield csv_line(entry, writer)


async def csv_lines_async(entries: QuerySet[AuditEntry]) -> AsyncIterator[str]:
    """`csv_lines` for an ASGI server: Django would read a synchronous iterator whole before
    sending any of it, so an export served over ASGI reads its rows as an async iterator."""
    writer = _writer()
    yield writer.writerow(COLUMNS)
    async for entry in entries.aiterator(chunk_size=CHUNK):
        yield csv_line(entry, writer)
