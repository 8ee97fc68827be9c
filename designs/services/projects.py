"""Projects and their API keys."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from designs.exceptions import Conflict, Invalid
from designs.keys import hash_key, new_key_material
from designs.models import ApiKey, Project
from designs.services.documents import project_files_delete

PROJECT_NAME_MAX = Project._meta.get_field("name").max_length


def project_get_or_create(*, name: str) -> tuple[Project, bool]:
    return Project.objects.get_or_create(name=name)


def project_rename(*, project: Project, name: str) -> Project:
    """Give the project a new name: Invalid when it is empty or too long, Conflict when another
    project has it (names are unique on the server, so they tell projects apart in the switcher)."""
    name = " ".join(str(name or "").split())
    if not name:
        raise Invalid("name: give the project a name")
    if len(name) > PROJECT_NAME_MAX:
        raise Invalid(f"name: at most {PROJECT_NAME_MAX} characters")
    if name == project.name:
        return project
    try:
        with transaction.atomic():
            Project.objects.filter(pk=project.pk).update(name=name)
    except IntegrityError as exc:
        # The unique index decides, so two renames at once cannot both take a name.
        raise Conflict("name: another project already has this name; choose another") from exc
    project.name = name
    return project


@transaction.atomic
def api_key_create(*, project: Project, name: str = "", created_by=None, role: str = "admin") -> tuple[ApiKey, str]:
    """A new key for the project and its secret, which is never stored and never shown again.
    `role` (member, reviewer or admin) is what the key may do; admin, everything, by default."""
    if role not in ("member", "reviewer", "admin"):
        raise ValueError(f"unknown key role {role!r}")
    secret, prefix, hashed = new_key_material()
    key = ApiKey.objects.create(
        project=project, name=name, prefix=prefix, hashed_key=hashed, created_by=created_by, role=role
    )
    return key, secret


def api_key_revoke(*, key: ApiKey) -> None:
    """Idempotent: a revoked key stays revoked with its first revocation time."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def api_key_reuse_or_create(*, project: Project, name: str, known_secret: str | None) -> tuple[ApiKey, str, bool]:
    """The key `known_secret` names if it is still an active key of the project with that name;
    otherwise a new one, revoking the project's other active keys of that name (their secrets
    were kept nowhere). Returns (key, secret, created). For `make run`'s demo key, so restarts
    reuse one key instead of minting another valid one each time."""
    if known_secret:
        key = ApiKey.objects.filter(
            project=project, name=name, hashed_key=hash_key(known_secret.strip()), revoked_at__isnull=True
        ).first()
        if key is not None:
            return key, known_secret.strip(), False
    ApiKey.objects.filter(project=project, name=name, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key, secret = api_key_create(project=project, name=name)
    return key, secret, True


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Delete a project with everything in it; after commit, every file under its storage prefix.

    Files are per project (never shared across projects), so the whole prefix can go at once.
    """
    project_id = project.id
    project.delete()
    transaction.on_commit(lambda: project_files_delete(project_id=project_id))
