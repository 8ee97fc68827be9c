"""The local engine's seeds, masks and references: every seed a different picture, masked edits
that keep every pixel outside the mask, and a reference image's palette in the result."""

from __future__ import annotations

import hashlib
import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw, ImageStat

from workers.local import edit, render
from workers.providers.base import ImageRequest, ImageResult, InputImage, ProviderError
from workers.providers.local_images import LocalImages

SIDE = 160  # big enough to tell pictures apart, small enough to render dozens quickly
SEEDS = range(8)


def sha(image: Image.Image) -> str:
    return hashlib.sha256(image.mode.encode() + image.tobytes()).hexdigest()


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute pixel difference over the RGB channels (0-255)."""
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def closest_pair(images: list[Image.Image]) -> float:
    return min(mean_difference(a, b) for a, b in itertools.combinations(images, 2))


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def generate(prompt: str, config: dict | None = None, **fields) -> list[ImageResult]:
    return LocalImages(latency=0).generate(ImageRequest(model="local", prompt=prompt, config=config or {}, **fields))


def rectangle_mask(size: tuple[int, int], box: tuple[int, int, int, int], value: int = 255) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=value)
    return mask


def polygon_mask(size: tuple[int, int]) -> Image.Image:
    """An irregular (concave) area around the middle of the picture."""
    w, h = size
    points = [(0.3, 0.35), (0.55, 0.3), (0.8, 0.5), (0.6, 0.55), (0.7, 0.9), (0.45, 0.7), (0.25, 0.85)]
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).polygon([(x * w, y * h) for x, y in points], fill=255)
    return mask


def pixels_where(image: Image.Image, mask: Image.Image, keep) -> list:  # noqa: ANN001 - a predicate
    """The image's pixel values where keep(mask value) holds, in order."""
    return [p for p, m in zip(image.get_flattened_data(), mask.get_flattened_data(), strict=True) if keep(m)]


def assert_masked_edit(original: Image.Image, edited: Image.Image, mask: Image.Image) -> None:
    """Every pixel where the mask is 0 is exactly as it was; some pixel inside it changed."""
    assert edited.size == original.size
    assert edited.mode == original.mode
    assert pixels_where(edited, mask, lambda m: m == 0) == pixels_where(original, mask, lambda m: m == 0)
    assert pixels_where(edited, mask, lambda m: m > 0) != pixels_where(original, mask, lambda m: m > 0)


# --- distinct variants ---------------------------------------------------------------------------

RENDER_PROMPTS = [
    "a red robot on a beach",
    "a cat",
    "a house at night",
    "a planet in space",
    "a sunflower in a sunny garden",
    "xyzzy plugh",  # abstract
    "something blue and calm",  # abstract with a colour
]


@pytest.mark.parametrize("prompt", RENDER_PROMPTS)
def test_eight_seeds_give_eight_visibly_different_renders(prompt):
    images = [render(prompt, width=SIDE, height=SIDE, seed=seed) for seed in SEEDS]
    assert len({sha(image) for image in images}) == len(SEEDS)
    assert closest_pair(images) > 4  # a different palette or layout, not a flipped pixel


def test_seeds_vary_a_transparent_cutout_too():
    images = [render("a red robot", width=SIDE, height=SIDE, seed=seed, transparent=True) for seed in SEEDS]
    assert len({sha(image) for image in images}) == len(SEEDS)


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=2**40), st.integers(min_value=1, max_value=9))
def test_any_two_nearby_seeds_differ_visibly(seed, gap):
    first = render("a cat in a garden", width=96, height=96, seed=seed)
    second = render("a cat in a garden", width=96, height=96, seed=seed + gap)
    assert mean_difference(first, second) > 3


def test_equal_arguments_still_give_equal_pixels():
    assert sha(render("a red robot on a beach", width=SIDE, height=SIDE, seed=3)) == sha(
        render("a red robot on a beach", width=SIDE, height=SIDE, seed=3)
    )
    source = render("a red robot", width=SIDE, height=SIDE).convert("RGB")
    mask = polygon_mask(source.size)
    assert sha(edit(source, "add a moon", seed=5, mask=mask)) == sha(edit(source, "add a moon", seed=5, mask=mask))


@pytest.fixture(scope="module")
def robot() -> Image.Image:
    return render("a red robot", width=SIDE, height=SIDE).convert("RGB")


EDIT_PROMPTS = [
    "make it blue",
    "add a small crescent moon in the sky",
    "make it darker",
    "black and white",
    "mirror it",
    "remove the robot",
    "do something nice with it",
]


@pytest.mark.parametrize("prompt", EDIT_PROMPTS)
def test_eight_seeds_give_eight_different_edits(robot, prompt):
    images = [edit(robot, prompt, seed=seed) for seed in SEEDS]
    assert len({sha(image) for image in images}) == len(SEEDS)
    assert closest_pair(images) > 0.05


