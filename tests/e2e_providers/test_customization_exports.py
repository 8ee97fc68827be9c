"""What a storefront hands to production and what it refuses: print files at the template's size,
DPI and colour profile, mockups, the preview tier's fast small variants, review gating, and bad
input answered with a 4xx that stores nothing and calls no provider."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from tests.e2e_providers.pictures import decoded, fetch, photo
from tests.e2e_providers.products import (
    AREA,
    LOGO,
    OUTPUT,
    customize,
    differing,
    make_template,
    outside,
)
from tests.e2e_providers.stack import Fakes, api_call, logged

LOCAL = {"image_model_provider": "local", "image_model_name": "easel-local-painter"}


def first_made(body: dict) -> dict:
    return next(v for v in body["variants"] if v["status"] == "completed")


def export(easel, customization: dict, kind: str = "print", key: str | None = None):
    params = {"document_id": first_made(customization)["document_id"], "kind": kind}
    return api_call(easel, "GET", f"/customizations/{customization['customization_id']}/export", key=key, params=params)


@pytest.mark.parametrize(("fmt", "mime"), [("png", "image/png"), ("jpeg", "image/jpeg"), ("tiff", "image/tiff")])
def test_the_print_file_has_the_output_size_with_bleed_its_dpi_and_an_srgb_profile(providers_embedded, fmt, mime):
    easel = providers_embedded
    template = make_template(easel, output={**OUTPUT, "format": fmt}, **LOCAL)
    customization = customize(easel, template["template_id"], n=1).json()

    response = export(easel, customization)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == mime
    assert "attachment" in response.headers["content-disposition"]
    with Image.open(io.BytesIO(response.content)) as printed:
        assert printed.size == (480 + 2 * 12, 600 + 2 * 12)
        assert printed.info["dpi"] == pytest.approx((300, 300), abs=0.5)
        profile = ImageCms.ImageCmsProfile(io.BytesIO(printed.info["icc_profile"]))
        assert "sRGB" in ImageCms.getProfileDescription(profile)
        if fmt != "jpeg":  # the label inside the print area is the shirt's, not print: left out
            alpha = printed.convert("RGBA").getchannel("A")
            label = (12 + (LOGO["x"] - AREA["x"] + 5) * 4, 12 + (LOGO["y"] - AREA["y"] + 5) * 4)
            assert alpha.getpixel(label) == 0 and alpha.getpixel((12 + 8, 12 + 300)) == 255


def test_the_mockup_is_the_whole_product_with_the_design(providers_embedded):
    easel = providers_embedded
    template = make_template(easel, **LOCAL)
    customization = customize(easel, template["template_id"], n=1).json()

    response = export(easel, customization, "mockup")

    assert response.headers["content-type"] == "image/jpeg"
    mockup, variant = decoded(response.content), decoded(fetch(first_made(customization)["url"]))
    assert mockup.size == variant.size
    # JPEG blurs the photo's pixel noise; 8x8 averages are what a viewer sees.
    seen, meant = mockup.reduce(8).tobytes(), variant.reduce(8).tobytes()
    difference = sum(abs(a - b) for a, b in zip(seen, meant, strict=True)) / len(meant)
    assert difference < 6, f"the mockup is not the variant (mean difference {difference:.1f})"


def test_a_print_file_with_too_few_pixels_for_min_dpi_is_refused_as_low_resolution(providers_embedded):
    easel = providers_embedded
    template = make_template(easel, output={**OUTPUT, "min_dpi": 150}, **LOCAL)
    customization = customize(easel, template["template_id"], n=1).json()

    response = export(easel, customization)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "low_resolution" and body["effective_dpi"] == 75.0 and body["min_dpi"] == 150
    assert "75 DPI" in body["detail"]


def test_the_preview_tier_is_small_and_fast_and_still_leaves_the_shirt_alone(providers_embedded):
    easel = providers_embedded
    big = photo(1024, 768, seed=11)
    area = {"x": 320, "y": 180, "width": 384, "height": 480}
    output = {"width_px": 1536, "height_px": 1920, "dpi": 300, "min_dpi": 72}  # 75 DPI at full size
    template = make_template(easel, base=big, print_area=area, output=output, protect_regions=[], **LOCAL)

    body = customize(easel, template["template_id"], n=4, tier="preview").json()

    assert body["status"] == "completed" and body["tier"] == "preview"
    variants = [v for v in body["variants"] if v["status"] == "completed"]
    assert len(variants) == 4 and all(v["width"] == 512 and v["height"] == 384 for v in variants)
    preview_base = api_call(easel, "GET", f"/documents/{variants[0]['parent_document_id']}/content").content
    small = Image.new("L", (1024, 768), 0)
    small.paste(255, (320, 180, 704, 660))
    small = small.resize((512, 384), Image.Resampling.NEAREST)
    for variant in variants:
        assert differing(decoded(preview_base), decoded(fetch(variant["url"])), outside(small)) == 0
    refused = export(easel, body)
    assert refused.status_code == 422 and refused.json()["effective_dpi"] == 37.5, "a preview is not print-ready"


def test_a_project_that_gates_delivery_refuses_the_export_of_an_unapproved_variant(providers_embedded):
    easel, key = providers_embedded, providers_embedded.other_api_key  # project bravo: its policy is its own
    template = make_template(easel, key=key, **LOCAL)
    policy = api_call(easel, "PUT", "/review/policy", key=key, json={"required": True, "gate_delivery": True})
    assert policy.status_code == 200, policy.text
    try:
        customization = customize(easel, template["template_id"], key=key, n=1).json()
        refused = export(easel, customization, key=key)
        variant = first_made(customization)
        decided = api_call(
            easel, "POST", f"/documents/{variant['document_id']}/review", key=key, json={"decision": "approved"}
        )
        allowed_now = export(easel, customization, key=key)
    finally:
        api_call(easel, "PUT", "/review/policy", key=key, json={"required": False, "gate_delivery": False})

    assert variant["review_status"] == "pending"
    assert refused.status_code == 403 and refused.json()["blockers"]
    assert decided.status_code == 200 and allowed_now.status_code == 200


BAD_TEMPLATES = [
    ({"print_area": {"x": 300, "y": 10, "width": 100, "height": 100}}, "not inside the 320x240 base"),
    ({"print_area": {"x": 10, "y": 10, "width": 0, "height": 100}}, "at least one pixel"),
    ({"output": {**OUTPUT, "format": "bmp"}}, "output.format"),
    ({"output": {**OUTPUT, "dpi": 50}}, "outside 72..1200"),
    ({"output": {**OUTPUT, "dpi": 5000}}, "outside 72..1200"),
    ({"output": {**OUTPUT, "width_px": 600, "height_px": 600}}, "must match within 1%"),
    ({"max_variants": 9}, "outside 1..8"),
    ({"image_model_provider": "local", "image_model_name": "no-such-model"}, "Unknown image model"),
]


@pytest.mark.parametrize(("change", "says"), BAD_TEMPLATES)
def test_a_template_with_bad_geometry_or_output_is_refused_and_nothing_is_stored(
    providers_embedded, fakes: Fakes, change, says
):
    easel = providers_embedded
    template = make_template(easel, **LOCAL)

    def templates() -> list[tuple[str, int]]:  # ids and versions (signed URLs change with the clock)
        return [
            (t["template_id"], t["version"]) for t in api_call(easel, "GET", "/templates?include_archived=true").json()
        ]

    before = templates()
    documents = len(api_call(easel, "GET", "/documents?limit=500").json())

    created = api_call(
        easel,
        "POST",
        "/templates",
        json={
            "name": "bad",
            "base_document_id": template["base_document_id"],
            "print_area": AREA,
            "output": OUTPUT,
            **change,
        },
    )
    updated = api_call(easel, "PUT", f"/templates/{template['template_id']}", json=change)

    for response in (created, updated):
        assert response.status_code == 400 and says in response.json()["detail"], response.text
    assert templates() == before
    assert api_call(easel, "GET", f"/templates/{template['template_id']}").json()["version"] == 1
    assert len(api_call(easel, "GET", "/documents?limit=500").json()) == documents


def test_ids_of_another_project_or_customization_are_not_found_and_cost_nothing(providers_embedded, fakes: Fakes):
    easel = providers_embedded
    ours = make_template(easel, **LOCAL)
    theirs = make_template(easel, key=easel.other_api_key, **LOCAL)
    mine = customize(easel, ours["template_id"], n=1).json()
    other = customize(easel, ours["template_id"], n=1).json()
    cid = mine["customization_id"]
    for provider in (fakes.openai, fakes.google, fakes.openrouter):
        provider.reset() if hasattr(provider, "reset") else None

    answers = [
        customize(easel, theirs["template_id"], n=1),
        api_call(
            easel,
            "POST",
            "/templates",
            json={"name": "x", "base_document_id": theirs["base_document_id"], "print_area": AREA, "output": OUTPUT},
        ),
        api_call(easel, "GET", f"/templates/{theirs['template_id']}"),
        api_call(
            easel,
            "POST",
            f"/customizations/{cid}/refine",
            json={"document_id": first_made(other)["document_id"], "prompt": "green"},
        ),
        api_call(
            easel, "POST", f"/customizations/{cid}/select", json={"document_id": first_made(other)["document_id"]}
        ),
        api_call(easel, "GET", f"/customizations/{cid}/export", params={"document_id": ours["base_document_id"]}),
        api_call(easel, "GET", f"/customizations/{other['customization_id']}", key=easel.other_api_key),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers), [a.text for a in answers]
    assert customize(easel, ours["template_id"], n=9).status_code == 400
    assert len(api_call(easel, "GET", f"/customizations?template_id={ours['template_id']}").json()) == 2
    assert not logged(fakes.openai) and not logged(fakes.google)


def test_a_model_answer_too_small_for_the_print_fails_its_variant_as_low_resolution(providers_embedded):
    easel = providers_embedded
    flat = io.BytesIO()
    Image.new("RGB", (2400, 1800), (240, 240, 236)).save(flat, "PNG")
    area = {"x": 400, "y": 100, "width": 1600, "height": 1600}
    output = {"width_px": 1600, "height_px": 1600, "dpi": 300, "min_dpi": 200}  # the area itself prints at 300
    template = make_template(
        easel,
        base=flat.getvalue(),
        print_area=area,
        output=output,
        protect_regions=[],
        image_model_provider="google",
        image_model_name="gemini-2.5-flash-image",
    )

    body = customize(easel, template["template_id"], n=1).json()

    (variant,) = body["variants"]
    assert body["status"] == "failed" and variant["failure_reason"] == "low_resolution", variant
    assert "DPI" in variant["failure_message"] and body["usage"]["images_generated"] == 0
