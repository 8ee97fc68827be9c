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
anything else a short text). Images are real
files drawn with Pillow in a colour derived from the prompt (and the inputs, for edits).

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
import hashlib
import io
import itertools
import json
import os
import re
import secrets
import string
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any

from PIL import Image

from tests.fakes.agent_mode import LastTurn, Reply, agent_reply, count_tokens, split_text
from tests.fakes.base import serve_main
from tests.fakes.vendor_fake import NO_FAULTS, Faults, VendorFakeServer, VendorHandler

_LOCK = threading.Lock()  # guards the fail_first countdown across handler threads

SIZE_RE = re.compile(r"^(\d{2,4})x(\d{2,4})$")
PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
MALFORMED_FRAME = b'data: {"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"index":0,\n\n'
BAD_BASE64 = "iVBORw0K!!!not*base64###"


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
# Images
# --------------------------------------------------------------------------------------------


def make_image(
    key: str, width: int, height: int, *, fmt: str = "png", shade: float = 1.0, noise: bool = False
) -> bytes:
    """A real image file (png/jpeg/webp) of the given size, coloured from `key`."""
    if noise:  # incompressible, so the base64 line is several MB
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        digest = hashlib.sha256(key.encode()).digest()
        image = Image.new("RGB", (width, height), tuple(min(255, int(c * shade)) for c in digest[:3]))
    buffer = io.BytesIO()
    image.save(buffer, format=PIL_FORMATS.get(fmt, "PNG"))
    return buffer.getvalue()


def parse_size(size: Any, default: tuple[int, int]) -> tuple[int, int] | None:
    """`"WxH"` → (W, H); "auto" or missing → default; anything else → None."""
    if size in (None, "", "auto"):
        return default
    match = SIZE_RE.match(str(size))
    return (int(match[1]), int(match[2])) if match else None


def auto_size(inputs: list[bytes]) -> tuple[int, int]:
    """What "auto" picks: the supported size matching the first input's orientation, else square."""
    if not inputs:
        return 1024, 1024
    try:
        with Image.open(io.BytesIO(inputs[0])) as image:
            width, height = image.size
    except Exception:  # an upload Pillow cannot read: the square default
        return 1024, 1024
    if abs(width / height - 1) < 0.1:
        return 1024, 1024
    return (1536, 1024) if width > height else (1024, 1536)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def decode_data_url(url: str) -> tuple[str, bytes] | None:
    """`data:<mime>;base64,<b64>` → (mime, bytes); other URLs → None."""
    match = re.match(r"^data:([^;,]+);base64,(.*)$", url, re.S)
    return (match[1], base64.b64decode(match[2])) if match else None


def inputs_digest(inputs: Iterable[bytes]) -> str:
    return "".join(hashlib.sha256(data).hexdigest() for data in inputs)


