"""`manage.py purge_documents`: apply upload retention and remove orphaned files.

Celery beat runs the same work in the worker topology; an embedded install runs this from cron.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from designs.services.documents import documents_purge_unreferenced, storage_orphans_purge


class Command(BaseCommand):
    help = "Delete uploads past EASEL_UPLOAD_RETENTION_DAYS that nothing uses, and files no document uses."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=None, help="override EASEL_UPLOAD_RETENTION_DAYS")

    def handle(self, *args, days: int | None, **options) -> None:
        uploads = documents_purge_unreferenced(days=days)
        orphans = storage_orphans_purge()
        self.stdout.write(f"purged {uploads} unreferenced uploads and {orphans} orphaned files")
