"""Edit operations, all on RGBA images with alpha preserved: recolouring a subject, the sky or the
ground, adding and removing subjects, and the whole-image filters (darker, night, blur, ...)."""

from __future__ import annotations

import random
from collections.abc import Callable

from PIL import Image, ImageChops, ImageEnhance, ImageFilter, ImageOps, ImageStat

from workers.local.analysis import (
    _CHROMA,
    _HUE_TOLERANCE,
    _background_estimate,
    _count,
    _dominant_blob,
    _find_foreground,
    _flood,
    _foreground,
    _region_mask,
    _subject_mask,
    _thumbnail,
    _upscale,
)
from workers.local.canvas import LAYOUT_KEY, _layout
from workers.local.palette import _COLOURS, _TONE_MODIFIERS, RGB, _darker, _hsv255, _lighter
from workers.local.placement import _expand, _Item, _paint_backdrop_subject, _tile_size
from workers.local.prompt import _NOUNS, _Plan
from workers.local.subjects import _KINDS, _stamp


def _on_rgb(img: Image.Image, transform: Callable[[Image.Image], Image.Image]) -> Image.Image:
    """Applies a colour transform to the RGB bands, leaving alpha untouched."""
    alpha = img.getchannel("A")
    out = transform(img.convert("RGB")).convert("RGBA")
    out.putalpha(alpha)
    return out


def _recolour(img: Image.Image, mask: Image.Image, target: RGB) -> Image.Image:
    """Gives the masked pixels the target's hue (or greyness), keeping their shading."""
    rgb = img.convert("RGB")
    hue, sat, val = rgb.convert("HSV").split()
    th, ts, tv = _hsv255(target)
    shift = round((tv - ImageStat.Stat(val, mask).mean[0]) * 0.7)  # move brightness, keep the shading
    new_val = val.point([max(0, min(255, v + shift)) for v in range(256)])
    if ts < 40:  # black, white or grey: drain the colour
        new_hue, new_sat = hue, Image.new("L", rgb.size, 0)
    else:
        new_hue, new_sat = Image.new("L", rgb.size, th), sat.point([max(v, round(ts * 0.85)) for v in range(256)])
    recoloured = Image.merge("HSV", (new_hue, new_sat, new_val)).convert("RGB")
    return _on_rgb(img, lambda base: Image.composite(recoloured, base, mask))


def _tint(img: Image.Image, colour: RGB, amount: float = 0.5) -> Image.Image:
    """Washes the whole image towards a colour, keeping its light and dark."""

    def wash(rgb: Image.Image) -> Image.Image:
        grey = ImageOps.grayscale(rgb)
        toned = ImageOps.colorize(grey, black=_darker(colour, 0.85), white=_lighter(colour, 0.85), mid=colour)
        return Image.blend(rgb, toned, amount)

    return _on_rgb(img, wash)


def _recolour_subject(img: Image.Image, plan: _Plan, target: RGB) -> Image.Image:
    """Recolours the named subject where the layout says it is; otherwise the dominant subject
    (the named one's usual hue preferred), else tints it all."""
    named = next((s.kind for s in plan.subjects), None)
    placed = [e for e in _layout(img) if e["kind"] == named] if named else []
    if placed:
        return _recolour_placed(img, placed, target)
    prefer = None
    if named is not None and _hsv255(_KINDS[named].colour)[1] >= _CHROMA:
        prefer = _hsv255(_KINDS[named].colour)[0]
    mask = _subject_mask(img, prefer)
    return _recolour(img, mask, target) if mask is not None else _tint(img, target)


