"""`manage.py create_api_key PROJECT_NAME`: print a new key, alone on the last line of stdout."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from designs.services.projects import api_key_create, project_get_or_create


class Command(BaseCommand):
    help = "Create an API key for a project (creating the project if missing) and print it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("project_name")
        parser.add_argument("--name", default="", help="a label for the key")

    def handle(self, *args, project_name: str, name: str, **options) -> None:
        project, created = project_get_or_create(name=project_name)
        key, secret = api_key_create(project=project, name=name or "created by manage.py")
        verb = "Created project" if created else "Project"
        self.stdout.write(f"{verb} '{project.name}' ({project.id}); new key {key.prefix}\u2026 (shown once):")
        self.stdout.write(secret)
