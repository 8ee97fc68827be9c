"""In-process tests' files: a private folder on disk, served by Easel itself."""

from __future__ import annotations

from pathlib import Path


def use_local_media(settings, root: Path) -> Path:
    """Point default storage at `root` (FileSystemStorage, bytes streamed by Easel); `settings`
    is pytest-django's fixture, so it is all undone after the test."""
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EASEL_MEDIA_DELIVERY = "stream"
    return root
