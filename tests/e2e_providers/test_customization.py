"""Product customization over real HTTP, with each image provider's fake and the local engine: a
template on a T-shirt photo, variants that differ from each other and leave every pixel of the
shirt outside the print area (and the label inside it) exactly as it was, failures that stay with
their variant, streaming and resume, replays, versions that pin, refine and select."""

from __future__ import annotations

import hashlib

import pytest

from tests.e2e_providers.pictures import decoded, fetch
from tests.e2e_providers.products import (
    SHIRT,
    allowed,
    customize,
    differing,
    logo,
    make_template,
    outside,
    shirt_photo,
    stream,
)
from tests.e2e_providers.stack import Fakes, api_call, logged, set_faults

PROVIDERS = [
    ("openai", "gpt-image-1"),
    ("google", "gemini-2.5-flash-image"),
    ("openrouter", "google/gemini-2.5-flash-image"),
    ("local", "easel-local-painter"),
]


def made(body: dict) -> list[dict]:
    return [v for v in body["variants"] if v["status"] == "completed"]


@pytest.mark.parametrize(("provider", "model"), PROVIDERS)
def test_a_final_customization_makes_distinct_variants_that_never_touch_the_shirt(providers_embedded, provider, model):
    easel = providers_embedded
    base = shirt_photo()
    template = make_template(easel, base=base, image_model_provider=provider, image_model_name=model)

    response = customize(easel, template["template_id"], n=3, customer_ref="order-1001")

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "completed" and body["template_version"] == 1
    variants = made(body)
    assert len(variants) == 3
    images = [fetch(v["url"]) for v in variants]
    assert len({hashlib.sha256(decoded(i).tobytes()).hexdigest() for i in images}) == 3, "variants are identical"
    shirt, area = decoded(base), allowed()
    for image in images:
        result = decoded(image)
        assert result.size == SHIRT
        assert differing(shirt, result, outside(area)) == 0, "a pixel of the shirt outside the print area changed"
        assert differing(shirt, result, logo()) == 0, "the protected label changed"
        assert differing(shirt, result, area) > 0.5 * 120 * 150, "the print area was not designed"
    for variant in variants:
        assert variant["model_provider"] == provider and variant["model_name"] == model
        assert variant["parent_document_id"] == template["base_document_id"]
        assert variant["prompt"] == "a red dragon breathing fire"
    if provider != "openai":  # OpenAI takes no seed: its n images come from one call
        assert len({v["seed"] for v in variants}) == 3


