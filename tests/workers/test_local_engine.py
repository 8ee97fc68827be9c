"""The offline "local" image engine (workers/local/) and its adapter: real pictures that follow the
prompt, deterministic, fast."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image, ImageChops, ImageStat

from workers.local import edit, render
from workers.providers.base import ImageRequest, ImageResult, InputImage, ProviderError
from workers.providers.local_images import LocalImages

SMALL = {"size": "256x256"}  # most checks do not need full-size pictures


def generate(prompt: str, config: dict | None = None, **request_fields) -> list[ImageResult]:
    request = ImageRequest(model="local", prompt=prompt, config=dict(config or {}), **request_fields)
    return LocalImages().generate(request)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def channel_means(image: Image.Image, box: tuple[float, float, float, float] = (0, 0, 1, 1)) -> list[float]:
    """Mean R, G, B inside a box given as fractions of the image."""
    w, h = image.size
    crop = image.convert("RGB").crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))
    return ImageStat.Stat(crop).mean


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute pixel difference over the RGB channels (0-255)."""
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def identical(a: Image.Image, b: Image.Image) -> bool:
    return ImageChops.difference(a.convert("RGBA"), b.convert("RGBA")).getbbox(alpha_only=False) is None


# --- sizes -------------------------------------------------------------------------------------


def test_generated_bytes_decode_with_pillow_at_the_configured_size():
    [result] = generate("a red robot", {"size": "640x360"})
    image = decode(result.data)
    assert (image.format, image.size) == ("PNG", (640, 360))
    assert result.mime_type == "image/png"


@pytest.mark.parametrize(
    ("aspect_ratio", "expected"),
    [("16:9", (1024, 576)), ("9:16", (576, 1024)), ("1:1", (1024, 1024)), ("4:3", (1024, 768))],
)
def test_an_aspect_ratio_shapes_the_image_with_a_1024_long_side(aspect_ratio, expected):
    [result] = generate("a house", {"aspect_ratio": aspect_ratio})
    assert decode(result.data).size == expected


def test_the_word_square_in_the_prompt_gives_a_square_image():
    [result] = generate("a square picture of a cat")
    width, height = decode(result.data).size
    assert width == height


def test_the_word_banner_in_the_prompt_gives_a_wide_image():
    [result] = generate("a banner with a boat on the sea")
    width, height = decode(result.data).size
    assert width > 2 * height


def test_the_callers_config_beats_the_llms_size_hint():
    [result] = generate("a tree", {"aspect_ratio": "16:9"}, size_hint="300x300", aspect_ratio_hint="9:16")
    assert decode(result.data).size == (1024, 576)


def test_the_llms_size_hint_is_used_when_the_config_is_silent():
    [result] = generate("a tree", size_hint="320x200")
    assert decode(result.data).size == (320, 200)


def test_4k_is_capped_at_2048_pixels_to_stay_fast():
    [result] = generate("a sun", {"size": "4K", "aspect_ratio": "16:9", "output_format": "jpeg"})
    assert decode(result.data).size == (2048, 1152)


# --- the picture follows the prompt ------------------------------------------------------------

ROBOT_BODY = (0.4, 0.5, 0.6, 0.8)  # the robot stands in the middle, its body in this box


def test_a_red_robot_is_redder_and_a_blue_robot_bluer_where_the_robot_stands():
    red = decode(generate("a red robot", SMALL)[0].data)
    blue = decode(generate("a blue robot", SMALL)[0].data)
    red_r, _, red_b = channel_means(red, ROBOT_BODY)
    blue_r, _, blue_b = channel_means(blue, ROBOT_BODY)
    assert red_r > blue_r + 40
    assert blue_b > red_b + 40


def test_a_robot_and_a_house_are_substantially_different_pictures():
    robot = decode(generate("a robot", SMALL)[0].data)
    house = decode(generate("a house", SMALL)[0].data)
    assert mean_difference(robot, house) > 8


def opaque_share(image: Image.Image, box: tuple[float, float, float, float] = (0, 0, 1, 1)) -> float:
    """The fraction of a box (fractions of the image) covered by drawn, non-transparent pixels."""
    w, h = image.size
    alpha = image.getchannel("A").crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))
    return ImageStat.Stat(alpha.point(lambda a: 255 if a > 0 else 0)).mean[0] / 255


def test_size_words_scale_the_subject():
    tiny = render("a tiny robot", width=256, height=256, transparent=True)
    huge = render("a huge robot", width=256, height=256, transparent=True)
    assert opaque_share(huge) > 4 * opaque_share(tiny) > 0