@pytest.mark.parametrize("prompt", ["make it darker", "make the sky pink", "rotate 90 degrees", "pixelate"])
def test_whole_picture_edits_differ_by_a_few_levels_between_seeds(robot, prompt):
    assert closest_pair([edit(robot, prompt, seed=seed) for seed in SEEDS]) > 1.5


def test_an_addition_lands_in_different_places_for_different_seeds(robot):
    places = {ImageChops.difference(edit(robot, "add a cat", seed=seed), robot).getbbox() for seed in SEEDS}
    assert len(places) >= 4


def test_black_and_white_stays_grey_whatever_the_seed(robot):
    for seed in SEEDS:
        red, green, blue = edit(robot, "black and white", seed=seed).split()
        assert ImageChops.difference(red, green).getbbox() is None
        assert ImageChops.difference(green, blue).getbbox() is None


# --- masked edits --------------------------------------------------------------------------------

MASK_PROMPTS = ["add a crescent moon", "make it blue", "black and white", "remove the robot", "xyzzy", ""]


@pytest.mark.parametrize("prompt", MASK_PROMPTS)
@pytest.mark.parametrize("shape", ["rectangle", "polygon"])
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_a_masked_edit_changes_only_inside_the_mask(prompt, shape, mode):
    original = render("a red robot on a beach", width=SIDE, height=SIDE, transparent=mode == "RGBA")
    original = original.convert(mode)
    size = original.size
    mask = rectangle_mask(size, (20, 10, 110, 80)) if shape == "rectangle" else polygon_mask(size)
    assert_masked_edit(original, edit(original, prompt, seed=1, mask=mask), mask)


