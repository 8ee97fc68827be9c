"""`manage.py create_owner EMAIL PROJECT`: a dashboard user who owns the project; prints how to sign in."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand

from designs.services.members import owner_ensure


class Command(BaseCommand):
    help = "Create a user (if missing) and make them owner of a project (created if missing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("project_name")
        parser.add_argument(
            "--password",
            default=None,
            help="the password to set (default: a random one for a new user; an existing user's is kept)",
        )
        parser.add_argument("--new-password", action="store_true", help="give an existing user a new random password")

    def handle(self, *args, email: str, project_name: str, password: str | None, new_password: bool, **options) -> None:
        owner = owner_ensure(email=email, project_name=project_name, password=password, new_password=new_password)
        user, project = owner.membership.user, owner.membership.project
        base = settings.EASEL_PUBLIC_URL or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
        self.stdout.write(
            f"{'Created' if owner.created_user else 'User'} {user.username}, owner of "
            f"{'new project ' if owner.created_project else ''}'{project.name}' ({project.id})"
        )
        self.stdout.write(f"Sign in at {base}/accounts/login")
        self.stdout.write(f"  username: {user.username}")
        if owner.password:
            self.stdout.write(f"  password: {owner.password}")
        else:
            self.stdout.write("  password: unchanged (--new-password sets a new one)")
