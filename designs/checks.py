"""Deployment warnings: Django system checks (`manage.py check --deploy`, migrate) and one log
line when a process of the production topology starts with a risky setting."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.checks import Warning, register

logger = logging.getLogger("easel.deploy")

NO_ENCRYPTION_KEY = (
    "EASEL_ENCRYPTION_KEY is not set: provider keys that projects store are encrypted with a key "
    "derived from SECRET_KEY, so anyone who reads SECRET_KEY can read them, and rotating SECRET_KEY "
    "makes them unreadable. Set EASEL_ENCRYPTION_KEY to a Fernet key "
    '(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
)


def production_topology() -> bool:
    """Celery workers on Redis: the Procfile's topology, as opposed to `make run`'s."""
    return settings.EASEL_EXECUTION == "celery"


def deployment_problems() -> list[Warning]:
    problems = []
    if production_topology() and not settings.EASEL_ENCRYPTION_KEYS:
        problems.append(Warning(NO_ENCRYPTION_KEY, id="easel.W001"))
    return problems


@register(deploy=True)
def check_deployment(app_configs=None, **kwargs) -> list[Warning]:
    return deployment_problems()


def warn_at_start() -> None:
    for problem in deployment_problems():
        logger.warning("%s (%s)", problem.msg, problem.id)
