// The launch post's JavaScript example, as published; only the API key and base URL are changed.
const YOUR_API_KEY = process.env.EASEL_API_KEY;
const response = await fetch(`${process.env.EASEL_API_URL}/threads/messages`, {
  method: "POST",
  headers: {
    "X-API-Key": YOUR_API_KEY,
    "Content-Type": "application/json",
  },
  body: JSON.stringify({
    content: "Generate a square image of a tiny red robot watering a sunflower in a sunny garden.",
    llm_provider: "openai",
    model_name: "gpt-4.1",
    image_generation: "auto",
    image_model_provider: "openrouter",
    image_model_name: "google/gemini-3.1-flash-image-preview",
    stream: false,
  }),
});
const result = await response.json();
console.log(result.content);
