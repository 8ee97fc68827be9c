"""Validating `image_config` against what the chosen image model can do."""

from __future__ import annotations

import re
from typing import Any

from designs.catalog import ImageModel
from designs.exceptions import Invalid

KNOWN_KEYS = (
    "resolution",
    "aspect_ratio",
    "size",
    "quality",
    "background",
    "output_format",
    "output_compression",
    "n",
    "seed",
    "provider",
    "partial_images",
    "input_fidelity",
    "moderation",
    "style",
)
# Free-form sizes (the local engine's): what it draws exactly, never scaled up afterwards.
MIN_SIDE, MAX_SIDE = 64, 2048
# ASCII digits only (`\d` would take "１０２４"), matched whole (`$` would let "64x64\n" through).
_SIZE = re.compile(r"([0-9]{2,5})x([0-9]{2,5})")


def validate_image_config(config: dict[str, Any], model: ImageModel) -> dict[str, Any]:
    """The config, checked key by key; Invalid names the first thing the model cannot do."""
    label = model.key
    for key, value in config.items():
        if key not in KNOWN_KEYS:
            raise Invalid(f"image_config.{key} is not a known option ({', '.join(KNOWN_KEYS)})")
        if value is None:
            continue
        if key not in model.options:
            raise Invalid(f"image_config.{key} is not supported by {label}{_instead(key, model)}")
        _check_value(key, value, model.options[key], label)
    _check_combinations(config, label)
    return {k: v for k, v in config.items() if v is not None}


def _instead(key: str, model: ImageModel) -> str:
    """What to ask for instead of a size the model does not take by pixels."""
    if key != "size" or "aspect_ratio" not in model.options:
        return ""
    ratios = ", ".join(model.options["aspect_ratio"])
    resolutions = ", ".join(model.options.get("resolution") or ())
    return f"; give aspect_ratio ({ratios})" + (f" and resolution ({resolutions})" if resolutions else "")


def _check_value(key: str, value: Any, allowed: Any, label: str) -> None:
    if key == "provider":
        if not isinstance(value, dict):
            raise Invalid("image_config.provider must be a JSON object")
        return
    if isinstance(allowed, tuple) and len(allowed) == 2 and all(isinstance(x, int) for x in allowed):
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"image_config.{key} must be an integer")
        low, high = allowed
        if not low <= value <= high:
            raise Invalid(f"image_config.{key}={value} is not supported by {label} (allowed {low}–{high})")
        return
    if not isinstance(value, str):
        raise Invalid(f"image_config.{key} must be a string")
    if allowed is None:  # free-form size: any WxH within bounds
        match = _SIZE.fullmatch(value)
        if not match or not all(MIN_SIDE <= int(n) <= MAX_SIDE for n in match.groups()):
            raise Invalid(
                f"image_config.size={value!r} is not supported by {label}: "
                f"it makes WIDTHxHEIGHT from {MIN_SIDE} to {MAX_SIDE} pixels a side"
            )
        return
    if value not in allowed:
        raise Invalid(f"image_config.{key}={value!r} is not supported by {label} (allowed: {', '.join(allowed)})")


def _check_combinations(config: dict[str, Any], label: str) -> None:
    if config.get("background") == "transparent" and config.get("output_format") == "jpeg":
        raise Invalid("image_config.background=transparent needs output_format png or webp")
    if config.get("size") and config.get("aspect_ratio"):
        raise Invalid("image_config.size and image_config.aspect_ratio conflict: give one")
    if config.get("size") and config.get("resolution"):
        raise Invalid("image_config.size and image_config.resolution conflict: give one")
    if config.get("partial_images") and (config.get("n") or 1) > 1:
        # The Images API streams partial images for single images only.
        raise Invalid("image_config.partial_images needs n=1")
