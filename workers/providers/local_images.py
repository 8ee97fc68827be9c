"""The "local" image provider: renders or edits offline with the engine in `workers.local`.

This adapter turns an `ImageRequest` into engine calls (size, seeds, n, output format), turns
undecodable input into a `ProviderError`, and simulates a remote model's wait when asked to
(EASEL_LOCAL_IMAGE_DELAY). The engine itself knows nothing of Django or of this contract.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from PIL import Image, ImageOps

from workers.local import Output, decode, edit, encode, preview_of, prompt_seed, render, resolve_size
from workers.providers.base import ImagePreview, ImageRequest, ImageResult, InputImage, ProviderError


def _bad_request(message: str) -> ProviderError:
    return ProviderError(message, permanent=True, kind="bad_request")


def _decode(source: InputImage, what: str = "the input image") -> Image.Image:
    """The image, upright and loaded; undecodable data is a permanent bad request."""
    try:
        return decode(source.data)
    except Exception as exc:  # Pillow signals bad data with many types (OSError, SyntaxError, ValueError, ...)
        raise _bad_request(f"{what} could not be decoded ({type(exc).__name__})") from exc


def _editable_area(source: InputImage, size: tuple[int, int]) -> Image.Image:
    """The engine's "L" mask (255 = may change) from a mask PNG in OpenAI's convention: alpha 0
    may change, 255 must be kept. A mask without any transparency is read as black and white
    (white may change), as `designs.services.masks` reads one."""
    mask = _decode(source, "the mask")
    if mask.size != size:
        raise _bad_request(f"the mask is {mask.width}x{mask.height} but the image it applies to is {size[0]}x{size[1]}")
    if mask.mode == "RGBA" and mask.getchannel("A").getextrema()[0] < 255:
        return ImageOps.invert(mask.getchannel("A"))
    return mask.convert("L")


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
        """n images, seeds base+0..n-1; stops early (returning what it has) when cancelled.

        The first input image is the one edited (through `mask`, if given); the second, if any,
        is a reference whose palette colours the results a little. Later ones are not used.
        """
        output = Output.from_config(request.config)
        source = _decode(request.input_images[0]) if request.input_images else None
        reference = _decode(request.input_images[1], "the reference image") if len(request.input_images) > 1 else None
        mask = None
        if request.mask is not None:
            if source is None:
                raise _bad_request("a mask needs an input image to edit")
            mask = _editable_area(request.mask, source.size)
            if mask.getbbox() is None:
                raise _bad_request("the mask leaves nothing the edit may change (it is fully opaque, or all black)")
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
                image = edit(source, request.prompt, seed=seed, mask=mask, reference=reference)
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