def test_a_partial_mask_changes_its_pixels_partly_and_keeps_the_zero_ones():
    original = render("a house", width=SIDE, height=SIDE).convert("RGB")
    mask = Image.linear_gradient("L").resize(original.size).crop((0, 0, SIDE, SIDE))  # 0 at the top row
    mask.paste(0, (0, 0, SIDE, SIDE // 3))
    full = edit(original, "make it darker", seed=2, mask=rectangle_mask(original.size, (0, 0, SIDE, SIDE)))
    partial = edit(original, "make it darker", seed=2, mask=mask)
    assert_masked_edit(original, partial, mask)
    row = (0, SIDE // 2, SIDE, SIDE // 2 + 1)  # mask about 128 here: about half the full change
    half, whole = (
        mean_difference(partial.crop(row), original.crop(row)),
        mean_difference(full.crop(row), original.crop(row)),
    )
    assert 0.25 * whole < half < 0.75 * whole


def test_a_mask_with_tiny_values_still_changes_something():
    original = render("a cat", width=96, height=96).convert("RGB")
    mask = rectangle_mask(original.size, (30, 30, 50, 50), value=1)
    assert_masked_edit(original, edit(original, "make it a little warmer", mask=mask), mask)


def test_add_a_moon_puts_the_moon_inside_the_masked_area(robot):
    box = (10, 5, 100, 70)  # the upper left of the sky
    mask = rectangle_mask(robot.size, box)
    edited = edit(robot, "add a crescent moon", seed=0, mask=mask)
    changed = ImageChops.difference(edited, robot).getbbox()
    assert changed is not None
    assert box[0] <= changed[0] and box[1] <= changed[1] and changed[2] <= box[2] + 1 and changed[3] <= box[3] + 1
    yellowish = [p for p in edited.crop(box).get_flattened_data() if p[0] > 200 and p[1] > 190 and p[2] < 200]
    assert len(yellowish) > 20


def test_a_recolour_inside_a_mask_acts_on_what_is_there(robot):
    left_half = rectangle_mask(robot.size, (0, 0, SIDE // 2 - 1, SIDE - 1))
    edited = edit(robot, "make the robot blue", seed=0, mask=left_half)
    body_left, body_right = (0.4, 0.5, 0.48, 0.8), (0.52, 0.5, 0.6, 0.8)

    def blue(image: Image.Image, box: tuple[float, ...]) -> float:
        return ImageStat.Stat(image.crop(tuple(round(v * SIDE) for v in box))).mean[2]

    assert blue(edited, body_left) > blue(robot, body_left) + 50
    assert blue(edited, body_right) == blue(robot, body_right)


def test_masked_edits_differ_by_seed(robot):
    mask = polygon_mask(robot.size)
    images = [edit(robot, "add a bird", seed=seed, mask=mask) for seed in SEEDS]
    assert len({sha(image) for image in images}) == len(SEEDS)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(0, 95),
    st.integers(0, 95),
    st.integers(1, 96),
    st.integers(1, 96),
    st.sampled_from(["add a star", "make it green", "blur it", "zzz"]),
)
def test_any_rectangle_mask_keeps_every_pixel_outside_it(x, y, w, h, prompt):
    original = render("a dog in the snow", width=96, height=96, seed=4).convert("RGB")
    mask = rectangle_mask(original.size, (x, y, min(95, x + w - 1), min(95, y + h - 1)))
    assert_masked_edit(original, edit(original, prompt, seed=x + y, mask=mask), mask)


def test_an_empty_mask_or_one_of_another_size_is_a_value_error(robot):
    with pytest.raises(ValueError, match="no non-zero"):
        edit(robot, "make it blue", mask=Image.new("L", robot.size, 0))
    with pytest.raises(ValueError, match="same size"):
        edit(robot, "make it blue", mask=Image.new("L", (SIDE + 1, SIDE), 255))


# --- the adapter ---------------------------------------------------------------------------------


def openai_mask(editable: Image.Image) -> bytes:
    """OpenAI's convention: black, alpha 0 where the image may change and 255 where it must not."""
    mask = Image.new("RGBA", editable.size, (0, 0, 0, 255))
    mask.putalpha(ImageChops.invert(editable))
    return png_bytes(mask)


def test_the_adapter_edits_through_an_openai_style_mask_with_n_distinct_results(robot):
    editable = polygon_mask(robot.size)
    results = generate(
        "add a crescent moon",
        {"n": 3, "seed": 11},
        input_images=(InputImage(png_bytes(robot), "image/png"),),
        mask=InputImage(openai_mask(editable), "image/png"),
    )
    assert [r.seed for r in results] == [11, 12, 13]
    assert len({r.data for r in results}) == 3
    for result in results:
        assert_masked_edit(robot, decode(result.data).convert("RGB"), editable)


def test_the_adapter_keeps_alpha_outside_the_mask_of_a_transparent_input():
    cutout = render("a red robot", width=SIDE, height=SIDE, transparent=True)
    editable = rectangle_mask(cutout.size, (40, 60, 120, 140))
    [result] = generate(
        "make it blue",
        {"background": "transparent"},
        input_images=(InputImage(png_bytes(cutout), "image/png"),),
        mask=InputImage(openai_mask(editable), "image/png"),
    )
    assert_masked_edit(cutout, decode(result.data).convert("RGBA"), editable)


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (b"not a png", "could not be decoded"),
        (openai_mask(Image.new("L", (SIDE, SIDE // 2), 255)), "is 160x80"),
        (openai_mask(Image.new("L", (SIDE, SIDE), 0)), "leaves nothing"),
    ],
)
def test_a_bad_mask_is_a_permanent_bad_request(robot, mask, message):
    with pytest.raises(ProviderError, match=message) as raised:
        generate(
            "make it blue",
            input_images=(InputImage(png_bytes(robot), "image/png"),),
            mask=InputImage(mask, "image/png"),
        )
    assert (raised.value.permanent, raised.value.kind) == (True, "bad_request")


def test_a_mask_without_an_image_to_edit_is_a_bad_request():
    with pytest.raises(ProviderError) as raised:
        generate("a cat", mask=InputImage(openai_mask(Image.new("L", (64, 64), 255)), "image/png"))
    assert raised.value.kind == "bad_request"


def test_a_second_input_image_lends_its_palette(robot):
    def edited_with(reference_colour: tuple[int, int, int]) -> Image.Image:
        reference = Image.new("RGB", (64, 64), reference_colour)
        images = (InputImage(png_bytes(robot), "image/png"), InputImage(png_bytes(reference), "image/png"))
        return decode(generate("make it brighter", {"seed": 1}, input_images=images)[0].data).convert("RGB")

    plain = decode(
        generate("make it brighter", {"seed": 1}, input_images=(InputImage(png_bytes(robot), "image/png"),))[0].data
    )
    greenish, purplish = edited_with((40, 200, 60)), edited_with((150, 40, 200))
    assert mean_difference(greenish, plain) > 5
    assert ImageStat.Stat(greenish).mean[1] > ImageStat.Stat(purplish).mean[1] + 20


# --- sizes ---------------------------------------------------------------------------------------


def test_a_portrait_size_is_honoured_exactly():
    assert render("a tall tree", width=1024, height=1536, seed=0).size == (1024, 1536)
    [result] = generate("a tall tree", {"size": "1024x1536"})
    assert decode(result.data).size == (1024, 1536)


def test_a_reference_colours_only_the_masked_area_of_a_masked_edit(robot):
    editable = rectangle_mask(robot.size, (0, 0, SIDE - 1, SIDE // 2))
    reference = Image.new("RGB", (32, 32), (200, 40, 160))
    [result] = generate(
        "make it brighter",
        input_images=(InputImage(png_bytes(robot), "image/png"), InputImage(png_bytes(reference), "image/png")),
        mask=InputImage(openai_mask(editable), "image/png"),
    )
    assert_masked_edit(robot, decode(result.data).convert("RGB"), editable)


def test_an_undecodable_reference_image_is_a_bad_request(robot):
    images = (InputImage(png_bytes(robot), "image/png"), InputImage(b"GIF89a but not really", "image/gif"))
    with pytest.raises(ProviderError, match="reference image") as raised:
        generate("make it blue", input_images=images)
    assert (raised.value.permanent, raised.value.kind) == (True, "bad_request")