def test_a_refusal_fails_one_variant_with_its_reason_and_the_others_complete(providers_celery, fakes: Fakes):
    easel = providers_celery
    template = make_template(easel, image_model_provider="google", image_model_name="gemini-2.5-flash-image")
    set_faults(fakes.google, safety=True, fail_first=1)

    body = customize(easel, template["template_id"], n=3).json()

    assert body["status"] == "partial"
    failed = [v for v in body["variants"] if v["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["failure_reason"] == "content_policy"
    assert failed[0]["document_id"] is None and failed[0]["url"] is None
    assert len(made(body)) == 2
    assert body["usage"]["images_generated"] == 2 and body["usage"]["variants_failed"] == 1


def test_every_variant_refused_is_a_failed_customization_and_costs_nothing(providers_embedded, fakes: Fakes):
    easel = providers_embedded
    template = make_template(easel, image_model_provider="google", image_model_name="gemini-2.5-flash-image")
    set_faults(fakes.google, safety=True)

    body = customize(easel, template["template_id"], n=2).json()

    assert body["status"] == "failed"
    assert {v["failure_reason"] for v in body["variants"]} == {"content_policy"}
    assert body["usage"]["images_generated"] == 0 and body["usage"]["cost_usd"] == 0


def test_a_stream_sends_each_variant_as_it_is_made_and_resumes_from_last_event_id(providers_celery):
    easel = providers_celery
    template = make_template(easel, image_model_provider="local", image_model_name="easel-local-painter")

    events = stream(
        easel,
        "POST",
        "/customizations",
        json={"template_id": template["template_id"], "prompt": "a blue whale", "n": 3, "stream": True},
    )

    types = [e["type"] for _, e in events]
    assert types[0] == "user_message" and types[-1] == "customization_completed"
    generated = [e for _, e in events if e["type"] == "variant_generated"]
    assert sorted(e["index"] for e in generated) == [0, 1, 2]
    assert all(e["media"]["url"] and e["media"]["document_id"] for e in generated)
    customization_id = generated[0]["customization_id"]
    first_variant_id = next(i for i, e in events if e["type"] == "variant_generated")

    resumed = stream(
        easel, "GET", f"/customizations/{customization_id}/events", headers={"Last-Event-ID": first_variant_id}
    )

    later = [e for i, e in events if i > first_variant_id]
    assert [e["type"] for _, e in resumed] == [e["type"] for e in later]
    assert resumed[-1][1]["status"] == "completed"


def test_an_idempotency_key_replays_the_first_customization_without_making_it_again(providers_embedded, fakes):
    easel = providers_embedded
    template = make_template(easel, image_model_provider="google", image_model_name="gemini-2.5-flash-image")
    headers = {"Idempotency-Key": "order-2002-attempt"}

    first = customize(easel, template["template_id"], n=2, headers=headers)
    again = customize(easel, template["template_id"], n=2, headers=headers)
    other = customize(easel, template["template_id"], n=1, headers=headers)

    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["customization_id"] == first.json()["customization_id"]
    assert len(logged(fakes.google, ":generateContent")) == 2
    assert other.status_code == 422


def test_a_customization_keeps_the_template_version_it_started_from(providers_embedded):
    easel = providers_embedded
    template = make_template(easel, image_model_provider="local", image_model_name="easel-local-painter")
    tid = template["template_id"]
    before = customize(easel, tid, n=1).json()

    bigger = {"x": 60, "y": 40, "width": 200, "height": 160}
    output = {"width_px": 500, "height_px": 400, "dpi": 150, "format": "jpeg"}
    updated = api_call(easel, "PUT", f"/templates/{tid}", json={"print_area": bigger, "output": output})
    after = customize(easel, tid, n=1).json()

    assert updated.status_code == 200 and updated.json()["version"] == 2
    assert api_call(easel, "GET", f"/templates/{tid}?version=1").json()["print_area"]["width"] == 120
    assert [v["version"] for v in api_call(easel, "GET", f"/templates/{tid}/versions").json()] == [1, 2]
    assert before["template_version"] == 1 and after["template_version"] == 2
    old = api_call(
        easel,
        "GET",
        f"/customizations/{before['customization_id']}/export",
        params={"document_id": made(before)[0]["document_id"], "kind": "print"},
    )
    new = api_call(
        easel,
        "GET",
        f"/customizations/{after['customization_id']}/export",
        params={"document_id": made(after)[0]["document_id"], "kind": "print"},
    )
    assert old.headers["content-type"] == "image/png" and new.headers["content-type"] == "image/jpeg"

    archived = api_call(easel, "DELETE", f"/templates/{tid}")
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert customize(easel, tid, n=1).status_code == 409
    still = api_call(easel, "GET", f"/customizations/{before['customization_id']}")
    assert still.status_code == 200 and still.json()["status"] == "completed"


def test_refine_makes_children_of_one_variant_and_select_marks_the_chosen_one(providers_embedded):
    easel = providers_embedded
    template = make_template(easel, image_model_provider="local", image_model_name="easel-local-painter")
    body = customize(easel, template["template_id"], n=2).json()
    cid, chosen = body["customization_id"], made(body)[0]

    refined = api_call(
        easel,
        "POST",
        f"/customizations/{cid}/refine",
        json={"document_id": chosen["document_id"], "prompt": "make the dragon green", "n": 2},
    )

    assert refined.status_code == 200, refined.text
    children = [v for v in refined.json()["variants"] if v["parent_document_id"] == chosen["document_id"]]
    assert len(children) == 2 and all(v["status"] == "completed" for v in children)
    shirt = decoded(shirt_photo())
    for child in children:
        assert differing(shirt, decoded(fetch(child["url"])), outside(allowed())) == 0
    selected = api_call(
        easel, "POST", f"/customizations/{cid}/select", json={"document_id": children[1]["document_id"]}
    )
    assert selected.json()["selected_document_id"] == children[1]["document_id"]
    lineage = api_call(easel, "GET", f"/documents/{children[1]['document_id']}/lineage").json()
    assert chosen["document_id"] in str(lineage)
