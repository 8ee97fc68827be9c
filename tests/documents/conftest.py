"""Storage fixtures: the same tests run on the filesystem and on a real S3 server (moto, over HTTP).

`store` is a live Easel for each backend with a way to see every file it keeps; `local_store`
points in-process Django at a fresh media directory or a fresh bucket.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import LiveEasel
from tests.support.s3 import CREDENTIALS, REGION, MotoServer
from tests.support.storage import use_local_media


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_easel(tmp_path_factory, moto) -> Iterator[LiveEasel]:
    """The embedded topology with its images in a bucket of the moto server."""
    bucket = moto.new_bucket()
    live = LiveEasel(tmp_path_factory.mktemp("s3-embedded"), env_overrides=moto.env(bucket))
    live.bucket = bucket
    yield live
    live.stop()


def _walk(root: Path, prefix: str) -> list[str]:
    if not root.exists():
        return []
    names = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return sorted(n for n in names if n.startswith(prefix))


@dataclass
class LiveStore:
    """A live Easel and every file it has stored, wherever it stores them."""

    kind: str
    live: LiveEasel
    moto: MotoServer | None = None

    def files(self, prefix: str = "") -> list[str]:
        if self.kind == "s3":
            return self.moto.keys(self.live.bucket, prefix)
        return _walk(self.live.workdir / "media", prefix)

    def new_project(self, name: str) -> tuple[str, str]:
        """(API key, project id) of a fresh project, so a test can account for all of its files."""
        out = self.live.manage("create_api_key", name).strip().splitlines()
        project_id = re.search(r"\(([0-9a-f-]{36})\)", out[-2]).group(1)
        return out[-1], project_id


@pytest.fixture(params=["filesystem", "s3"])
def store(request) -> LiveStore:
    if request.param == "s3":
        return LiveStore("s3", request.getfixturevalue("s3_easel"), request.getfixturevalue("moto"))
    return LiveStore("filesystem", request.getfixturevalue("embedded_easel"))


@dataclass
class LocalStore:
    kind: str
    root: Path | None = None
    moto: MotoServer | None = None
    bucket: str | None = None

    def files(self, prefix: str = "") -> list[str]:
        if self.kind == "s3":
            return self.moto.keys(self.bucket, prefix)
        return _walk(self.root, prefix)


def s3_storages(moto: MotoServer, bucket: str) -> dict:
    """STORAGES as project/settings.py builds it from the AWS_* variables."""
    return {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": moto.endpoint,
                "region_name": REGION,
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "addressing_style": "path",
                "signature_version": "s3v4",
                "querystring_expire": 300,
                "object_parameters": {"CacheControl": "private, max-age=31536000, immutable"},
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(params=["filesystem", "s3"])
def local_store(request, settings, tmp_path) -> LocalStore:
    if request.param == "s3":
        return _bucket(settings, request.getfixturevalue("moto"))
    return _filesystem(settings, tmp_path)


@pytest.fixture
def bucket_store(settings, moto) -> LocalStore:
    """In-process tests that are about buckets only."""
    return _bucket(settings, moto)


def _bucket(settings, moto: MotoServer) -> LocalStore:
    bucket = moto.new_bucket()
    settings.STORAGES = s3_storages(moto, bucket)
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.EASEL_MEDIA_DELIVERY = "redirect"
    return LocalStore("s3", moto=moto, bucket=bucket)


@pytest.fixture
def media_dir(settings, tmp_path) -> LocalStore:
    """In-process tests that only need the filesystem."""
    return _filesystem(settings, tmp_path)


def _filesystem(settings, tmp_path: Path) -> LocalStore:
    return LocalStore("filesystem", root=use_local_media(settings, tmp_path / "media"))


# The in-process tenants of tests/api: alpha is ours, bravo a stranger.
from tests.api.conftest import alpha, bravo  # noqa: E402, F401
from tests.dashboard.conftest import media_root, team  # noqa: E402, F401 (delivery gating's team)
