"""Images that come from the client: direct image generation on an upload, message attachments,
thread document uploads, and the service's own health and key commands."""

from __future__ import annotations

import io

import httpx
from backboard import BackboardClient
from PIL import Image

LOCAL_IMAGE = dict(image_model_provider="local", image_model_name="easel-local-painter")


def red_square(path, size=(96, 96)):
    Image.new("RGB", size, (220, 30, 30)).save(path, "PNG")
    return path


def pixels(url: str) -> Image.Image:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content)).convert("RGB")


async def test_generate_image_operation_edits_an_upload_without_the_llm(easel, tmp_path):
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)

    response = await client.send_message(
        "make it blue", operation="generate_image", input_image=str(red_square(tmp_path / "x.png")), **LOCAL_IMAGE
    )

    assert response.status == "COMPLETED"
    media = response.generated_media
    assert len(media) == 1 and media[0]["operation"] == "edit"
    upload_id = media[0]["input_image_document_id"]
    documents = await client.list_thread_documents(response.thread_id)
    assert {str(d.document_id) for d in documents} == {upload_id, media[0]["document_id"]}
    edited = pixels(media[0]["url"])
    assert edited.size == (96, 96)
    r, g, b = (sum(c) / (96 * 96) for c in zip(*edited.get_flattened_data(), strict=True))
    assert b > 30 + 40 and r < 220 - 40, "the red upload was turned towards blue"


async def test_direct_generation_with_n_images_streams_each(easel):
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)

    stream = await client.send_message(
        "a yellow star",
        operation="generate_image",
        image_config={"n": 3, "size": "128x64"},
        stream=True,
        **LOCAL_IMAGE,
    )
    chunks = [c async for c in stream]

    media = [c["media"] for c in chunks if c["type"] == "media_generated"]
    assert len(media) == 3 and len({m["document_id"] for m in media}) == 3
    assert all((m["width"], m["height"]) == (128, 64) for m in media)
    assert chunks[-1]["type"] == "run_ended" and chunks[-1]["images_generated"] == 3


async def test_attached_files_become_thread_documents_the_agent_can_edit(easel, tmp_path):
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)
    first = await client.send_message("hello", llm_provider="local")

    reply = await client.add_message(
        first.thread_id,
        "Make it blue please",
        files=[str(red_square(tmp_path / "ref.png"))],
        llm_provider="local",
        image_generation="auto",
        **LOCAL_IMAGE,
    )

    thread = await client.get_thread(first.thread_id)
    user_turn = [m for m in thread.messages if m.role == "user"][-1]
    assert len(user_turn.attachments) == 1
    attachment_id = str(user_turn.attachments[0].document_id)
    assert reply.generated_media[0]["input_image_document_id"] == attachment_id


async def test_thread_document_upload_is_listed_and_fetchable(easel, tmp_path):
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)
    first = await client.send_message("hello", llm_provider="local")

    document = await client.upload_document_to_thread(first.thread_id, str(red_square(tmp_path / "up.png")))

    assert document.status == "indexed"
    listed = await client.list_thread_documents(first.thread_id)
    assert str(document.document_id) in {str(d.document_id) for d in listed}
    assert pixels(document.metadata_["url"]).getpixel((5, 5)) == (220, 30, 30)


def test_healthz_reports_database_broker_and_storage(easel):
    body = httpx.get(f"{easel.base_url}/healthz", timeout=5).json()

    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["storage"]["ok"] and body["broker"]["ok"]
    assert body["broker"]["kind"] == ("redis" if easel.env.get("REDIS_URL") else "embedded")


def test_create_api_key_prints_a_working_key_on_the_last_line(embedded_easel):
    key = embedded_easel.create_api_key("charlie")

    assert key.startswith("esk_") and " " not in key
    ok = httpx.get(f"{embedded_easel.api_url}/threads", headers={"X-API-Key": key}, timeout=5)
    assert ok.status_code == 200 and ok.json() == []