def _recolour_placed(img: Image.Image, placed: list[dict], target: RGB) -> Image.Image:
    """Recolours the pixels of each placed subject that have its colour, inside its box."""
    hue, sat, val = img.convert("RGB").convert("HSV").split()
    mask = Image.new("L", img.size, 0)
    for entry in placed:
        x, y, w, h = entry["box"]
        eh, es, ev = _hsv255(tuple(entry["colour"]))  # type: ignore[arg-type]
        if es >= _CHROMA:
            near = hue.point([255 if min(abs(v - eh), 256 - abs(v - eh)) <= _HUE_TOLERANCE else 0 for v in range(256)])
            test = ImageChops.multiply(near, sat.point([255 if v >= _CHROMA * 0.6 else 0 for v in range(256)]))
        else:  # a grey or black subject: match brightness instead of hue
            test = val.point([255 if abs(v - ev) <= 40 else 0 for v in range(256)])
        box = Image.new("L", img.size, 0)
        box.paste(255, (x, y, x + w, y + h))
        mask = ImageChops.lighter(mask, ImageChops.multiply(test, box))
    if _count(mask) == 0:
        return _tint(img, target)
    out = _recolour(img, mask, target)
    names = {e["kind"] for e in placed}
    out.info[LAYOUT_KEY] = [{**e, "colour": list(target)} if e["kind"] in names else e for e in _layout(img)]
    return out


def _horizon(img: Image.Image) -> int:
    """The first row (full size) where the left edge colour jumps: where the sky meets the ground."""
    small = _thumbnail(img)
    column = small.crop((0, 0, 1, small.height)).resize((1, small.height))
    colours = [column.getpixel((0, y)) for y in range(small.height)]
    for y in range(1, len(colours)):
        if max(abs(a - b) for a, b in zip(colours[y], colours[y - 1], strict=True)) > 25:  # type: ignore[arg-type]
            return round(y * img.height / small.height)
    return img.height


