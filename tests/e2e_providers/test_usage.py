"""Usage on a live server: what the runs' run_ended / run_failed reported is what GET /api/usage sums."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from tests.e2e_providers.stack import Fakes, api_call, set_faults, stream_turn

DRAW = {
    "content": "Draw a tiny red robot watering a sunflower.",
    "llm_provider": "openai",
    "model_name": "gpt-4.1",
    "image_generation": "auto",
    "image_model_provider": "openrouter",
    "image_model_name": "google/gemini-3.1-flash-image-preview",
}


def test_usage_sums_the_tokens_images_and_cost_the_runs_reported(easel, fakes: Fakes):
    key = easel.create_api_key(f"usage-{secrets.token_hex(4)}")  # a fresh project: nothing else counted
    ended = [stream_turn(easel, key=key, **DRAW)[-1], stream_turn(easel, key=key, **DRAW)[-1]]
    set_faults(fakes.openrouter, status=500)
    failed = stream_turn(easel, key=key, **DRAW)[-1]

    today = datetime.now(UTC).date().isoformat()
    usage = api_call(easel, "GET", f"/usage?from={today}&to={today}", key=key).json()

    assert [e["type"] for e in ended] == ["run_ended", "run_ended"] and failed["type"] == "run_failed"
    (day,) = usage["days"]
    assert day["runs"] == 3 and day["images_generated"] == 2
    assert day["input_tokens"] > sum(e["input_tokens"] for e in ended), "the failed run used tokens too"
    assert day["output_tokens"] >= sum(e["output_tokens"] for e in ended)
    # gpt-4.1 tokens plus two Gemini 3.1 Flash images at ~1290 output tokens each, priced from the catalog.
    assert round(sum(e["cost_usd"] for e in ended), 6) < day["cost_usd"] < 0.2
    assert usage["totals"] == {k: day[k] for k in usage["totals"]}
    other = api_call(easel, "GET", f"/usage?from={today}&to={today}", key=easel.other_api_key).json()
    assert other["project_id"] != usage["project_id"]
