"""Moderation and refusals on a live server, over HTTP, in both topologies.

A project with blocked terms and gated delivery: an image whose prompt names a term is `pending`
with its flag in the media object, its signed URLs answer 403 with the flag among the blockers
(an admin key still fetches it at /content), the audit trail has the flag, and an approval opens
the URLs. A provider's refusal is a `media_failed` with its reason code, an audit entry `refused`,
and no generated image. Each test works in a fresh project, so no other test meets its policy.
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime

import httpx

from tests.e2e_providers.stack import Fakes, api_call, of_type, set_faults, stream_turn, turn

DIRECT_OPENAI = {"operation": "generate_image", "image_model_provider": "openai", "image_model_name": "gpt-image-1"}
CHAT_OPENAI = {
    "llm_provider": "openai",
    "model_name": "gpt-4.1",
    "image_generation": "auto",
    "image_model_provider": "openai",
    "image_model_name": "gpt-image-1",
}


def fresh_project(easel, name: str) -> str:
    return easel.create_api_key(f"{name}-{secrets.token_hex(4)}")


def audit(easel, key: str, **query: str) -> list[dict]:
    response = api_call(easel, "GET", "/audit", key=key, params=query)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def test_a_blocked_term_holds_the_image_back_until_it_is_approved(easel):
    key = fresh_project(easel, "moderated")
    policy = api_call(
        easel, "PUT", "/review/policy", key=key, json={"gate_delivery": True, "blocked_terms": ["dragon"]}
    )
    assert policy.status_code == 200, policy.text

    answer = turn(easel, key=key, content="A red dragon flying a kite over the sea", **DIRECT_OPENAI)
    assert answer.status_code == 200, answer.text
    [media] = answer.json()["generated_media"]

    assert media["review_status"] == "pending"
    assert [(f["code"], f["label"]) for f in media["flags"]] == [("blocked_term", "Blocked term: dragon")]
    for url in (media["url"], media["thumbnail_url"]):
        refused = httpx.get(url, timeout=30)
        assert refused.status_code == 403, refused.text
        body = refused.json()
        assert body["review_status"] == "pending" and "flag: Blocked term: dragon" in body["blockers"]
    content = api_call(easel, "GET", f"/documents/{media['document_id']}/content", key=key)
    assert content.status_code == 200 and content.headers["content-type"].startswith("image/")

    [flagged] = audit(easel, key, document_id=media["document_id"])
    assert (flagged["action"], flagged["via"], flagged["actor"]) == ("flagged", "system", "Easel")
    assert flagged["reason_code"] == "blocked_term" and "dragon" in flagged["prompt"]

    decided = api_call(
        easel, "POST", f"/documents/{media['document_id']}/review", key=key, json={"decision": "approved"}
    )
    assert decided.status_code == 200, decided.text
    for url in (media["url"], media["thumbnail_url"]):
        assert httpx.get(url, timeout=30).status_code == 200

    export = api_call(easel, "GET", "/audit", key=key, params={"format": "csv"})
    assert export.status_code == 200 and export.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [(r["action"], r["to_status"]) for r in rows] == [
        ("decided", "approved"),
        ("flagged", "pending"),
        ("policy_updated", ""),
    ]


def test_without_gating_a_flagged_image_is_pending_but_delivered(easel):
    key = fresh_project(easel, "flag-only")
    api_call(easel, "PUT", "/review/policy", key=key, json={"blocked_terms": ["dragon"]}).raise_for_status()

    [media] = turn(easel, key=key, content="A dragon", **DIRECT_OPENAI).json()["generated_media"]

    assert media["review_status"] == "pending" and media["flags"]
    assert httpx.get(media["url"], timeout=30).status_code == 200


def test_a_provider_refusal_is_audited_with_its_reason_code_and_counts_no_image(easel, fakes: Fakes):
    key = fresh_project(easel, "refused")
    set_faults(fakes.openai, safety=True, only="/images/")

    events = stream_turn(easel, key=key, content="Draw a tiny red robot watering a sunflower.", **CHAT_OPENAI)

    (failure,) = of_type(events, "media_failed")
    assert failure["reason_code"] == "content_policy"
    assert not of_type(events, "media_generated") and events[-1]["type"] == "run_ended"
    [refusal] = audit(easel, key, action="refused")
    assert (refusal["reason_code"], refusal["via"], refusal["document_id"]) == ("content_policy", "system", None)
    assert refusal["model"] == "openai/gpt-image-1" and refusal["prompt"]
    today = datetime.now(UTC).date().isoformat()
    usage = api_call(easel, "GET", f"/usage?from={today}&to={today}", key=key).json()
    assert usage["totals"]["runs"] == 1 and usage["totals"]["images_generated"] == 0
    documents = api_call(easel, "GET", "/documents", key=key).json()
    assert documents["total"] == 0
