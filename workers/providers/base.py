"""The provider contract: what the generation pipeline asks of an LLM or image provider.

Each vendor is one module in this package that turns our neutral requests into its wire format
and its responses back into the small event types below. Nothing outside `workers/providers/`
knows a vendor's JSON shapes or touches HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ProviderError(Exception):
    """A provider call failed.

    `permanent` says whether trying again could help (a 400 or a refusal cannot; a 503 can).
    `kind` is a short machine-readable reason: "timeout", "rate_limited", "server_error",
    "connection", "bad_request", "auth", "content_policy", "malformed_response", "not_configured".
    The message must never contain an API key.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        kind: str = "server_error",
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.kind = kind
        self.status_code = status_code
        self.retry_after = retry_after


class ContentPolicyError(ProviderError):
    """The provider refused the prompt or image on policy grounds (never retried)."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message, permanent=True, kind="content_policy", status_code=status_code)


class MalformedResponseError(ProviderError):
    """The provider answered with something we cannot read (bad JSON, a missing field, bytes
    that are not an image). Permanent: asking again bills again for the same broken answer,
    and the run should end saying what was wrong rather than loop."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True, kind="malformed_response")


# --------------------------------------------------------------------------------------------
# LLM (thread model) side
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    """One function call the LLM made. `arguments` is the raw JSON text the model produced."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ChatMessage:
    """One turn of the neutral conversation history sent to an LLM.

    role: "system" | "user" | "assistant" | "tool".
    - user: `content` text, optional `images` (list of (mime_type, bytes)) for vision models.
    - assistant: `content` text (may be ""), optional `tool_calls`.
    - tool: `content` is the tool's result (a JSON string), `tool_call_id` and `name` say which call.
    """

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    images: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class ChatRequest:
    """What the pipeline asks of an LLM for one step of a run."""

    model: str
    messages: tuple[ChatMessage, ...]
    tools: tuple[dict[str, Any], ...] = ()  # OpenAI-style {"type": "function", "function": {...}}
    system: str | None = None  # also present as a leading "system" message; adapters pick one
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. {"openrouter": {...}, "thinking": {...}}


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallStarted:
    """The model began a tool call (id and name known, arguments still streaming)."""

    id: str
    name: str


@dataclass(frozen=True)
class ToolCallReady:
    """A tool call is complete."""

    call: ToolCall


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class Finished:
    """The step ended. reason: "stop" | "tool_calls" | "length" | "content_filter"."""

    reason: str


LLMEvent = TextDelta | ToolCallStarted | ToolCallReady | Usage | Finished


class LLMProvider(Protocol):
    """A thread LLM. `stream` yields events until exactly one `Finished`.

    It must honour `cancelled()` between chunks (close the stream and return), raise
    `ProviderError` for every failure, and never hang past its configured timeouts.
    """

    name: ClassVar[str]

    def stream(self, request: ChatRequest, *, cancelled: Callable[[], bool] = lambda: False) -> Iterator[LLMEvent]: ...


# --------------------------------------------------------------------------------------------
# Image side
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputImage:
    data: bytes
    mime_type: str


@dataclass(frozen=True)
class ImageRequest:
    """One image generation or edit.

    `config` holds validated, caller-fixed image_config keys (size, aspect_ratio, quality,
    background, output_format, output_compression, n, seed, resolution, provider).
    `size_hint` / `aspect_ratio_hint` come from the LLM's tool call and lose to `config`.
    """

    model: str
    prompt: str
    input_images: tuple[InputImage, ...] = ()
    mask: InputImage | None = None
    config: dict[str, Any] = field(default_factory=dict)
    size_hint: str | None = None
    aspect_ratio_hint: str | None = None


@dataclass(frozen=True)
class ImageResult:
    data: bytes
    mime_type: str
    revised_prompt: str | None = None
    seed: int | None = None


@dataclass(frozen=True)
class ImagePreview:
    """A partial image some models stream before the final one."""

    index: int
    data: bytes
    mime_type: str


class ImageProvider(Protocol):
    """An image model. `generate` returns the final images (n of them) or raises ProviderError.

    Providers that stream partial images call `on_preview` for each before returning.
    """

    name: ClassVar[str]

    def generate(
        self,
        request: ImageRequest,
        *,
        on_preview: Callable[[ImagePreview], None] = lambda preview: None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[ImageResult]: ...


# --------------------------------------------------------------------------------------------
# Several images from models that make one per call
# --------------------------------------------------------------------------------------------

MAX_PARALLEL_IMAGES = 4


def in_parallel(
    count: int,
    make_one: Callable[[int], ImageResult],
    *,
    cancelled: Callable[[], bool] = lambda: False,
    limit: int = MAX_PARALLEL_IMAGES,
) -> list[ImageResult]:
    """`count` single-image calls, at most `limit` at once, returned in index order.

    A call not yet started when `cancelled()` turns true is skipped. When some calls fail the
    images that were made are returned (they were paid for; the caller reports the shortfall);
    when every call fails the first error is raised.
    """
    from concurrent.futures import ThreadPoolExecutor

    def one(index: int) -> ImageResult | None:
        return None if cancelled() else make_one(index)

    if count <= 1:
        result = one(0)
        return [result] if result is not None else []
    results: list[ImageResult] = []
    errors: list[BaseException] = []
    with ThreadPoolExecutor(max_workers=min(limit, count), thread_name_prefix="image-variant") as pool:
        futures = [pool.submit(one, index) for index in range(count)]
        for future in futures:
            try:
                result = future.result()
            except ProviderError as exc:
                errors.append(exc)
                continue
            if result is not None:
                results.append(result)
    if errors and not results:
        raise errors[0]
    return results


def variant_seed(seed: Any) -> int:
    """The first seed of a set of variants: the caller's, or a random one (so each is recorded)."""
    import secrets

    return int(seed) if seed is not None else secrets.randbelow(2**31 - 64)