# --------------------------------------------------------------------------------------------
# Reading requests
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormPart:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> list[FormPart]:
    """Split a multipart/form-data body into its parts, keeping file bytes exact."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return []
    parts = []
    for raw in body.split(b"--" + match[1].encode())[1:-1]:
        head, _, data = raw.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = head.decode("utf-8", "replace")
        name = re.search(r'\bname="([^"]*)"', headers)
        filename = re.search(r'\bfilename="([^"]*)"', headers)
        ctype = re.search(r"(?im)^content-type:\s*(\S+)", headers)
        parts.append(
            FormPart(
                name=name[1] if name else "",
                filename=filename[1] if filename else None,
                content_type=ctype[1] if ctype else None,
                data=data.removesuffix(b"\r\n"),
            )
        )
    return parts


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
MODERATION_BLOCKED = (
    "image_generation_user_error",
    "moderation_blocked",
    "Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com "
    "and include the request ID {request_id}. safety_violations=[violence].",
)
CONTENT_POLICY_VIOLATION = (
    "invalid_request_error",
    "content_policy_violation",
    "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed "
    "by our safety system.",
)
NO_API_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth "
    "(i.e. Authorization: Bearer YOUR_KEY)."
)


# --------------------------------------------------------------------------------------------
# The handler
# --------------------------------------------------------------------------------------------


class OpenAIHandler(VendorHandler):
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

    # --- images --------------------------------------------------------------------------
    def images_generations(self, body: bytes, faults: OpenAIFaults) -> None:
        params = self.request_json(body)
        if params is not None:
            self.answer_images("image_generation", ImageSpec.from_params(params, [], "dall-e-2"), faults)

    def images_edits(self, body: bytes, faults: OpenAIFaults) -> None:
        ctype = self.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            params, inputs = edit_form(parse_multipart(ctype, body))
        else:  # the JSON variant: images as data URLs
            params = self.request_json(body)
            if params is None:
                return
            urls = [(i or {}).get("image_url", "") for i in params.get("images", [])]
            inputs = [d[1] for d in map(decode_data_url, urls) if d]
        if not inputs:
            self.send_error_status(
                400, "Missing required parameter: 'image'.", param="image", code="missing_required_parameter"
            )
            return
        self.answer_images("image_edit", ImageSpec.from_params(params, inputs, "gpt-image-1.5"), faults)

    def answer_images(self, kind: str, spec: ImageSpec, faults: OpenAIFaults) -> None:
        """Validate like the Images API, then answer with n images as JSON or as an event stream."""
        problem = spec.problem()
        if problem:
            self.send_error_status(400, problem[1], param=problem[0])
            return
        if faults.safety:
            etype, code, message = CONTENT_POLICY_VIOLATION if spec.model.startswith("dall-e") else MODERATION_BLOCKED
            self.send_error_status(400, message.format(request_id=self.request_id), type=etype, code=code)
            return
        count = faults.n or spec.n
        if spec.stream:
            self.send_events(self.image_events(kind, spec, count, faults), faults)
        else:
            self.send_payload(200, self.images_body(spec, count, faults), faults)

    def image_b64(self, spec: ImageSpec, faults: OpenAIFaults, shade: float = 1.0) -> str:
        if faults.corrupt:
            return BAD_BASE64
        return b64(
            make_image(
                spec.colour_key, spec.width, spec.height, fmt=spec.output_format, shade=shade, noise=faults.noise
            )
        )

    def images_body(self, spec: ImageSpec, count: int, faults: OpenAIFaults) -> dict[str, Any]:
        items = [self.image_item(spec, faults) for _ in range(count)]
        if not spec.gpt_image:
            return {"created": int(time.time()), "data": items}
        return {"created": int(time.time()), **spec.echo(), "data": items, "usage": spec.usage(count)}

    def image_item(self, spec: ImageSpec, faults: OpenAIFaults) -> dict[str, Any]:
        item: dict[str, Any] = {}
        if spec.model == "dall-e-3":
            item["revised_prompt"] = f"A detailed rendering of: {spec.prompt}"
        if spec.gpt_image or spec.response_format == "b64_json":
            item["b64_json"] = self.image_b64(spec, faults)
        else:
            item["url"] = self.image_url(spec)
        return item

    def image_url(self, spec: ImageSpec) -> str:
        # A stateless download link: the path alone says how to redraw the image (see do_GET).
        key = base64.urlsafe_b64encode(spec.colour_key.encode()).decode()
        return f"http://{self.headers.get('host')}{self.prefix}/fake-files/{spec.width}x{spec.height}/{key}.png"

    def image_events(self, kind: str, spec: ImageSpec, count: int, faults: OpenAIFaults) -> Iterator[bytes]:
        """`<kind>.partial_image` events then `<kind>.completed`, per image (providers.md §2.4)."""
        created = int(time.time())
        for _ in range(count):
            for index in range(spec.partial_images):
                b64_json = self.image_b64(spec, faults, shade=(index + 1) / (spec.partial_images + 1))
                event = {
                    "type": f"{kind}.partial_image",
                    "b64_json": b64_json,
                    "created_at": created,
                    **spec.echo(),
                    "partial_image_index": index,
                }
                yield self.encode_frame(event, event["type"])
            event = {
                "type": f"{kind}.completed",
                "b64_json": self.image_b64(spec, faults),
                "created_at": created,
                **spec.echo(),
                "usage": spec.usage(1),
            }
            yield self.encode_frame(event, event["type"])

    def do_GET(self) -> None:
        match = re.match(rf"^{re.escape(self.prefix)}/fake-files/(\d+)x(\d+)/([\w=-]+)\.png$", self.path)
        if not match:
            super().do_GET()
            return
        key = base64.urlsafe_b64decode(match[3]).decode()
        self.send_bytes(200, make_image(key, int(match[1]), int(match[2])), {"content-type": "image/png"})


def edit_form(parts: list[FormPart]) -> tuple[dict[str, Any], list[bytes]]:
    """Scalar fields and input images of an edits form (`image`, `image[]`, `image[0]`...)."""
    params: dict[str, Any] = {}
    inputs = []
    for part in parts:
        if re.fullmatch(r"image(\[\d*\])?", part.name):
            inputs.append(part.data)
        elif part.filename is None:
            params[part.name] = part.data.decode()
    return params, inputs


@dataclass(frozen=True)
class ImageSpec:
    """An Images API request, normalised (multipart fields arrive as strings)."""

    model: str
    prompt: str
    n: int
    size: tuple[int, int] | None
    quality: str
    background: str
    output_format: str
    response_format: str
    stream: bool
    partial_images: int
    colour_key: str

    @classmethod
    def from_params(cls, params: dict[str, Any], inputs: list[bytes], default_model: str) -> ImageSpec:
        prompt = str(params.get("prompt") or "")
        return cls(
            model=str(params.get("model") or default_model),
            prompt=prompt,
            n=int(params.get("n") or 1),
            size=parse_size(params.get("size"), auto_size(inputs)),
            quality=str(params.get("quality") or "auto"),
            background=str(params.get("background") or "auto"),
            output_format=str(params.get("output_format") or "png"),
            response_format=str(params.get("response_format") or "url"),
            stream=str(params.get("stream")).lower() == "true",
            partial_images=int(params.get("partial_images") or 0),
            # An edit's colour depends on its inputs too, so a test can tell an edit from a generation.
            colour_key=prompt + inputs_digest(inputs),
        )

    @property
    def gpt_image(self) -> bool:
        return self.model.startswith(("gpt-image", "chatgpt-image"))

    @property
    def width(self) -> int:
        return (self.size or (1024, 1024))[0]

    @property
    def height(self) -> int:
        return (self.size or (1024, 1024))[1]

    def problem(self) -> tuple[str, str] | None:
        """(param, message) for the first thing the real API would reject, if any."""
        if not self.prompt:
            return "prompt", "Missing required parameter: 'prompt'."
        if self.size is None or not (16 <= self.width <= 3840 and 16 <= self.height <= 3840):
            return (
                "size",
                "Invalid value for 'size'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.",
            )
        if self.model == "dall-e-3" and self.n != 1:
            return "n", f"Invalid 'n': integer above maximum value. Expected a value <= 1, but got {self.n} instead."
        if not 1 <= self.n <= 10:
            return "n", f"Invalid 'n': expected a value between 1 and 10, but got {self.n} instead."
        if self.stream and not self.gpt_image:
            return "stream", f"Streaming is not supported for model '{self.model}'."
        if self.output_format not in PIL_FORMATS:
            return (
                "output_format",
                f"Invalid value: '{self.output_format}'. Supported values are: 'png', 'jpeg', and 'webp'.",
            )
        return None

    def echo(self) -> dict[str, Any]:
        """The effective settings GPT image responses report ("auto" resolved)."""
        return {
            "size": f"{self.width}x{self.height}",
            "quality": "medium" if self.quality == "auto" else self.quality,
            "background": "opaque" if self.background == "auto" else self.background,
            "output_format": self.output_format,
        }

    def usage(self, count: int) -> dict[str, Any]:
        text_tokens = count_tokens(self.prompt)
        return {
            "total_tokens": text_tokens + 1056 * count,
            "input_tokens": text_tokens,
            "output_tokens": 1056 * count,
            "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
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

    @staticmethod
    def chat_images(record: dict[str, Any]) -> list[tuple[str, bytes]]:
        """The (mime, bytes) of every data-URL image part in a logged chat request."""
        return message_images((record["json"] or {}).get("messages", []))


if __name__ == "__main__":
    serve_main(FakeOpenAI)
