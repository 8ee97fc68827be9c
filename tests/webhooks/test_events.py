"""What a subscriber receives, over real HTTP from a live Easel in both topologies: every event
signed (the Standard Webhooks library verifies each one), in the shapes the API itself answers."""

from __future__ import annotations

from tests.e2e_providers.products import customize, make_template
from tests.webhooks.hooks import Hooks, api, document_of, generate


def test_a_customization_of_three_delivers_three_signed_variants_and_its_completion(hooks: Hooks):
    receiver = hooks.receiver()
    endpoint = hooks.subscribe(receiver, "variant.generated", "customization.completed", "customization.failed")
    template = make_template(hooks.easel)

    response = customize(hooks.easel, template["template_id"], n=3, tier="preview")

    assert response.status_code == 201, response.text
    customization = api(hooks.easel, "GET", f"/customizations/{response.json()['customization_id']}").json()
    variants = [r.verified(endpoint["secret"]) for r in receiver.wait_for(3, kind="variant.generated")]
    completed = receiver.wait_for(1, kind="customization.completed")[0].verified(endpoint["secret"])
    expected = {(v["variant_id"], v["document_id"], v["index"]) for v in customization["variants"]}
    assert len(expected) == 3 and all(document for _, document, _ in expected)
    assert {(e["data"]["variant_id"], e["data"]["document_id"], e["data"]["index"]) for e in variants} == expected
    assert all(e["data"]["status"] == "completed" and e["data"]["run_id"] for e in variants)
    assert completed["data"]["customization_id"] == customization["customization_id"]
    assert completed["data"]["status"] == customization["status"] == "completed"
    assert {(v["variant_id"], v["document_id"], v["index"]) for v in completed["data"]["variants"]} == expected
    assert all(e["project_id"] == completed["project_id"] for e in variants)
    assert receiver.of_type("customization.failed") == []


def test_a_direct_generation_delivers_its_image_and_the_run_s_completion(hooks: Hooks):
    receiver = hooks.receiver()
    endpoint = hooks.subscribe(receiver, "image.generated", "run.completed")

    answer = generate(hooks.easel)

    image = receiver.wait_for(1, kind="image.generated")[0].verified(endpoint["secret"])
    run = receiver.wait_for(1, kind="run.completed")[0].verified(endpoint["secret"])
    assert image["data"]["document_id"] == document_of(answer)
    assert image["data"]["run_id"] == run["data"]["run_id"] == answer["run_id"]
    assert run["data"]["status"] == "completed" and run["data"]["document_ids"] == [document_of(answer)]
    assert image["id"].startswith("msg_") and image["id"] != run["id"]


def test_a_review_decision_and_a_deletion_are_delivered_with_the_document_id(hooks: Hooks):
    receiver = hooks.receiver()
    endpoint = hooks.subscribe(receiver, "review.decided", "document.deleted")
    document_id = document_of(generate(hooks.easel))

    decided = api(hooks.easel, "POST", f"/documents/{document_id}/review", json={"decision": "approved"})
    deleted = api(hooks.easel, "DELETE", f"/documents/{document_id}")

    assert decided.status_code == 200, decided.text
    assert deleted.status_code == 200, deleted.text
    review = receiver.wait_for(1, kind="review.decided")[0].verified(endpoint["secret"])
    deletion = receiver.wait_for(1, kind="document.deleted")[0].verified(endpoint["secret"])
    assert review["data"]["document_id"] == deletion["data"]["document_id"] == document_id
    assert review["data"]["review_status"] == decided.json()["review_status"]
    assert review["data"]["decision"]["decision"] == "approved"
    assert len(receiver.received) == 2, "only the two subscribed events (no image.generated, no run.completed)"
