"""What a deployment gets without asking: a CSP on every page, private files under var/, no
signatures in access logs, one demo key however often `make run` starts, and a warning when
stored provider keys hang on SECRET_KEY."""

from __future__ import annotations

import io
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from designs.checks import deployment_problems
from designs.models import ApiKey, Project
from designs.services.projects import api_key_create

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("path", ["/accounts/login", "/api/threads", "/healthz", "/no/such/page"])
def test_every_answer_carries_a_policy_that_allows_no_inline_script_and_no_framing(client, db, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_dashboard_templates_have_no_inline_script_or_style():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert "style=" not in text, template
        assert " on" + "click=" not in text and "javascript:" not in text, template
        for line in text.splitlines():
            if "<script" in line:
                assert 'src="' in line, f"{template}: {line.strip()}"


def test_var_files_are_private_after_start_even_when_an_older_install_left_them_readable(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    (var / "secret_key").write_text("an-old-secret-key-long-enough-for-django-0123456789")
    (var / "secret_key").chmod(0o644)
    env = {**os.environ, "EASEL_VAR_DIR": str(var), "DJANGO_SECRET_KEY": ""}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    assert mode(var) == 0o700
    assert mode(var / "secret_key") == 0o600
    assert mode(var / "easel.sqlite3") == 0o600
    assert all(mode(p) & 0o077 == 0 for p in var.iterdir())


def test_stored_images_are_written_0600(db, settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    storage = FileSystemStorage(location=tmp_path / "media")
    name = storage.save("projects/p/images/a.png", ContentFile(b"\x89PNG..."))
    assert mode(Path(storage.path(name))) == 0o600
    assert mode(Path(storage.path(name)).parent) == 0o700


def _access_line(path: str) -> str:
    import project.asgi  # noqa: F401 - installs the filter on uvicorn's access logger

    logger = logging.getLogger("uvicorn.access")
    record = logger.makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )
    assert all(log_filter.filter(record) for log_filter in logger.filters)
    return record.getMessage()


def test_access_log_lines_name_the_path_without_the_query():
    line = _access_line("/api/media/abc.png?expires=1&sig=SECRET")
    assert line == '127.0.0.1:5000 - "GET /api/media/abc.png HTTP/1.1" 200'


def test_access_log_lines_never_carry_an_invitation_token():
    assert _access_line("/accounts/invitations/SECRET-TOKEN/join") == (
        '127.0.0.1:5000 - "GET /accounts/invitations/…/join HTTP/1.1" 200'
    )


def test_make_run_prints_the_same_demo_key_every_time_and_revokes_keys_it_lost(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    project = Project.objects.create(name="demo")
    lost = [api_key_create(project=project, name="make run")[0] for _ in range(3)]  # before this fix

    first, second = io.StringIO(), io.StringIO()
    call_command("easel_demo", stdout=first)
    call_command("easel_demo", stdout=second)

    [active] = ApiKey.objects.filter(project=project, name="make run", revoked_at__isnull=True)
    secret = (tmp_path / "demo_api_key").read_text()
    assert secret in first.getvalue() and secret in second.getvalue()
    assert "(the same as last time)" in second.getvalue()
    assert active.id not in {k.id for k in lost}
    assert mode(tmp_path / "demo_api_key") == 0o600


def test_a_production_process_without_an_encryption_key_is_warned(settings):
    settings.EASEL_EXECUTION = "celery"
    settings.EASEL_ENCRYPTION_KEYS = []
    [warning] = deployment_problems()
    assert warning.id == "easel.W001" and "EASEL_ENCRYPTION_KEY" in warning.msg

    settings.EASEL_ENCRYPTION_KEYS = ["a-fernet-key"]
    assert deployment_problems() == []


def test_the_embedded_default_is_not_warned(settings):
    settings.EASEL_EXECUTION = "embedded"
    settings.EASEL_ENCRYPTION_KEYS = []
    assert deployment_problems() == []


def test_tls_settings_follow_the_environment(tmp_path):
    env = {
        **os.environ,
        "EASEL_SECURE_COOKIES": "1",
        "EASEL_HSTS_SECONDS": "3600",
        "EASEL_PROXY_SSL_HEADER": "1",
        "EASEL_VAR_DIR": str(tmp_path),
    }
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='project.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True True 3600 ('HTTP_X_FORWARDED_PROTO', 'https')", out.stderr
