"""The local agent answers like a product: a short reply after an image, whatever the prompt's
length, and no ids a person would have to read."""

from __future__ import annotations

import re

from backboard import BackboardClient

LOCAL = dict(llm_provider="local", model_name="easel-local-agent", image_generation="auto")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def test_a_new_image_is_answered_in_one_short_sentence_without_its_id(easel):
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)

    reply = await client.send_message("draw a tiny red robot watering a sunflower", **LOCAL)

    (image,) = reply.generated_media
    assert reply.content.startswith("Here is your image. Tell me what to change.")
    assert image["document_id"] not in reply.content and not UUID.search(reply.content)


async def test_an_edit_is_answered_as_an_edit(easel):
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)
    first = await client.send_message("draw a tiny red robot watering a sunflower", **LOCAL)

    second = await client.send_message("make it blue", thread_id=first.thread_id, **LOCAL)

    assert second.content.startswith("Here is the edited image.")
    assert not UUID.search(second.content)


async def test_a_40000_character_prompt_gets_a_reply_of_a_few_words(easel):
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)
    prompt = "draw a picture of " + " ".join(["a lighthouse on a cliff at dusk"] * 1300)
    assert len(prompt) > 40_000

    reply = await client.send_message(prompt, **LOCAL)

    assert len(reply.generated_media) == 1
    assert len(reply.content.split()) <= 12, reply.content


async def test_a_long_message_without_a_picture_is_quoted_back_at_most_200_characters(easel):
    client = BackboardClient(api_key=easel.api_key, base_url=easel.api_url)

    reply = await client.send_message("hello there " * 4000, **LOCAL)

    quoted = reply.content.split("You said: \u201c", 1)[1]
    assert len(quoted) <= 200 + 2 and quoted.endswith("\u2026\u201d.")
