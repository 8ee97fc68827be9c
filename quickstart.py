"""Generate one image with the official Backboard SDK against a local Easel (`make run`).

    .venv/bin/pip install backboard-sdk==1.5.19   # once; `make test` installs it too
    .venv/bin/python quickstart.py

EASEL_URL is the API's base URL (default: http://127.0.0.1:$PORT/api, PORT as `make run` uses it,
8000 unless set). EASEL_API_KEY is a project's API key (default: the demo key `make run` printed,
which it keeps in var/demo_api_key).
"""

import asyncio
import os
from pathlib import Path

from backboard import BackboardClient

BASE_URL = os.environ.get("EASEL_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/api"
API_KEY = os.environ.get("EASEL_API_KEY") or (Path(__file__).parent / "var" / "demo_api_key").read_text().strip()


async def main():
    client = BackboardClient(api_key=API_KEY, base_url=BASE_URL)
    reply = await client.send_message(
        "Draw a tiny red robot watering a sunflower.",
        llm_provider="openai",
        model_name="gpt-4.1",
        image_generation="auto",
        image_model_provider="openrouter",
        image_model_name="google/gemini-3.1-flash-image-preview",
    )
    image = reply.generated_media[0]
    print("url:", image["url"])
    print("document_id:", image["document_id"])


asyncio.run(main())
