# The launch post's first example, as published; only the API key and base URL are changed.
import asyncio
import os

from backboard import BackboardClient

API_KEY, BASE_URL = os.environ["EASEL_API_KEY"], os.environ["EASEL_API_URL"]


async def main():
    client = BackboardClient(api_key=API_KEY, base_url=BASE_URL)
    response = await client.send_message(
        "Generate a square image of a tiny red robot watering a sunflower in a sunny garden.",
        llm_provider="openai",
        model_name="gpt-4.1",
        image_generation="auto",
        image_model_provider="openrouter",
        image_model_name="google/gemini-3.1-flash-image-preview",
    )
    print(response.content)
    print(response.thread_id)
    print(response.assistant_id)


asyncio.run(main())
