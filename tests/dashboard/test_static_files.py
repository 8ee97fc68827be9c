"""Static files as a live server serves them after `collectstatic` (as `make run` and the
Procfile's release run it): pages name content-hashed files, kept by browsers for a year and
sent gzipped to those that accept it; the plain names still answer, cached for a minute."""

from __future__ import annotations

import re

import httpx
import pytest

from project.static_storage import StaticStorage
from tests.support.processes import collected_static

HASHED_CSS = re.compile(r'<link rel="stylesheet" href="(/static/easel/app\.[0-9a-f]{12}\.css)">')


@pytest.fixture(scope="module")
def stylesheet(embedded_easel) -> str:
    page = httpx.get(embedded_easel.base_url + "/accounts/login", timeout=30).text
    found = HASHED_CSS.search(page)
    assert found, f"no hashed app.css in the page:\n{page[:1000]}"
    return embedded_easel.base_url + found.group(1)


def test_pages_name_their_scripts_by_content_hash_too(embedded_easel):
    page = httpx.get(embedded_easel.base_url + "/accounts/login", timeout=30).text

    assert re.search(r'<script src="/static/easel/app\.[0-9a-f]{12}\.js" defer>', page)
    assert re.search(r'href="/static/easel/favicon\.[0-9a-f]{12}\.svg"', page)


def test_a_hashed_stylesheet_comes_gzipped_and_kept_for_a_year(stylesheet):
    response = httpx.get(stylesheet, headers={"Accept-Encoding": "gzip"}, timeout=30)

    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("text/css")
    assert "immutable" in response.headers["cache-control"]
    assert int(re.search(r"max-age=(\d+)", response.headers["cache-control"]).group(1)) >= 31536000
    assert "Accept-Encoding" in response.headers["vary"]
    assert ".topbar" in response.text


def test_the_gzipped_stylesheet_is_much_smaller_than_the_plain_one(stylesheet):
    with httpx.Client(timeout=30) as client:
        plain = client.get(stylesheet, headers={"Accept-Encoding": "identity"})
        gzipped = client.get(stylesheet, headers={"Accept-Encoding": "gzip"})

    assert "content-encoding" not in plain.headers
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.text == plain.text
    assert int(gzipped.headers["content-length"]) < int(plain.headers["content-length"]) / 3


def test_the_plain_name_still_answers_but_is_cached_only_briefly(embedded_easel):
    response = httpx.get(embedded_easel.base_url + "/static/easel/app.css", timeout=30)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "max-age=60, public"


def test_an_unknown_static_file_is_not_found(embedded_easel):
    response = httpx.get(embedded_easel.base_url + "/static/easel/nothing.css", timeout=30)

    assert response.status_code == 404


def test_a_file_the_manifest_does_not_name_keeps_its_plain_url(settings, tmp_path):
    """Before collectstatic has run (in-process tests, a checkout started by hand) pages still
    render, naming the plain files the finders serve."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "project.static_storage.StaticStorage"}}

    assert StaticStorage().url("easel/app.css") == "/static/easel/app.css"


def test_after_collectstatic_the_storage_names_the_hashed_file(settings):
    settings.STATIC_ROOT = collected_static()

    assert re.fullmatch(r"/static/easel/app\.[0-9a-f]{12}\.css", StaticStorage().url("easel/app.css"))