def test_two_subjects_stand_side_by_side():
    alone = render("a robot", width=256, height=256, transparent=True)
    pair = render("a robot and a house", width=256, height=256, transparent=True)
    left, right = (0, 0, 0.3, 1), (0.7, 0, 1, 1)
    assert opaque_share(alone, left) == opaque_share(alone, right) == 0  # a lone robot stands in the middle
    assert opaque_share(pair, left) > 0.05 and opaque_share(pair, right) > 0.05


def test_a_pink_sky_is_pinker_at_the_top_than_the_default_sky():
    plain = render("a robot", width=256, height=256)
    pink = render("a robot under a pink sky", width=256, height=256)
    top = (0, 0, 1, 0.3)
    assert channel_means(pink, top)[0] > channel_means(plain, top)[0] + 60


def test_a_night_scene_is_darker_than_a_sunny_one():
    night = render("a house at night", width=256, height=256)
    sunny = render("a house on a sunny day", width=256, height=256)
    assert sum(channel_means(night)) < sum(channel_means(sunny)) - 150


def test_unrecognised_prompts_get_distinct_non_blank_compositions():
    first = render("xyzzy plugh", width=256, height=256)
    second = render("frobnicate the quux", width=256, height=256)
    assert mean_difference(first, second) > 8
    assert max(ImageStat.Stat(first.convert("RGB")).stddev) > 10


# --- determinism and seeds ---------------------------------------------------------------------


def test_the_same_request_twice_gives_identical_bytes():
    assert generate("a cat in a garden", SMALL)[0].data == generate("a cat in a garden", SMALL)[0].data


def test_a_different_seed_gives_different_bytes():
    first = generate("a cat in a garden", {**SMALL, "seed": 1})[0]
    second = generate("a cat in a garden", {**SMALL, "seed": 2})[0]
    assert first.data != second.data
    assert (first.seed, second.seed) == (1, 2)


def test_n_3_gives_three_distinct_images_with_consecutive_seeds():
    results = generate("a boat on the sea", {**SMALL, "n": 3, "seed": 40})
    assert len({r.data for r in results}) == 3
    assert [r.seed for r in results] == [40, 41, 42]
    assert all(r.revised_prompt is None for r in results)


def test_render_gives_identical_pixels_for_equal_arguments():
    first = render("two birds over a forest", width=200, height=120, seed=7)
    second = render("two birds over a forest", width=200, height=120, seed=7)
    assert identical(first, second)


# --- output formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output_format", "mime_type", "pil_format"),
    [("jpeg", "image/jpeg", "JPEG"), ("jpg", "image/jpeg", "JPEG"), ("webp", "image/webp", "WEBP")],
)
def test_output_format_sets_the_mime_type_and_the_encoding(output_format, mime_type, pil_format):
    [result] = generate("a sunflower", {**SMALL, "output_format": output_format, "output_compression": 60})
    image = decode(result.data)
    assert result.mime_type == mime_type
    assert (image.format, image.size) == (pil_format, (256, 256))


def test_output_compression_trades_quality_for_size():
    best = generate("a sunflower", {**SMALL, "output_format": "jpeg", "output_compression": 95})[0]
    worst = generate("a sunflower", {**SMALL, "output_format": "jpeg", "output_compression": 10})[0]
    assert len(worst.data) < len(best.data)


def test_a_transparent_background_keeps_alpha_with_some_clear_pixels():
    [result] = generate("a red robot", {**SMALL, "background": "transparent"})
    alpha = decode(result.data).getchannel("A")
    assert alpha.getextrema() == (0, 255)  # clear around the robot, opaque on it


def test_without_a_transparent_background_every_pixel_is_opaque():
    image = decode(generate("a red robot", SMALL)[0].data).convert("RGBA")
    assert image.getchannel("A").getextrema() == (255, 255)


# --- edits -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def red_robot() -> Image.Image:
    return render("a red robot", width=256, height=256).convert("RGB")


def edit_through_provider(image: Image.Image, prompt: str) -> Image.Image:
    [result] = generate(prompt, input_images=(InputImage(png_bytes(image), "image/png"),))
    return decode(result.data)


def test_make_it_blue_on_a_red_robot_raises_the_blue_mean_and_keeps_the_size(red_robot):
    edited = edit_through_provider(red_robot, "make it blue")
    assert edited.size == red_robot.size
    assert channel_means(edited)[2] > channel_means(red_robot)[2] + 3
    assert channel_means(edited, ROBOT_BODY)[2] > channel_means(red_robot, ROBOT_BODY)[2] + 60  # the robot itself


