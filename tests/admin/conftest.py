"""Django admin fixtures: the dashboard's team, plus a staff user who belongs to no project.

In-process: `team` (tests/dashboard), files on disk (`media_root`) or in a moto bucket
(`moto`, tests/documents). Live: an Easel with a superuser and two images, a Chromium tab.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.dashboard.browser import Studio, chromium, tab  # noqa: F401 (fixtures)
from tests.dashboard.conftest import media_root, team  # noqa: F401 (fixtures)
from tests.documents.conftest import moto  # noqa: F401 (fixtures)
from tests.support.processes import LiveEasel

STAFF, STAFF_PASSWORD = "ops@example.com", "a long staff password"
ADMIN_ROW = re.compile(r'href="/admin/designs/\w+/([0-9a-f-]{36})/change/')


def listed(html: bytes | str) -> set[str]:
    """The ids of the rows an admin list page shows."""
    return set(ADMIN_ROW.findall(html if isinstance(html, str) else html.decode()))


@pytest.fixture
def staff(team) -> Client:  # noqa: F811
    user = get_user_model().objects.create_superuser(username=STAFF, email=STAFF, password="x")
    client = Client()
    client.force_login(user)
    return client


def _seed_image(live: LiveEasel, prompt: str) -> str:
    """One image made through the API with project alpha's key; its document id."""
    response = httpx.post(
        f"{live.api_url}/threads/messages",
        headers={"X-API-Key": live.api_key},
        json={
            "content": prompt,
            "operation": "generate_image",
            "image_model_provider": "local",
            "image_model_name": "easel-local-painter",
        },
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()["generated_media"][0]["document_id"]


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[Studio]:
    """A live Easel of its own (the dashboard's is shared): a superuser and two images in alpha.

    `tab` (tests/dashboard/browser.py) opens Chromium on this one."""
    live = LiveEasel(tmp_path_factory.mktemp("admin"))
    try:
        live.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_superuser({STAFF!r}, {STAFF!r}, {STAFF_PASSWORD!r})",
        )
        studio = Studio(live, "")
        studio.documents = [_seed_image(live, "a red robot"), _seed_image(live, "a blue sunflower")]
        yield studio
    finally:
        live.stop()
