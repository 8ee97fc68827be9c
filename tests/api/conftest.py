"""In-process API fixtures: two projects (alpha is ours, bravo is a stranger) with keys."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from designs.models import Assistant, Document, Message, Project, Run, Thread
from designs.services.projects import api_key_create


@dataclass
class Tenant:
    project: Project
    key: str
    client: Client


def _tenant(name: str) -> Tenant:
    project = Project.objects.create(name=name)
    _key, secret = api_key_create(project=project)
    return Tenant(project, secret, Client(headers={"X-API-Key": secret}))


@pytest.fixture
def alpha(db) -> Tenant:
    return _tenant("alpha")


@pytest.fixture
def bravo(db) -> Tenant:
    return _tenant("bravo")


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Project, Assistant, Thread, Message, Run, Document)}


# The audit trail's readers are a team's roles (tests/api/test_audit.py).
from tests.dashboard.conftest import media_root, team  # noqa: E402, F401