def _recolour_background(img: Image.Image, target: RGB, part: str) -> Image.Image:
    """Recolours what is not foreground above the horizon ("sky") or below it ("ground")."""
    # full-size edge test, not the thumbnail one: its blocky, grown mask would leave a halo
    mask = ImageChops.invert(_foreground(img.convert("RGB")))
    horizon = _horizon(img)
    if part == "sky" and horizon < img.height:
        mask.paste(0, (0, horizon, img.width, img.height))
    elif part == "ground":
        mask.paste(0, (0, 0, img.width, min(horizon, img.height // 2) if horizon >= img.height else horizon))
    return _recolour(img, mask, target)


def _apply_colours(img: Image.Image, plan: _Plan) -> Image.Image:
    """Colour changes: the sky, the ground, then the subject (named or not)."""
    if plan.sky_colour:
        img = _recolour_background(img, plan.sky_colour, "sky")
    if plan.ground_colour:
        img = _recolour_background(img, plan.ground_colour, "ground")
    target = next((s.colour for s in plan.subjects if s.colour), None)
    target = target or (plan.loose_colours[-1] if plan.loose_colours else None)
    return _recolour_subject(img, plan, target) if target else img


def _free_spot(
    busy: Image.Image, zone: str, tile: tuple[int, int], rng: random.Random, anywhere: bool = False
) -> tuple[int, int]:
    """The least busy place for a tile in the zone: nine columns, a few heights (more, reaching
    to the middle, when the edit is confined to an area), near-ties by chance."""
    w, h = busy.size
    tw, th = tile
    margin = round(w * 0.04)
    left, right = margin, max(margin, w - tw - margin)
    if zone.endswith("left"):
        right = max(left, w // 2 - tw)
    elif zone.endswith("right"):
        left = min(right, w // 2)
    ys = [h * 0.05, h * 0.1] if zone.startswith("sky") else [h * 0.82 - th, h * 0.9 - th]
    if anywhere:
        ys += [h * f for f in (0.2, 0.3, 0.4)] if zone.startswith("sky") else [h * f - th for f in (0.5, 0.6, 0.7)]
    spots = [(round(left + (right - left) * k / 8), max(0, round(y))) for k in range(9) for y in ys]

    def busyness(spot: tuple[int, int]) -> float:
        x, y = spot
        return ImageStat.Stat(busy.crop((x, y, x + tw, y + th))).mean[0]

    scores = [busyness(spot) for spot in spots]
    # any spot nearly as free as the freest will do: the seed picks one, so seeds differ
    return rng.choice([spot for spot, score in zip(spots, scores, strict=True) if score <= min(scores) + 6])


def _zone(kind: str, locations: set[str]) -> str:
    """Where to add a subject: the prompt's "in the sky"/"on the ground"/"left" win over habit."""
    vertical = "sky" if "sky" in locations else "ground" if "ground" in locations else None
    vertical = vertical or ("sky" if _KINDS[kind].zone in ("sky", "backdrop") else "ground")
    side = "left" if "left" in locations else "right" if "right" in locations else ""
    return f"{vertical}-{side}"


def _add_subjects(img: Image.Image, plan: _Plan, rng: random.Random, area: Image.Image | None = None) -> Image.Image:
    """Draws the named subjects where the image is emptiest within their zone (and, given an
    `area` mask, inside it: the rest counts as busy)."""
    out = img.copy()
    found = _find_foreground(out)
    busy = found.mask if found else Image.new("L", out.size, 0)
    front = busy.copy()  # the subjects a rainbow or mountains must stay behind
    if area is not None:
        busy = ImageChops.lighter(busy, ImageChops.invert(area))
    for item in _expand(plan.subjects):
        if _KINDS[item.kind].zone == "backdrop":
            out = _add_behind(out, item, front)
            continue
        zone = _zone(item.kind, plan.locations)
        cap = out.height * (0.4 if zone.startswith("sky") else 0.6)
        tw, th = _tile_size(item, out.size, out.width * 0.45, cap)
        grow = rng.uniform(0.9, 1.1)  # a seed's additions are a little larger or smaller
        tile = (max(4, round(tw * grow)), max(4, round(th * grow)))
        x, y = _free_spot(busy, zone, tile, rng, anywhere=area is not None)
        _stamp(out, item.kind, item.colour, (x, y, *tile))
        busy.paste(255, (x, y, x + tile[0], y + tile[1]))  # the next addition goes elsewhere
    return out


def _add_behind(img: Image.Image, item: _Item, front: Image.Image) -> Image.Image:
    """Draws a backdrop subject at the horizon, then puts the `front` pixels back over it."""
    layer = img.copy()
    _paint_backdrop_subject(layer, item, _horizon(img))
    return Image.composite(img, layer, front)


def _remove_subject(img: Image.Image) -> Image.Image:
    """Paints the background back over the whole object the dominant subject belongs to."""
    hit = _dominant_blob(img, None)
    if hit is None:
        return img
    found, blob, _ = hit
    small = found.small_mask
    whole = _flood(small.tobytes(), small.width, blob[0], bytearray(small.width * small.height))
    area = _upscale(_region_mask(small.size, whole).filter(ImageFilter.MaxFilter(5)), img.size)
    out = Image.composite(_background_estimate(img), img, area.filter(ImageFilter.GaussianBlur(2)))
    out.putalpha(img.getchannel("A"))
    return out


# --- whole-image filters --------------------------------------------------------------------


def _brightness(factor: float) -> Callable[[Image.Image, list[str]], Image.Image]:
    return lambda img, words: _on_rgb(img, lambda rgb: ImageEnhance.Brightness(rgb).enhance(factor))


def _colour_balance(colour: RGB, amount: float) -> Callable[[Image.Image, list[str]], Image.Image]:
    return lambda img, words: _on_rgb(img, lambda rgb: Image.blend(rgb, Image.new("RGB", rgb.size, colour), amount))


def _night(img: Image.Image, words: list[str]) -> Image.Image:
    def moonlit(rgb: Image.Image) -> Image.Image:
        return Image.blend(ImageEnhance.Brightness(rgb).enhance(0.5), Image.new("RGB", rgb.size, (15, 25, 80)), 0.3)

    return _on_rgb(img, moonlit)


def _grayscale(img: Image.Image, words: list[str]) -> Image.Image:
    return _on_rgb(img, lambda rgb: ImageOps.grayscale(rgb).convert("RGB"))


def _sepia(img: Image.Image, words: list[str]) -> Image.Image:
    def toned(rgb: Image.Image) -> Image.Image:
        return ImageOps.colorize(ImageOps.grayscale(rgb), (40, 26, 13), (255, 240, 205), mid=(165, 125, 85))

    return _on_rgb(img, toned)


def _blur(img: Image.Image, words: list[str]) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(max(2.0, max(img.size) / 150)))


def _sharpen(img: Image.Image, words: list[str]) -> Image.Image:
    return _on_rgb(img, lambda rgb: rgb.filter(ImageFilter.UnsharpMask(radius=2, percent=160)))


def _invert(img: Image.Image, words: list[str]) -> Image.Image:
    return _on_rgb(img, ImageOps.invert)


def _contrast(img: Image.Image, words: list[str]) -> Image.Image:
    return _on_rgb(img, lambda rgb: ImageEnhance.Contrast(rgb).enhance(1.45))


def _saturation(factor: float) -> Callable[[Image.Image, list[str]], Image.Image]:
    return lambda img, words: _on_rgb(img, lambda rgb: ImageEnhance.Color(rgb).enhance(factor))


def _pixelate(img: Image.Image, words: list[str]) -> Image.Image:
    block = max(4, max(img.size) // 64)
    small = img.resize((max(1, img.width // block), max(1, img.height // block)), Image.Resampling.BOX)
    return small.resize(img.size, Image.Resampling.NEAREST)


def _flip(img: Image.Image, words: list[str]) -> Image.Image:
    """Mirrors left-right, or top-bottom when the prompt says vertically / upside down."""
    vertical = {"vertical", "vertically", "upsidedown"} & set(words)
    return ImageOps.flip(img) if vertical else ImageOps.mirror(img)


def _rotate(img: Image.Image, words: list[str]) -> Image.Image:
    """Rotates by the stated degrees (90 by default; clockwise unless told left), keeping the size."""
    degrees = next((int(w) for w in words if w.isdigit() and 0 < int(w) < 360), 90)
    anticlockwise = {"left", "counterclockwise", "anticlockwise"} & set(words)
    fill = tuple(round(v) for v in ImageStat.Stat(img).mean)  # corners take the average colour
    turned = img.rotate(degrees if anticlockwise else -degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    return ImageOps.fit(turned, img.size, Image.Resampling.BICUBIC)


_FILTERS: dict[str, Callable[[Image.Image, list[str]], Image.Image]] = {
    **dict.fromkeys(("darker", "darken", "dim", "dimmer", "dark", "gloomy", "moody"), _brightness(0.6)),
    **dict.fromkeys(("brighter", "brighten", "lighter", "lighten", "bright"), _brightness(1.35)),
    **dict.fromkeys(("night", "nighttime", "midnight"), _night),
    **dict.fromkeys(("grayscale", "greyscale", "monochrome", "bw"), _grayscale),
    **dict.fromkeys(("sepia", "vintage", "retro", "old"), _sepia),
    **dict.fromkeys(("blur", "blurry", "blurred", "soften", "soft", "dreamy"), _blur),
    **dict.fromkeys(("sharpen", "sharper", "crisp"), _sharpen),
    **dict.fromkeys(("mirror", "mirrored", "flip", "flipped", "upsidedown"), _flip),
    **dict.fromkeys(("rotate", "rotated"), _rotate),
    **dict.fromkeys(("invert", "inverted", "negative"), _invert),
    **dict.fromkeys(("contrast", "punchy"), _contrast),
    **dict.fromkeys(("saturate", "saturated", "vivid", "vibrant", "colourful", "colorful"), _saturation(1.6)),
    **dict.fromkeys(("desaturate", "muted", "faded", "washed"), _saturation(0.45)),
    **dict.fromkeys(("pixelate", "pixelated", "pixel", "8bit"), _pixelate),
    **dict.fromkeys(("warm", "warmer", "sunset", "golden"), _colour_balance((255, 150, 50), 0.18)),
    **dict.fromkeys(("cool", "cooler", "cold", "colder", "icy"), _colour_balance((60, 130, 255), 0.18)),
    "sunny": _brightness(1.15),
}


def _apply_filters(img: Image.Image, words: list[str]) -> Image.Image:
    """Every filter a word asks for, each once; "dark"/"light" before a colour are not filters."""
    applied: set[int] = set()
    for i, word in enumerate(words):
        transform = _FILTERS.get(word)
        following = words[i + 1] if i + 1 < len(words) else ""
        if transform is None or id(transform) in applied or (word in _TONE_MODIFIERS and following in _COLOURS):
            continue
        if word == "golden" and following in _NOUNS:  # "a golden star" is a colour, not a mood
            continue
        applied.add(id(transform))
        img = transform(img, words)
    return img
