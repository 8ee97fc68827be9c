"""A fake OpenAI API (Chat Completions and Images) speaking the real wire format under `/v1`.

    POST /v1/chat/completions      streamed (SSE, `data: [DONE]`) or whole
    POST /v1/images/generations    JSON; `stream: true` gives image_generation.* events
    POST /v1/images/edits          multipart (`image`, `image[]`, `image[0]`, `mask`) or JSON

In-process: `with FakeOpenAI() as fake: OpenAI(base_url=fake.origin + "/v1", ...)`.
Own process: `python -m tests.fakes.openai --port 8101`.

Chat replies follow `tests.fakes.agent_mode`: a scripted reply when one is queued
(`fake.script_chat([...])`, `fake.script([...])` or `POST /__fake__/script`), else agent mode
(a user asking for a picture while `generate_image` is offered gets a streamed call to it; a
trailing tool result gets "Here is your image.", or the tool's error relayed when it failed;
anything else a short text). The image endpoints live in `tests.fakes.openai_images`:
real files drawn with Pillow, n distinct pictures per request, edits derived from the first
input image with the mask followed as guidance, masks and inputs validated like the real API.

Fault switches are those of `tests.fakes.vendor_fake` (status, retry_after, message, fail_first,
delay, pace, after, stall, drop, malformed, stream_error, safety), where `safety` refuses image
requests with the real moderation body and ends chat with finish_reason "content_filter", plus:

    corrupt     bool   image base64 that does not decode
    only        str    apply the switches only to request paths containing this text
    n           int    return this many images whatever the request asked for   (always applies)
    noise       bool   incompressible images: multi-MB base64 lines              (always applies)
    processing  int    OpenRouter: keep-alive comments before the first chunk    (always applies)
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import string
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any

from tests.fakes.agent_mode import LastTurn, Reply, agent_reply, count_tokens, split_text
from tests.fakes.base import serve_main
from tests.fakes.openai_images import FormPart, ImagesEndpoints, decode_data_url, edit_form, edit_json, parse_multipart
from tests.fakes.vendor_fake import NO_FAULTS, Faults, VendorFakeServer, VendorHandler

_LOCK = threading.Lock()  # guards the fail_first countdown across handler threads

MALFORMED_FRAME = b'data: {"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"index":0,\n\n'


@dataclass(frozen=True)
class OpenAIFaults(Faults):
    """The kit's switches plus the OpenAI/OpenRouter ones (see the module docstring)."""

    corrupt: bool = False
    only: str | None = None
    n: int | None = None
    noise: bool = False
    processing: int = 1


STANDING_SWITCHES = ("n", "noise", "processing")  # response shape, not failures: never counted down
KIT_SWITCHES = frozenset(f.name for f in fields(Faults))


# --------------------------------------------------------------------------------------------
# Reading requests
# --------------------------------------------------------------------------------------------


def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message whose content is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
    return str(content or "")


def message_images(messages: Iterable[dict[str, Any]]) -> list[tuple[str, bytes]]:
    """Every image sent as a data-URL `image_url` content part, decoded, in order."""
    images = []
    for message in messages:
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if part.get("type") == "image_url":
                decoded = decode_data_url((part.get("image_url") or {}).get("url", ""))
                if decoded:
                    images.append(decoded)
    return images


def last_turn(request: dict[str, Any]) -> LastTurn:
    """What a chat request ends with, for agent mode."""
    messages = request.get("messages") or [{}]
    last = messages[-1]
    functions = [t.get("function") or {} for t in request.get("tools") or []]
    tools = tuple(f.get("name", "") for f in functions)
    schemas = {f.get("name", ""): f.get("parameters") or {} for f in functions if f.get("name") != "generate_image"}
    if last.get("role") == "tool":
        return LastTurn(
            is_tool_result=True,
            tool_names=tools,
            tool_result=message_text(last),
            tool_schemas=schemas,
            caller_outputs=tuple(_caller_outputs(messages)),
        )
    text = message_text(last) if last.get("role") == "user" else ""
    return LastTurn(text=text, tool_names=tools, tool_schemas=schemas)


def _caller_outputs(messages: list[dict[str, Any]]) -> list[str]:
    """The trailing tool messages that answer calls of tools other than generate_image."""
    results: list[dict[str, Any]] = []
    for message in reversed(messages):  # parallel calls: one tool message each, at the end
        if message.get("role") != "tool":
            caller = message
            break
        results.insert(0, message)
    else:
        return []
    names = {c.get("id"): (c.get("function") or {}).get("name") for c in caller.get("tool_calls") or []}
    return [message_text(m) for m in results if names.get(m.get("tool_call_id")) not in (None, "generate_image")]


def random_id(prefix: str, length: int = 24) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def fragments(raw: str, size: int = 7) -> list[str]:
    """Tool-call arguments cut into the small pieces the real API streams."""
    return [raw[i : i + size] for i in range(0, len(raw), size)]


