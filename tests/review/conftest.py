"""A project with one of every kind of caller (owner, admin, member and reviewer members signed
in; admin, member and reviewer keys), images made by the local painter, and a stranger project."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from PIL import Image, ImageDraw

from designs.auth import PROJECT_HEADER
from designs.models import AuditEntry, Comment, Document, Membership, Project, ReviewDecision, ReviewPolicy
from designs.services.documents import document_create
from designs.services.images import sanitize_image
from designs.services.projects import api_key_create
from designs.services.review import review_new_image
from designs.services.threads import assistant_default, thread_create
from tests.support.storage import use_local_media

SESSION_ROLES = ("owner", "admin", "member", "reviewer")
KEY_ROLES = ("admin", "member", "reviewer")
# Every caller, by name: "<role> session" or "<role> key".
CALLERS = (*(f"{role} session" for role in SESSION_ROLES), *(f"{role} key" for role in KEY_ROLES))


def picture(size: tuple[int, int] = (96, 64)) -> bytes:
    """A PNG with detail everywhere, so a changed pixel shows."""
    image = Image.new("RGB", size, (30, 60, 90))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 8):
        draw.line([(x, 0), (x, size[1])], fill=(200, (x * 3) % 255, 40))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass
class Studio:
    """One project and everything that calls it."""

    project: Project
    clients: dict[str, Client] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, Any] = field(default_factory=dict)

    def image(self, prompt: str = "a red robot", parent: Document | None = None) -> Document:
        """A generated image (an edit of `parent`), reviewed as the worker would on storing it."""
        thread = (
            parent.thread
            if parent
            else thread_create(project=self.project, assistant=assistant_default(project=self.project))
        )
        clean = sanitize_image(picture())
        document = document_create(
            project=self.project,
            data=clean.data,
            facts=clean.facts,
            thread=thread,
            operation="edit" if parent else "generate",
            prompt=prompt,
            parent=parent,
            model_provider="local",
            model_name="easel-local-painter",
        )
        return review_new_image(document)

    def call(self, who: str, method: str, url: str, body: Any = None) -> Any:
        client = self.clients[who]
        if body is None:
            return client.generic(method, url)
        return client.generic(method, url, json.dumps(body), content_type="application/json")


def studio_for(name: str) -> Studio:
    project = Project.objects.create(name=name)
    studio = Studio(project)
    for role in SESSION_ROLES:
        user = get_user_model().objects.create_user(username=f"{role}@{name}", email=f"{role}@{name}.example")
        Membership.objects.create(project=project, user=user, role=role)
        client = Client(headers={PROJECT_HEADER: str(project.id)})
        client.force_login(user)
        studio.users[role], studio.clients[f"{role} session"] = user, client
    for role in KEY_ROLES:
        key, secret = api_key_create(project=project, name=f"{role} key", role=role)
        studio.keys[role], studio.clients[f"{role} key"] = key, Client(headers={"X-API-Key": secret})
    return studio


@pytest.fixture(autouse=True)
def local_media(settings, tmp_path):
    use_local_media(settings, tmp_path / "media")


@pytest.fixture
def studio(db) -> Studio:
    return studio_for("studio")


@pytest.fixture
def stranger(db) -> Studio:
    return studio_for("stranger")


def review_state() -> dict[str, Any]:
    """Everything a review request could change."""
    return {
        "statuses": sorted(Document.objects.values_list("id", "review_status")),
        "decisions": ReviewDecision.objects.count(),
        "comments": sorted(Comment.objects.values_list("id", "resolved_at")),
        "audit": AuditEntry.objects.count(),
        "policies": sorted(ReviewPolicy.objects.values_list("project_id", "required", "approvals_needed")),
    }
