# The launch post's streaming example, as published; only the API key and base URL are changed.
import asyncio
import os

from backboard import BackboardClient

API_KEY, BASE_URL = os.environ["EASEL_API_KEY"], os.environ["EASEL_API_URL"]


async def main():
    client = BackboardClient(api_key=API_KEY, base_url=BASE_URL)
    stream = await client.send_message(
        "Generate a square image of a tiny red robot watering a sunflower in a sunny garden.",
        llm_provider="openai",
        model_name="gpt-4.1",
        image_generation="auto",
        image_model_provider="openrouter",
        image_model_name="google/gemini-3.1-flash-image-preview",
        stream=True,
    )
    generated_document_id = None
    async for chunk in stream:
        event_type = chunk.get("type")
        if event_type == "media_generated":
            media = chunk.get("media", {})
            generated_document_id = media.get("document_id")
            print("image url:", media.get("url"))
            print("document_id:", generated_document_id)
        if event_type == "content_streaming":
            print(chunk.get("content", ""), end="", flush=True)
    print()
    print("final document_id:", generated_document_id)


asyncio.run(main())
