# The launch post's image-to-image example, as published; only the API key and base URL are
# changed (the post's snippet omits its imports and relies on the earlier examples' ones).
import asyncio
import os

from backboard import BackboardClient

API_KEY, BASE_URL = os.environ["EASEL_API_KEY"], os.environ["EASEL_API_URL"]


async def main():
    client = BackboardClient(api_key=API_KEY, base_url=BASE_URL)
    first = await client.send_message(
        "Generate a square image of a tiny red robot watering a sunflower in a sunny garden.",
        llm_provider="openai",
        model_name="gpt-4.1",
        image_generation="auto",
        image_model_provider="openrouter",
        image_model_name="google/gemini-3.1-flash-image-preview",
        stream=True,
    )
    document_id = None
    thread_id = None
    async for chunk in first:
        if chunk.get("thread_id"):
            thread_id = chunk.get("thread_id")
        if chunk.get("type") == "media_generated":
            document_id = (chunk.get("media") or {}).get("document_id")
    if not thread_id or not document_id:
        raise RuntimeError("Missing thread_id or document_id from first image generation")
    second = await client.send_message(
        (
            f"Edit the generated image with document_id {document_id}. "
            "Pass this exact id as input_image_document_id to the generate_image tool. "
            "Make the robot blue and add a small crescent moon in the sky."
        ),
        thread_id=thread_id,
        llm_provider="openai",
        model_name="gpt-4.1",
        image_generation="auto",
        image_model_provider="openrouter",
        image_model_name="google/gemini-3.1-flash-image-preview",
        stream=True,
    )
    async for chunk in second:
        if chunk.get("type") == "media_generated":
            media = chunk.get("media", {})
            print("edited image url:", media.get("url"))
            print("edited document_id:", media.get("document_id"))


asyncio.run(main())
