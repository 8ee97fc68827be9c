"""`manage.py easel_demo`: the demo project, its key and its dashboard owner, with the URLs to
try (make run). The key's secret is kept in var/demo_api_key (0600), so every `make run` prints
the same key instead of minting another one that stays valid."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand

from designs.services.members import owner_ensure
from designs.services.projects import api_key_reuse_or_create, project_get_or_create

DEMO_OWNER = "demo@easel.local"


class Command(BaseCommand):
    help = "Create the demo project (if missing) and print its API key and the service URLs."

    def handle(self, *args, **options) -> None:
        project, _ = project_get_or_create(name="demo")
        kept = settings.VAR_DIR / "demo_api_key"
        known = kept.read_text() if kept.is_file() else None
        _key, secret, created = api_key_reuse_or_create(project=project, name="make run", known_secret=known)
        if created:
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.touch(mode=0o600)
            kept.write_text(secret)
        base = settings.EASEL_PUBLIC_URL or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
        fallback = "on" if settings.EASEL_LOCAL_FALLBACK else "off"
        # The dashboard's demo owner keeps the password it was first given (it may have been changed).
        owner = owner_ensure(email=DEMO_OWNER, project_name=project.name)
        password = owner.password or f"(set earlier; manage.py create_owner {DEMO_OWNER} demo --new-password)"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Easel is starting (embedded: SQLite, files under var/, generation in the web process).",
                    f"  API base URL (for the SDK): {base}/api",
                    f"  Health:                     {base}/healthz",
                    f"  Dashboard:                  {base}/  (sign in as {DEMO_OWNER}, password {password})",
                    f"  Local fallback for unconfigured providers: {fallback}",
                    "  Demo project API key" + (" (new)" if created else " (the same as last time)") + ":",
                    f"    {secret}",
                    "",
                    '  Try: BackboardClient(api_key=KEY, base_url="' + base + '/api")',
                    "",
                ]
            )
        )
