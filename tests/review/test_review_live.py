"""Against a live Easel, in both topologies: with no review policy the official SDK sees what it
always saw (its images delivered, marked `unreviewed`), and a revise streamed over SSE turns two
region comments into a pending new version that resolves them."""

from __future__ import annotations

import httpx
from backboard import BackboardClient

from designs.events import EventType
from tests.support.sse import read_all

LOCAL = dict(llm_provider="local", model_name="easel-local-agent", image_generation="auto")


async def test_with_the_policy_off_the_sdk_sees_todays_behaviour_and_a_revise_streams(easel):
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)
    headers = {"X-API-Key": easel.api_key}
    async with httpx.AsyncClient(base_url=easel.api_url, headers=headers, timeout=60) as http:
        assert (await http.get("/review/policy")).json()["required"] is False

        turn = await client.send_message("draw a tiny red robot watering a sunflower", **LOCAL)

        (media,) = turn.generated_media
        assert (media["review_status"], media["flags"]) == ("unreviewed", [])
        assert (await http.get(media["url"])).status_code == 200
        document = await client.get_document_status(media["document_id"])
        assert document.metadata_["review_status"] == "unreviewed"

        width, height = media["width"], media["height"]
        regions = [
            [{"x": 0, "y": 0, "width": width // 4, "height": height // 4}],
            [{"polygon": [[width // 2, height // 2], [width - 1, height // 2], [width - 1, height - 1]]}],
        ]
        ids = []
        for text, region in zip(("bluer sky here", "a yellow sun here"), regions, strict=True):
            made = await http.post(
                f"/documents/{media['document_id']}/comments", json={"text": text, "regions": region}
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["comment_id"])

        frames = await read_all(
            http, "POST", f"/documents/{media['document_id']}/revise", json={"comment_ids": ids, "stream": True}
        )

        kinds = [event["type"] for _id, event in frames]
        assert kinds[0] == EventType.USER_MESSAGE and kinds[-1] == EventType.RUN_ENDED, kinds
        (revised,) = [event["media"] for _id, event in frames if event["type"] == EventType.MEDIA_GENERATED]
        assert revised["input_image_document_id"] == media["document_id"]
        assert revised["review_status"] == "pending" and len(revised["edit_area"]["regions"]) == 2
        comments = (await http.get(f"/documents/{media['document_id']}/comments")).json()["comments"]
        assert {c["resolved_by_document_id"] for c in comments} == {revised["document_id"]}
        queue = (await http.get("/reviews", params={"status": "pending"})).json()["reviews"]
        assert revised["document_id"] in [item["document_id"] for item in queue]
    await client.aclose()
