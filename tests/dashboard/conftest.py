"""Dashboard fixtures. In-process: one project's team (owner, admin, member, reviewer) and a
stranger who owns another project. Live: a slow-painting Easel, a signed-in Chromium page."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from designs.models import Membership, Project

# The live-server and Chromium fixtures (tests/dashboard/browser.py).
from tests.dashboard.browser import celery_studio, chromium, second_tab, studio, tab  # noqa: E402, F401
from tests.support.storage import use_local_media

PASSWORD = "correct horse battery staple"


@dataclass
class Team:
    project: Project
    other: Project
    owner: object
    admin: object
    member: object
    reviewer: object
    stranger: object  # owns `other`, has nothing to do with `project`

    def client(self, who: str) -> Client:
        client = Client()
        client.force_login(getattr(self, who))
        return client

    def url(self, page: str = "threads", project: Project | None = None) -> str:
        return f"/projects/{(project or self.project).id}/{page}"


def _user(email: str):
    return get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)


@pytest.fixture
def team(db, settings) -> Team:
    # PBKDF2 at full strength costs ~0.3 s a user; these tests are not about hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    project, other = Project.objects.create(name="Studio"), Project.objects.create(name="Elsewhere")
    people = {role: _user(f"{role}@example.com") for role in ("owner", "admin", "member", "reviewer")}
    for role, user in people.items():
        Membership.objects.create(project=project, user=user, role=role)
    stranger = _user("stranger@example.com")
    Membership.objects.create(project=other, user=stranger, role=Membership.Role.OWNER)
    return Team(project, other, stranger=stranger, **people)


@pytest.fixture
def media_root(settings, tmp_path):
    return use_local_media(settings, tmp_path / "media")
