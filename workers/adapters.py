"""The adapters a run talks to: its resolved choice, the project's key, the server's timeouts.

The run's models were chosen when the turn was accepted (`designs.services.model_choice`);
this only looks the key up again, here and now (it may have been replaced or deleted since),
and hands the provider package plain connection settings.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from designs.exceptions import NotConfigured
from designs.models import Run
from designs.services.model_choice import provider_access
from workers.providers import registry
from workers.providers.base import ImageProvider, LLMProvider, ProviderError
from workers.providers.http import ProviderSettings


def connection(name: str, project_id: Any = None) -> ProviderSettings | None:
    """How a run of this project reaches `name` now, or None without a key (and for local).

    ProviderError(not_configured) when the project's stored key cannot be decrypted.
    """
    try:
        access = provider_access(name, project_id)
    except NotConfigured as exc:
        raise ProviderError(exc.detail, permanent=True, kind="not_configured") from exc
    if access is None:
        return None
    return ProviderSettings(
        api_key=access.api_key,
        base_url=access.base_url,
        connect_timeout=settings.EASEL_PROVIDER_CONNECT_TIMEOUT,
        read_timeout=settings.EASEL_PROVIDER_READ_TIMEOUT,
        max_retries=settings.EASEL_PROVIDER_MAX_RETRIES,
        max_retry_wait=settings.EASEL_PROVIDER_MAX_RETRY_WAIT,
    )


def llm_for(run: Run) -> LLMProvider:
    return registry.llm_adapter(run.llm_provider, connection(run.llm_provider, run.project_id))


def image_for(run: Run) -> ImageProvider:
    return registry.image_adapter(run.image_provider, connection(run.image_provider, run.project_id))
