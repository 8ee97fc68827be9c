"""Projects and their API keys."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from designs.auth import new_key_material
from designs.models import ApiKey, Project
from designs.services.documents import project_files_delete


def project_get_or_create(*, name: str) -> tuple[Project, bool]:
    return Project.objects.get_or_create(name=name)


@transaction.atomic
def api_key_create(*, project: Project, name: str = "", created_by=None) -> tuple[ApiKey, str]:
    """A new key for the project and its secret, which is never stored and never shown again."""
    secret, prefix, hashed = new_key_material()
    key = ApiKey.objects.create(project=project, name=name, prefix=prefix, hashed_key=hashed, created_by=created_by)
    return key, secret


def api_key_revoke(*, key: ApiKey) -> None:
    """Idempotent: a revoked key stays revoked with its first revocation time."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Delete a project with everything in it; after commit, every file under its storage prefix.

    Files are per project (never shared across projects), so the whole prefix can go at once.
    """
    project_id = project.id
    project.delete()
    transaction.on_commit(lambda: project_files_delete(project_id=project_id))
