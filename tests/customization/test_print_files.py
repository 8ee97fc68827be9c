"""Print files and mockups, read back with Pillow: the size, DPI, colour profile and pixels a printer
gets, and a mockup that is only ever smaller than the product it shows."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms, JpegImagePlugin

from designs.services.print_files import MIME, OutputSpec, effective_dpi, mockup, print_file

FORMATS = ("png", "jpeg", "tiff")
LOSSLESS = ("png", "tiff")
RED, BLUE, GREEN, WHITE = (220, 30, 30), (20, 40, 200), (10, 180, 60), (255, 255, 255)
AREA = (50, 60, 100, 120)  # inside a 200x240 source, scaled 3x to a 300x360 print


def encode(picture: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def source(inside=BLUE, outside=RED, mode="RGB") -> Image.Image:
    """A 200x240 product in one colour with AREA in another."""
    picture = Image.new(mode, (200, 240), outside)
    picture.paste(inside, (AREA[0], AREA[1], AREA[0] + AREA[2], AREA[1] + AREA[3]))
    return picture


def spec(fmt: str = "png", bleed: int = 0) -> OutputSpec:
    return OutputSpec(width_px=300, height_px=360, dpi=300, format=fmt, bleed_px=bleed)


def rendered(fmt: str = "png", bleed: int = 0, picture: Image.Image | None = None, **options) -> Image.Image:
    return decode(print_file(encode(picture or source()), AREA, spec(fmt, bleed), **options))


def close(pixel, expected, tolerance: int = 8) -> bool:
    """Near enough for JPEG, whose blocks shift a flat colour by a few levels."""
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], expected, strict=True))


def gradient() -> Image.Image:
    """A 200x240 product whose every pixel differs from its neighbours, so a repeated edge is visible."""
    picture = Image.new("RGB", (200, 240))
    picture.putdata([(x, y, (x + y) % 256) for y in range(240) for x in range(200)])
    return picture


def column(picture: Image.Image, x: int, top: int, bottom: int) -> bytes:
    return picture.crop((x, top, x + 1, bottom)).tobytes()


def row(picture: Image.Image, y: int) -> bytes:
    return picture.crop((0, y, picture.width, y + 1)).tobytes()


def profile_description(picture: Image.Image) -> str:
    return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(picture.info["icc_profile"])))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_print_file_without_bleed_is_the_trim_size(fmt):
    picture = rendered(fmt)

    assert picture.size == (300, 360)
    assert picture.get_format_mimetype() == MIME[fmt]


@pytest.mark.parametrize("fmt", FORMATS)
def test_bleed_adds_its_width_to_every_side(fmt):
    assert rendered(fmt, bleed=12).size == (300 + 24, 360 + 24)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_dpi_is_written_into_the_file(fmt):
    x_dpi, y_dpi = rendered(fmt).info["dpi"]

    assert x_dpi == pytest.approx(300, abs=0.5)  # PNG stores pixels per metre, so 300 comes back as 299.9994
    assert y_dpi == pytest.approx(300, abs=0.5)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_file_embeds_an_srgb_profile(fmt):
    assert "sRGB" in profile_description(rendered(fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_print_file_shows_the_area_and_nothing_outside_it(fmt):
    picture = rendered(fmt)

    for point in [(150, 180), (1, 1), (298, 1), (1, 358), (298, 358), (150, 0), (0, 180)]:
        assert close(picture.getpixel(point), BLUE), point


@pytest.mark.parametrize("fmt", LOSSLESS)
def test_the_bleed_on_the_left_takes_the_colour_of_the_left_column(fmt):
    picture = source()
    picture.paste(GREEN, (AREA[0], AREA[1], AREA[0] + 20, AREA[1] + AREA[3]))  # the area's left 20 columns

    printed = rendered(fmt, bleed=10, picture=picture)

    assert [printed.getpixel((x, 190)) for x in range(10)] == [GREEN] * 10
    assert [printed.getpixel((x, 190)) for x in range(310, 320)] == [BLUE] * 10


@pytest.mark.parametrize("fmt", LOSSLESS)
def test_every_bleed_column_and_row_repeats_the_edge_it_extends(fmt):
    bleed, printed = 7, rendered(fmt, bleed=7, picture=gradient())
    top, bottom = bleed, bleed + 360

    for x in range(bleed):
        assert column(printed, x, top, bottom) == column(printed, bleed, top, bottom)
        assert column(printed, bleed + 300 + x, top, bottom) == column(printed, bleed + 299, top, bottom)
    for y in range(bleed):
        assert row(printed, y) == row(printed, bleed)
        assert row(printed, bleed + 360 + y) == row(printed, bleed + 359)


def test_the_bleed_corners_take_the_corner_pixel():
    printed = rendered("png", bleed=5, picture=gradient())

    assert printed.getpixel((0, 0)) == printed.getpixel((5, 5))
    assert printed.getpixel((309, 369)) == printed.getpixel((304, 364))
    assert printed.getpixel((5, 5)) != printed.getpixel((304, 364))


def half_area_mask() -> Image.Image:
    """Inside the print area on the area's left half only."""
    mask = Image.new("L", (200, 240), 0)
    mask.paste(255, (AREA[0], AREA[1], AREA[0] + AREA[2] // 2, AREA[1] + AREA[3]))
    return mask


@pytest.mark.parametrize("fmt", LOSSLESS)
def test_a_mask_makes_pixels_outside_it_transparent(fmt):
    printed = rendered(fmt, mask=half_area_mask())

    assert printed.mode == "RGBA"
    assert printed.getpixel((60, 180)) == (*BLUE, 255)
    assert printed.getpixel((240, 180))[3] == 0


def test_a_mask_makes_pixels_outside_it_white_in_a_jpeg():
    printed = rendered("jpeg", mask=half_area_mask())

    assert printed.mode == "RGB"
    assert close(printed.getpixel((60, 180)), BLUE)
    assert close(printed.getpixel((240, 180)), WHITE)


def test_an_opaque_crop_is_saved_without_alpha_even_from_an_rgba_source():
    assert rendered("png", picture=source(inside=(*BLUE, 255), mode="RGBA")).mode == "RGB"


def test_a_jpeg_flattens_transparent_pixels_onto_white():
    printed = rendered("jpeg", picture=source(inside=(*BLUE, 0), mode="RGBA"))

    assert close(printed.getpixel((150, 180)), WHITE)


def test_a_jpeg_is_saved_at_full_chroma_and_a_tiff_with_lzw():
    assert JpegImagePlugin.get_sampling(rendered("jpeg")) == 0  # 4:4:4, no colour bleeding at sharp edges
    assert rendered("tiff").info["compression"] == "tiff_lzw"


def test_effective_dpi_is_the_area_pixels_over_the_printed_inches():
    output = OutputSpec(width_px=1200, height_px=1500, dpi=300, format="png")

    assert effective_dpi((400, 500), output) == 100.0
    assert effective_dpi((400, 300), output) == 60.0  # the smaller axis decides


@pytest.mark.parametrize(
    "area",
    [(50, 60, 0, 10), (50, 60, 10, -1), (-1, 0, 10, 10), (0, -1, 10, 10), (150, 0, 51, 10), (0, 200, 10, 41)],
    ids=["zero width", "negative height", "left of image", "above image", "past right edge", "past bottom edge"],
)
def test_an_area_that_is_empty_or_outside_the_image_is_refused(area):
    with pytest.raises(ValueError):
        print_file(encode(source()), area, spec())


def test_a_mask_of_another_size_is_refused():
    with pytest.raises(ValueError, match="mask"):
        print_file(encode(source()), AREA, spec(), mask=Image.new("L", (100, 100), 255))


def test_an_output_spec_reads_stored_json_and_defaults_what_is_missing():
    stored = {"width_px": 300, "height_px": 360, "dpi": 300, "format": "tiff", "note": "ignored"}

    assert OutputSpec.from_dict(stored) == OutputSpec(300, 360, 300, "tiff", bleed_px=0, min_dpi=None)
    assert OutputSpec.from_dict({**stored, "bleed_px": 9, "min_dpi": 150}).min_dpi == 150


@pytest.mark.parametrize(
    "change", [{"dpi": 71}, {"dpi": 1201}, {"format": "gif"}, {"bleed_px": -1}, {"width_px": 0}, {"dpi": None}]
)
def test_an_output_spec_refuses_values_a_printer_cannot_use(change):
    with pytest.raises(ValueError):
        OutputSpec.from_dict({"width_px": 300, "height_px": 360, "dpi": 300, "format": "png", **change})


def test_a_mockup_caps_the_long_side_and_keeps_the_shape():
    assert decode(mockup(encode(source()), max_side=100)).size == (83, 100)


def test_a_mockup_never_upscales_a_small_product():
    assert decode(mockup(encode(source()))).size == (200, 240)


def test_a_mockup_is_an_srgb_jpeg_at_72_dpi_on_white():
    picture = decode(mockup(encode(source(inside=(*BLUE, 0), mode="RGBA"))))

    assert (picture.format, picture.mode, picture.info["dpi"]) == ("JPEG", "RGB", (72, 72))
    assert "sRGB" in profile_description(picture)
    assert close(picture.getpixel((100, 120)), WHITE)
    assert close(picture.getpixel((5, 5)), RED)