@dataclass(frozen=True)
class Completion:
    """Identity shared by every chunk of one completion, and its tool calls' wire form."""

    id: str
    created: int
    model: str
    calls: tuple[dict[str, str], ...]  # {"id", "name", "arguments"} with arguments as JSON text

    @classmethod
    def start(cls, completion_id: str, model: str, reply: Reply) -> Completion:
        calls = tuple(
            {
                "id": c.id or random_id("call_"),
                "name": c.name,
                "arguments": c.raw_arguments
                if c.raw_arguments is not None
                else json.dumps(c.arguments, separators=(",", ":")),
            }
            for c in reply.tool_calls
        )
        return cls(completion_id, int(time.time()), model, calls)


def finish_reason(reply: Reply) -> str:
    return reply.stop or ("tool_calls" if reply.tool_calls else "stop")


# --------------------------------------------------------------------------------------------
# Error bodies (providers.md §1.8, §2.5)
# --------------------------------------------------------------------------------------------

OPENAI_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request: the request body was rejected."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: sk-****. You can find your API key at https://platform.openai.com/account/api-keys.",
    ),
    403: (
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    404: ("invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."),
    429: (
        "tokens",
        "rate_limit_exceeded",
        "Rate limit reached for gpt-4o in organization org-fake on tokens per min (TPM): Limit 10000, Used 9348, "
        "Requested 5086. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.",
    ),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    502: ("server_error", None, "Bad gateway."),
    503: (
        "server_error",
        None,
        "That model is currently overloaded with other requests. You can retry your request, or contact us through "
        "our help center at help.openai.com if the error persists.",
    ),
}
NO_API_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth "
    "(i.e. Authorization: Bearer YOUR_KEY)."
)


# --------------------------------------------------------------------------------------------
# The handler
# --------------------------------------------------------------------------------------------


