"""The "local" image provider: renders or edits offline with the engine in `workers.local`.

This adapter turns an `ImageRequest` into engine calls (size, seeds, n, output format), turns
undecodable input into a `ProviderError`, and simulates a remote model's wait when asked to
(EASEL_LOCAL_IMAGE_DELAY). The engine itself knows nothing of Django or of this contract.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from PIL import Image

from workers.local import Output, decode, edit, encode, preview_of, prompt_seed, render, resolve_size
from workers.providers.base import ImagePreview, ImageRequest, ImageResult, InputImage, ProviderError


def _decode(source: InputImage) -> Image.Image:
    """The input image, upright and loaded; undecodable data is a permanent bad request."""
    try:
        return decode(source.data)
    except Exception as exc:  # Pillow signals bad data with many types (OSError, SyntaxError, ValueError, ...)
        raise ProviderError(
            f"the input image could not be decoded ({type(exc).__name__})", permanent=True, kind="bad_request"
        ) from exc


class LocalImages:
    """The "local" image provider: renders or edits offline with the `workers.local` engine."""

    name: ClassVar[str] = "local"

    def __init__(self, settings: object | None = None, *, latency: float | None = None) -> None:
        del settings  # nothing to configure: no keys, no network
        if latency is None:
            from django.conf import settings as django_settings

            latency = getattr(django_settings, "EASEL_LOCAL_IMAGE_DELAY", 0.0) if django_settings.configured else 0.0
        # Simulated model latency (EASEL_LOCAL_IMAGE_DELAY), so demos and tests see what a remote
        # model's wait looks like: a blurred preview half-way, cancellation while waiting.
        self.latency = float(latency)

    def generate(
        self,
        request: ImageRequest,
        *,
        on_preview: Callable[[ImagePreview], None] = lambda preview: None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[ImageResult]:
        """n images, seeds base+0..n-1; stops early (returning what it has) when cancelled."""
        output = Output.from_config(request.config)
        source = _decode(request.input_images[0]) if request.input_images else None
        size = resolve_size(
            request.config,
            size_hint=request.size_hint,
            aspect_ratio_hint=request.aspect_ratio_hint,
            prompt=request.prompt,
        )
        config_seed = request.config.get("seed")
        base_seed = prompt_seed(request.prompt) if config_seed is None else int(config_seed)
        results: list[ImageResult] = []
        for index in range(max(1, min(10, int(request.config.get("n") or 1)))):
            if cancelled():
                break
            seed = base_seed + index
            if source is not None:
                image = edit(source, request.prompt, seed=seed)
            else:
                image = render(request.prompt, width=size[0], height=size[1], seed=seed, transparent=output.transparent)
            if self.latency > 0:
                self._wait(self.latency / 2, cancelled)
                on_preview(ImagePreview(index, encode(preview_of(image), Output("png", 90, False)), "image/png"))
                self._wait(self.latency / 2, cancelled)
                if cancelled():
                    break
            results.append(ImageResult(encode(image, output), output.mime_type, revised_prompt=None, seed=seed))
        return results

    @staticmethod
    def _wait(seconds: float, cancelled: Callable[[], bool]) -> None:
        deadline = time.monotonic() + seconds
        while not cancelled() and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(0.05, left))
