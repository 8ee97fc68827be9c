"""Picture sizes from an image request's config and hints ("1536x1024", "16:9", "2K", the word
"banner" in the prompt), clamped so every render stays quick."""

from __future__ import annotations

import re

from workers.local.prompt import _tokens

MAX_SIDE = 2048  # keeps every render well under a second even for "4K" requests
MIN_SIDE = 64
DEFAULT_SIDE = 1024


_RATIO_WORDS = {
    "square": (1, 1),
    "portrait": (3, 4),
    "landscape": (4, 3),
    "wide": (16, 9),
    "widescreen": (16, 9),
    "banner": (21, 9),
    "panorama": (21, 9),
    "panoramic": (21, 9),
}


def _parse_dims(value: object) -> tuple[int, int] | None:
    """ "1536x1024" -> (1536, 1024); anything else (None, "auto", "2K") -> None."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*[x×*]\s*(\d{1,5})\s*", str(value or ""), re.IGNORECASE)
    return (int(match[1]), int(match[2])) if match else None


def _parse_ratio(value: object) -> tuple[float, float] | None:
    """ "16:9" -> (16, 9); anything else -> None."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[:/]\s*(\d+(?:\.\d+)?)\s*", str(value or ""))
    if not match or float(match[1]) <= 0 or float(match[2]) <= 0:
        return None
    return float(match[1]), float(match[2])


def _long_side(value: object) -> int | None:
    """ "1K" -> 1024, "2K" -> 2048, "4K" -> 2048 (capped to keep renders quick)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*k\s*", str(value or ""), re.IGNORECASE)
    return min(MAX_SIDE, round(float(match[1]) * 1024)) if match else None


def _ratio_from_prompt(prompt: str) -> tuple[float, float] | None:
    return next((_RATIO_WORDS[t] for t in _tokens(prompt) if t in _RATIO_WORDS), None)


def _clamp_size(width: float, height: float) -> tuple[int, int]:
    """At most MAX_SIDE on the long side (keeping the shape), at least MIN_SIDE on each."""
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(MIN_SIDE, round(width * scale)), max(MIN_SIDE, round(height * scale))


def resolve_size(
    config: dict[str, object], *, size_hint: str | None, aspect_ratio_hint: str | None, prompt: str
) -> tuple[int, int]:
    """Config size, config aspect ratio, the LLM's hints, then prompt words; 1024 square last.

    It takes the request's fields, not the request: the engine knows no provider types."""
    explicit = _parse_dims(config.get("size"))
    if explicit:
        return _clamp_size(*explicit)
    long_side = _long_side(config.get("size")) or _long_side(config.get("resolution")) or DEFAULT_SIDE
    ratio = _parse_ratio(config.get("aspect_ratio"))
    if ratio is None:
        hinted = _parse_dims(size_hint)
        if hinted:
            return _clamp_size(*hinted)
        long_side = _long_side(size_hint) or long_side
        ratio = _parse_ratio(aspect_ratio_hint) or _ratio_from_prompt(prompt) or (1, 1)
    rw, rh = ratio
    return _clamp_size(long_side, long_side * rh / rw) if rw >= rh else _clamp_size(long_side * rw / rh, long_side)
