"""Looking at an existing image (for edits): the foreground, the dominant subject's blob and
mask, the colour test that picks it out, and a guess at the background behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter

_ANALYSIS_SIDE = 160  # masks are found on a thumbnail: fast, and photo noise averages out
_EDGE_DIFF = 60  # colour distance from both edges of its row that makes a pixel "subject"
_CHROMA = 70  # HSV saturation (0-255) above which a pixel has a hue worth matching
_HUE_TOLERANCE = 18  # on Pillow's 0-255 hue scale, about 25 degrees


def _lut(test: Callable[[int], bool]) -> list[int]:
    """A 256-entry point() table: 255 where `test` holds, else 0."""
    return [255 if test(v) else 0 for v in range(256)]


def _count(mask: Image.Image) -> int:
    """How many pixels of a binary mask are set."""
    return mask.histogram()[255]


def _colour_distance(a: Image.Image, b: Image.Image) -> Image.Image:
    """Per-pixel sum of the channel differences (clipped at 255)."""
    red, green, blue = ImageChops.difference(a, b).split()
    return ImageChops.add(ImageChops.add(red, green), blue)


def _edge_columns(rgb: Image.Image) -> tuple[Image.Image, Image.Image]:
    """Each row's left and right edge colours stretched across the image."""
    w, h = rgb.size
    strip = max(1, w // 80)
    left = rgb.crop((0, 0, strip, h)).resize((1, h), Image.Resampling.BOX).resize((w, h), Image.Resampling.NEAREST)
    right = rgb.crop((w - strip, 0, w, h)).resize((1, h), Image.Resampling.BOX).resize((w, h), Image.Resampling.NEAREST)
    return left, right


def _foreground(small: Image.Image) -> Image.Image:
    """Pixels unlike both edges of their row: sky and ground run edge to edge, subjects don't."""
    left, right = _edge_columns(small)
    distance = ImageChops.darker(_colour_distance(small, left), _colour_distance(small, right))
    return distance.point(_lut(lambda v: v > _EDGE_DIFF))


def _thumbnail(img: Image.Image) -> Image.Image:
    """An RGB copy at most _ANALYSIS_SIDE pixels on its long side."""
    small = img.convert("RGB")
    small.thumbnail((_ANALYSIS_SIDE, _ANALYSIS_SIDE), Image.Resampling.BOX)
    return small


def _upscale(mask: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A small binary mask scaled up to `size`, still binary."""
    return mask.resize(size, Image.Resampling.BILINEAR).point(_lut(lambda v: v >= 128))


def _hue_distance(a: int, b: int) -> int:
    d = abs(a - b) % 256
    return min(d, 256 - d)


def _dominant_hue(histogram: list[int], prefer: int | None) -> int:
    """The most common hue (smoothed); a preferred hue wins if it is at least a quarter as common."""
    smooth = [sum(histogram[(i + d) % 256] for d in range(-6, 7)) for i in range(256)]
    best = max(range(256), key=smooth.__getitem__)
    if prefer is not None:
        near = max((i for i in range(256) if _hue_distance(i, prefer) <= _HUE_TOLERANCE), key=smooth.__getitem__)
        if smooth[near] >= 0.25 * smooth[best]:
            return near
    return best


@dataclass(frozen=True)
class _Foreground:
    """Where the subjects are: on the analysis thumbnail (grown a little) and at full size."""

    thumbnail: Image.Image
    small_mask: Image.Image
    mask: Image.Image


def _find_foreground(img: Image.Image) -> _Foreground | None:
    """The foreground masks, or None when there is no clear subject (nothing, or everything)."""
    small = _thumbnail(img)
    fg = _foreground(small)
    coverage = _count(fg) / (fg.width * fg.height)
    if not 0.003 < coverage < 0.85:
        return None
    grown = fg.filter(ImageFilter.MaxFilter(3))  # joins a subject's parts across thin outlines
    return _Foreground(small, grown, _foreground(img.convert("RGB")))


_MaskMaker = Callable[[Image.Image, Image.Image], Image.Image]  # (hue band, saturation band) -> mask


def _colour_test(found: _Foreground, prefer_hue: int | None) -> _MaskMaker:
    """A mask maker (hue band, saturation band -> mask) for the foreground's commonest colour."""
    small_h, small_s, _ = found.thumbnail.convert("HSV").split()
    chroma = ImageChops.multiply(found.small_mask, small_s.point(_lut(lambda v: v >= _CHROMA)))
    if _count(chroma) < 0.3 * max(1, _count(found.small_mask)):
        # mostly grey or white (a steel robot, a snowman): its unsaturated pixels
        return lambda hue, sat: sat.point(_lut(lambda v: v < _CHROMA))
    target = _dominant_hue(small_h.histogram(mask=chroma), prefer_hue)
    in_hue = _lut(lambda v: _hue_distance(v, target) <= _HUE_TOLERANCE)
    return lambda hue, sat: ImageChops.multiply(hue.point(in_hue), sat.point(_lut(lambda v: v >= _CHROMA)))


def _flood(data: bytes, width: int, start: int, seen: bytearray) -> list[int]:
    """Pixel indices of the 4-connected non-zero region of `data` that contains `start`."""
    seen[start] = 1
    region, stack = [], [start]
    while stack:
        i = stack.pop()
        region.append(i)
        x = i % width
        for j in (i - width, i + width, i - 1 if x > 0 else -1, i + 1 if x < width - 1 else -1):
            if 0 <= j < len(data) and data[j] and not seen[j]:
                seen[j] = 1
                stack.append(j)
    return region


def _largest_blob(mask: Image.Image) -> list[int]:
    """The biggest connected region of a small binary mask (plain flood fills: it is tiny)."""
    data, seen = mask.tobytes(), bytearray(mask.width * mask.height)
    best: list[int] = []
    for start in range(len(data)):
        if data[start] and not seen[start]:
            region = _flood(data, mask.width, start, seen)
            best = region if len(region) > len(best) else best
    return best


def _region_mask(size: tuple[int, int], region: list[int]) -> Image.Image:
    """A binary mask with the given pixel indices set."""
    pixels = bytearray(size[0] * size[1])
    for i in region:
        pixels[i] = 255
    return Image.frombytes("L", size, bytes(pixels))


def _dominant_blob(img: Image.Image, prefer_hue: int | None) -> tuple[_Foreground, list[int], _MaskMaker] | None:
    """The foreground, the dominant subject's pixels on its thumbnail, and its colour test."""
    found = _find_foreground(img)
    if found is None:
        return None
    test = _colour_test(found, prefer_hue)
    small_h, small_s, _ = found.thumbnail.convert("HSV").split()
    matching = ImageChops.multiply(test(small_h, small_s), found.small_mask)
    # grown first, so parts with a thin gap between them (a robot's arms) count as one subject
    blob = _largest_blob(matching.filter(ImageFilter.MaxFilter(3)))
    return (found, blob, test) if blob else None


def _subject_mask(img: Image.Image, prefer_hue: int | None = None) -> Image.Image | None:
    """The dominant subject: the largest foreground blob of the foreground's commonest colour."""
    hit = _dominant_blob(img, prefer_hue)
    if hit is None:
        return None
    found, blob, test = hit
    near = _region_mask(found.thumbnail.size, blob).filter(ImageFilter.MaxFilter(5))
    hue, sat, _ = img.convert("RGB").convert("HSV").split()
    # the thumbnail says roughly where; the full-size colour and edge tests draw the outline
    mask = ImageChops.multiply(ImageChops.multiply(test(hue, sat), found.mask), _upscale(near, img.size))
    return mask if _count(mask) > 0 else None


def _background_estimate(img: Image.Image) -> Image.Image:
    """What lies behind the subjects, guessed by blending each row's edge colours across it."""
    rgb = img.convert("RGB")
    left, right = _edge_columns(rgb)
    across = Image.linear_gradient("L").rotate(90).resize(rgb.size, Image.Resampling.BILINEAR)
    return Image.composite(right, left, across).convert("RGBA")  # 255 at the right edge
