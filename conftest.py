"""Root conftest: test settings that must exist before Django loads."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "easel-test-secret-key-not-for-production")
