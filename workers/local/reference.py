"""Reference images: a picture given alongside a prompt lends its palette to the result, which
is washed a little towards the reference's colours (its dark, middle and light tones)."""

from __future__ import annotations

from PIL import Image, ImageOps

from workers.local.palette import RGB

REFERENCE_AMOUNT = 0.25  # how far the result moves towards the reference's colours
_PALETTE_SIZE = 4


def _luma(colour: RGB) -> float:
    return 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]


def _reference_palette(reference: Image.Image) -> list[RGB]:
    """The reference's main colours, commonest first (transparent areas count as white)."""
    flat = Image.new("RGBA", reference.size, (255, 255, 255, 255))
    flat.alpha_composite(reference.convert("RGBA"))
    small = flat.convert("RGB")
    small.thumbnail((64, 64), Image.Resampling.BOX)
    quantized = small.quantize(_PALETTE_SIZE, method=Image.Quantize.MEDIANCUT)
    table = quantized.getpalette() or []
    counts = sorted(((n, i) for n, i in (quantized.getcolors() or [])), reverse=True)
    return [(table[3 * i], table[3 * i + 1], table[3 * i + 2]) for _, i in counts]


def _tint_towards(img: Image.Image, reference: Image.Image, amount: float = REFERENCE_AMOUNT) -> Image.Image:
    """`img` (RGBA) recoloured a little with the reference's palette: its shadows towards the
    reference's darkest colour, its highlights towards the lightest and its middle towards the
    commonest. Alpha is kept."""
    palette = _reference_palette(reference)
    darkest, lightest = min(palette, key=_luma), max(palette, key=_luma)
    rgb = img.convert("RGB")
    toned = ImageOps.colorize(ImageOps.grayscale(rgb), darkest, lightest, mid=palette[0])
    out = Image.blend(rgb, toned, amount).convert("RGBA")
    out.putalpha(img.getchannel("A"))
    out.info.update(img.info)
    return out