def test_adding_a_small_crescent_moon_in_the_sky_changes_mostly_the_upper_half(red_robot):
    edited = edit_through_provider(red_robot, "add a small crescent moon in the sky")
    change = ImageChops.difference(edited.convert("RGB"), red_robot).convert("L")
    w, h = change.size
    upper = ImageStat.Stat(change.crop((0, 0, w, h // 2))).sum[0]
    lower = ImageStat.Stat(change.crop((0, h // 2, w, h))).sum[0]
    assert upper > 0
    assert upper > 5 * lower


EDITS = [
    "make it darker",
    "black and white",
    "blur it",
    "mirror it",
    "rotate 90 degrees",
    "make it night",
    "remove the robot",
    "make the sky pink",
    "pixelate",
    "turn the robot green and add two birds",
]


@pytest.mark.parametrize("prompt", EDITS)
def test_each_kind_of_edit_changes_the_image_and_keeps_its_size(red_robot, prompt):
    edited = edit(red_robot, prompt)
    assert edited.size == red_robot.size
    assert mean_difference(edited, red_robot) > 0.5


def test_black_and_white_leaves_no_colour(red_robot):
    red, green, blue = edit(red_robot, "make it black and white").convert("RGB").split()
    assert ImageChops.difference(red, green).getbbox() is None
    assert ImageChops.difference(green, blue).getbbox() is None


@pytest.mark.parametrize("prompt", ["", "do something nice with it", "mirror it"])
def test_an_edit_never_returns_the_input_unchanged_even_when_nothing_applies(prompt):
    flat = Image.new("RGB", (120, 80), (90, 140, 200))  # mirroring a flat image changes nothing by itself
    assert not identical(edit(flat, prompt), flat)


def test_an_edit_keeps_an_input_alpha_channel_when_the_background_is_transparent():
    cutout = render("a red robot", width=128, height=128, transparent=True)
    request = ImageRequest(
        model="local",
        prompt="make it blue",
        config={"background": "transparent"},
        input_images=(InputImage(png_bytes(cutout), "image/png"),),
    )
    edited = decode(LocalImages().generate(request)[0].data)
    assert edited.mode == "RGBA" and edited.getchannel("A").getextrema()[0] == 0


def test_an_undecodable_input_image_is_a_permanent_bad_request():
    with pytest.raises(ProviderError) as raised:
        generate("make it blue", input_images=(InputImage(b"definitely not a picture", "image/png"),))
    assert raised.value.permanent is True
    assert raised.value.kind == "bad_request"


# --- the provider contract ---------------------------------------------------------------------


def test_the_provider_is_named_local_and_ignores_its_settings():
    assert LocalImages.name == "local"
    assert LocalImages(settings=object()).generate(ImageRequest(model="local", prompt="a heart", config=SMALL))


def test_cancelling_stops_between_images():
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 1  # let the first image through, then cancel

    request = ImageRequest(model="local", prompt="a fish", config={**SMALL, "n": 4})
    assert len(LocalImages().generate(request, cancelled=cancelled)) == 1


def test_rendering_a_1024_square_takes_well_under_half_a_second():
    timings = []
    for seed in range(3):
        started = time.perf_counter()
        render("a red robot watering a sunflower in a sunny garden", width=1024, height=1024, seed=seed)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.25


def test_an_edit_recolours_the_named_subject_not_the_largest_one():
    from workers.providers.base import ImageRequest, InputImage
    from workers.providers.local_images import LocalImages

    painter = LocalImages(latency=0)
    first = painter.generate(
        ImageRequest(model="m", prompt="a tiny red robot next to a yellow sunflower", config={"size": "256x256"})
    )[0]
    edited = painter.generate(
        ImageRequest(model="m", prompt="Make the robot blue", input_images=(InputImage(first.data, "image/png"),))
    )[0]

    before = Image.open(io.BytesIO(first.data)).convert("RGB")
    after = Image.open(io.BytesIO(edited.data)).convert("RGB")
    red_before = sum(1 for r, g, b in before.get_flattened_data() if r > 150 and g < 90 and b < 90)
    red_after = sum(1 for r, g, b in after.get_flattened_data() if r > 150 and g < 90 and b < 90)
    yellow_before = sum(1 for r, g, b in before.get_flattened_data() if r > 180 and g > 150 and b < 90)
    yellow_after = sum(1 for r, g, b in after.get_flattened_data() if r > 180 and g > 150 and b < 90)
    assert red_after < red_before * 0.2, "the red robot is no longer red"
    assert yellow_after > yellow_before * 0.8, "the yellow sunflower kept its colour"
