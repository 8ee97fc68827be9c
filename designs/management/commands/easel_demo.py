"""`manage.py easel_demo`: the demo project, a fresh key and its dashboard owner, with the URLs
to try (make run)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand

from designs.services.members import owner_ensure
from designs.services.projects import api_key_create, project_get_or_create

DEMO_OWNER = "demo@easel.local"


class Command(BaseCommand):
    help = "Create the demo project (if missing) and print a new API key and the service URLs."

    def handle(self, *args, **options) -> None:
        project, _ = project_get_or_create(name="demo")
        _key, secret = api_key_create(project=project, name="make run")
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
                    "  Demo project API key (shown once):",
                    f"    {secret}",
                    "",
                    '  Try: BackboardClient(api_key=KEY, base_url="' + base + '/api")',
                    "",
                ]
            )
        )