class OpenAIHandler(ImagesEndpoints, VendorHandler):
    """OpenAI's `/v1` endpoints; OpenRouter's handler changes prefix, envelopes and error bodies."""

    prefix = "/v1"
    fingerprint = "fp_f33640a400"

    def routes(self) -> dict[tuple[str, str], Any]:
        return {
            ("POST", "/chat/completions"): self.chat,
            ("POST", "/images/generations"): self.images_generations,
            ("POST", "/images/edits"): self.images_edits,
        }

    # --- dispatch ------------------------------------------------------------------------
    def handle_api(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        self.request_id = self.new_request_id()
        self.started = time.monotonic()
        try:
            self.serve(method, path, body)
        except OSError:
            self.close_connection = True  # the client hung up (a cancel or a timeout test)

    def new_request_id(self) -> str:
        return "req_" + secrets.token_hex(16)

    def serve(self, method: str, path: str, body: bytes) -> None:
        route = self.routes().get((method, path.removeprefix(self.prefix)))
        if route is None or not path.startswith(self.prefix + "/"):
            self.send_error_status(404, f"Invalid URL ({method} {path})")
            return
        if not self.headers.get("authorization", "").startswith("Bearer"):
            self.send_error_status(401, self.no_key_message(), code=None)
            return
        try:
            faults = self.take_faults(path)
        except ValueError as exc:  # a misspelt switch is a test bug: say so loudly
            self.send_error_status(500, str(exc))
            return
        if faults.delay:
            time.sleep(faults.delay)
        if faults.status:
            self.send_error_status(faults.status, faults.message, retry_after=faults.retry_after)
            return
        route(body, faults)

    def take_faults(self, path: str) -> OpenAIFaults:
        """This request's switches: `only` filters by path, `fail_first` counts failures down."""
        switches = dict(self.faults)
        standing = OpenAIFaults(**{k: switches[k] for k in STANDING_SWITCHES if k in switches})
        if switches.get("only") and switches["only"] not in path:
            return standing
        with _LOCK:
            remaining = self.faults.get("fail_first")
            if remaining is not None:
                if int(remaining) <= 0:
                    return standing
                self.faults["fail_first"] = int(remaining) - 1
        return OpenAIFaults.from_switches(switches)

    def request_json(self, body: bytes) -> dict[str, Any] | None:
        """The JSON body, or None after answering 400 the way OpenAI does for unparseable JSON."""
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
        self.send_error_status(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
            "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        )
        return None

    # --- response plumbing ---------------------------------------------------------------
    def response_headers(self) -> dict[str, str]:
        return {
            "x-request-id": self.request_id,
            "openai-organization": "user-fake",
            "openai-project": "proj_fake",
            "openai-processing-ms": str(int((time.monotonic() - self.started) * 1000) + 1),
            "openai-version": "2020-10-01",
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-remaining-requests": "9999",
            "x-ratelimit-reset-requests": "6ms",
            "x-ratelimit-limit-tokens": "30000000",
            "x-ratelimit-remaining-tokens": "29999000",
            "x-ratelimit-reset-tokens": "2ms",
        }

    def encode_json(self, payload: Any) -> bytes:
        # OpenAI pretty-prints whole bodies with a 2-space indent and a trailing newline.
        return (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode()

    def encode_frame(self, payload: Any, event: str | None = None) -> bytes:
        data = "data: " + json.dumps(payload, separators=(",", ":"), ensure_ascii=False) + "\n\n"
        return ((f"event: {event}\n" if event else "") + data).encode()

    def send_payload(
        self, status: int, payload: Any, faults: Faults = NO_FAULTS, headers: dict[str, str] | None = None
    ) -> None:
        all_headers = {"content-type": "application/json", **self.response_headers(), **(headers or {})}
        self.send_bytes(status, self.encode_json(payload), all_headers, faults)

    def send_events(self, frames: Iterable[bytes], faults: Faults) -> None:
        self.stream_frames(list(frames), self.response_headers(), faults)

    def malformed_frame(self) -> bytes:
        return MALFORMED_FRAME

    def error_frame(self, error_type: str) -> bytes:
        # The SDK raises on any `data:` JSON with an "error" key; exact OpenAI bytes are unverified.
        message = OPENAI_ERRORS[500][2]
        return self.encode_frame({"error": {"message": message, "type": error_type, "param": None, "code": None}})

    # --- errors --------------------------------------------------------------------------
    def error_payload(self, status: int, message: str | None, fields: dict[str, Any]) -> dict[str, Any]:
        """OpenAI's `{"error": {message, type, param, code}}`; `fields` override type/param/code."""
        etype, code, usual = OPENAI_ERRORS.get(status, ("invalid_request_error", None, "Error"))
        return {"error": {"message": message or usual, "type": etype, "param": None, "code": code, **fields}}

    def send_error_status(
        self, status: int, message: str | None = None, *, retry_after: float | None = None, **fields: Any
    ) -> None:
        """The vendor's error response for `status`, with `retry-after` on 429 and 503."""
        headers = {}
        if status in (429, 503):
            headers["retry-after"] = f"{retry_after if retry_after is not None else 1:g}"
        self.send_payload(status, self.error_payload(status, message, fields), headers=headers)

    def no_key_message(self) -> str:
        return NO_API_KEY

    # --- chat ----------------------------------------------------------------------------
    def chat(self, body: bytes, faults: OpenAIFaults) -> None:
        request = self.request_json(body)
        if request is not None:
            self.chat_request(request, faults)

    def chat_request(self, request: dict[str, Any], faults: OpenAIFaults) -> None:
        """Answer one parsed chat completion request, streamed or whole."""
        if not request.get("messages"):
            self.send_error_status(
                400,
                "Invalid 'messages': empty array. Expected an array with minimum length 1, "
                "but got an empty array instead.",
                param="messages",
                code="empty_array",
            )
            return
        # OpenAI reports filtered chat output as finish_reason "content_filter" (providers.md §1.8).
        reply = Reply(stop="content_filter") if faults.safety else self.next_reply(request)
        self.completion = Completion.start(self.completion_id(), str(request.get("model", "")), reply)
        images = self.reply_images(request, reply, faults)
        if request.get("stream"):
            self.send_events(self.chat_frames(request, reply, images, faults), faults)
        else:
            self.send_payload(200, self.chat_body(request, reply, images), faults)

    def next_reply(self, request: dict[str, Any]) -> Reply:
        return self.server.next_reply() or agent_reply(last_turn(request))

    def completion_id(self) -> str:
        return random_id("chatcmpl-", 29)

    def reply_images(self, request: dict[str, Any], reply: Reply, faults: OpenAIFaults) -> list[dict[str, Any]]:
        """Images the assistant message carries (none on OpenAI chat)."""
        return []

    def usage(self, request: dict[str, Any], reply: Reply) -> dict[str, Any]:
        prompt = sum(count_tokens(message_text(m)) for m in request.get("messages", []))
        completion = count_tokens(reply.text + "".join(c["arguments"] for c in self.completion.calls))
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }

    def deltas(self, reply: Reply, images: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The `delta` objects of a streamed reply, role chunk first (providers.md §1.4, §1.5)."""
        yield {"role": "assistant", "content": "" if reply.text else None, "refusal": None}
        for piece in split_text(reply.text):
            yield {"content": piece}
        for index, call in enumerate(self.completion.calls):
            function = {"name": call["name"], "arguments": ""}
            yield {"tool_calls": [{"index": index, "id": call["id"], "type": "function", "function": function}]}
            for piece in fragments(call["arguments"]):
                yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
        if images:
            yield {"role": "assistant", "content": "", "images": images}

    def envelope(self, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        completion = self.completion
        return {
            "id": completion.id,
            "object": "chat.completion.chunk",
            "created": completion.created,
            "model": completion.model,
            "system_fingerprint": self.fingerprint,
            "choices": choices,
            **extra,
        }

    def choice(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

    def chat_frames(
        self, request: dict[str, Any], reply: Reply, images: list[dict[str, Any]], faults: OpenAIFaults
    ) -> Iterator[bytes]:
        """The SSE frames of a streamed completion, ending in `data: [DONE]`."""
        extra = self.chunk_extra(request)
        chunks = (self.envelope([self.choice(delta)], **extra) for delta in self.deltas(reply, images))
        for index, chunk in enumerate(itertools.chain(chunks, self.closing_chunks(request, reply))):
            yield (self.preamble(faults) if index == 0 else b"") + self.encode_frame(chunk)
        yield b"data: [DONE]\n\n"

    def chunk_extra(self, request: dict[str, Any]) -> dict[str, Any]:
        # With include_usage every chunk carries "usage": null and one extra chunk the totals.
        return {"usage": None} if (request.get("stream_options") or {}).get("include_usage") else {}

    def closing_chunks(self, request: dict[str, Any], reply: Reply) -> Iterator[dict[str, Any]]:
        """The `finish_reason` chunk, then the usage chunk (`choices: []`) when include_usage."""
        extra = self.chunk_extra(request)
        yield self.envelope([self.choice({}, finish_reason(reply))], **extra)
        if extra:
            yield self.envelope([], usage=self.usage(request, reply))

    def preamble(self, faults: OpenAIFaults) -> bytes:
        """Bytes sent before the first chunk (OpenRouter's keep-alive comments)."""
        return b""

    def assistant_message(self, reply: Reply, images: list[dict[str, Any]]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text or None,
            "refusal": None,
            "annotations": [],
        }
        if self.completion.calls:
            message["tool_calls"] = [
                {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
                for c in self.completion.calls
            ]
        if images:
            message["images"] = images
        return message

    def chat_body(self, request: dict[str, Any], reply: Reply, images: list[dict[str, Any]]) -> dict[str, Any]:
        completion = self.completion
        choice = {
            "index": 0,
            "message": self.assistant_message(reply, images),
            "logprobs": None,
            "finish_reason": finish_reason(reply),
        }
        return {
            "id": completion.id,
            "object": "chat.completion",
            "created": completion.created,
            "model": completion.model,
            "choices": [choice],
            "usage": self.usage(request, reply),
            "service_tier": "default",
            "system_fingerprint": self.fingerprint,
        }


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeOpenAI(VendorFakeServer):
    """A loopback OpenAI; see the module docstring for scripting and fault switches."""

    handler = OpenAIHandler

    def __init__(self, port: int = 0, **faults: Any) -> None:
        OpenAIFaults.from_switches(faults)  # fail at construction on a misspelt switch
        super().__init__(port, **{k: v for k, v in faults.items() if k in KIT_SWITCHES})
        self.faults.update(faults)

    def script_chat(self, replies: Iterable[str | dict[str, Any]]) -> None:
        """Queue chat replies (a string is a text reply), used before agent mode, in order."""
        self.script({"text": r} if isinstance(r, str) else r for r in replies)

    def requests_to(self, suffix: str) -> list[dict[str, Any]]:
        """The logged requests whose path ends with `suffix` (e.g. "/chat/completions")."""
        return [r for r in self.requests if r["path"].endswith(suffix)]

    @staticmethod
    def body(record: dict[str, Any]) -> bytes:
        return base64.b64decode(record["body_b64"])

    @classmethod
    def form(cls, record: dict[str, Any]) -> list[FormPart]:
        """The multipart parts of a logged request (an images/edits upload)."""
        return parse_multipart(record["headers"].get("content-type", ""), cls.body(record))

    @classmethod
    def edit_inputs(cls, record: dict[str, Any]) -> list[bytes]:
        """The input images of a logged images/edits request, in the order sent."""
        return cls._edit_files(record)[0]

    @classmethod
    def edit_mask(cls, record: dict[str, Any]) -> bytes | None:
        """The mask of a logged images/edits request, or None when it had none."""
        return cls._edit_files(record)[1]

    @classmethod
    def _edit_files(cls, record: dict[str, Any]) -> tuple[list[bytes], bytes | None]:
        if record["json"] is not None:  # the JSON variant
            return edit_json(record["json"])
        _, inputs, mask = edit_form(cls.form(record))
        return inputs, mask

    @staticmethod
    def chat_images(record: dict[str, Any]) -> list[tuple[str, bytes]]:
        """The (mime, bytes) of every data-URL image part in a logged chat request."""
        return message_images((record["json"] or {}).get("messages", []))


if __name__ == "__main__":
    serve_main(FakeOpenAI)
