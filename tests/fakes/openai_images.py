"""The Images API half of the fake OpenAI: requests read, validated like the real API, answered.

    POST /v1/images/generations    JSON; `stream: true` gives image_generation.* events
    POST /v1/images/edits          multipart (`image`, `image[]`, `image[0]`, `mask`) or JSON

Pictures come from `tests.fakes.imaging`. A generation is one solid colour per image, from the
prompt and the image's index, so `n` images are `n` different files and the same request
draws the same pictures again (OpenAI takes no seed). An edit starts from the first input
image, resized to the output size: every pixel changes a little, and the area the mask leaves
transparent (the whole picture when there is no mask) changes strongly; again one picture
per index.

Validation follows the API reference (the mask "must be a valid PNG file ... and have the same
dimensions as `image`"; with several images "the mask will be applied on the first image")
with the error messages users quote from the live API (see `edit_problem`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image

from tests.fakes.agent_mode import count_tokens
from tests.fakes.imaging import (
    PIL_FORMATS,
    decode,
    derive_edit,
    encode,
    has_alpha,
    solid,
    transparent_region,
)

if TYPE_CHECKING:
    from tests.fakes.openai import OpenAIFaults

SIZE_RE = re.compile(r"^(\d{2,4})x(\d{2,4})$")
BAD_BASE64 = "iVBORw0K!!!not*base64###"
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
# As quoted from the live API: an image it cannot open is "image N", counted from 1 [inferred].
BAD_IMAGE = "Invalid image file or mode for image {number}, please check your image file."
# The live API's mask messages (quoted by users and resellers; a mask without alpha is also
# reported with the size message by some, so tests should match on the shared prefix).
MASK_NO_ALPHA = "Invalid mask image format - mask image missing alpha channel"
MASK_WRONG_SIZE = "Invalid mask image format - mask size does not match image size"


# --------------------------------------------------------------------------------------------
# Reading requests
# --------------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def decode_data_url(url: str) -> tuple[str, bytes] | None:
    """`data:<mime>;base64,<b64>` → (mime, bytes); other URLs → None."""
    match = re.match(r"^data:([^;,]+);base64,(.*)$", url, re.S)
    return (match[1], base64.b64decode(match[2])) if match else None


def inputs_digest(inputs: Iterable[bytes]) -> str:
    return "".join(hashlib.sha256(data).hexdigest() for data in inputs)


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


def edit_form(parts: list[FormPart]) -> tuple[dict[str, Any], list[bytes], bytes | None]:
    """Scalar fields, input images in order (`image`, `image[]`, `image[0]`...) and the mask."""
    params: dict[str, Any] = {}
    inputs = []
    mask = None
    for part in parts:
        if re.fullmatch(r"image(\[\d*\])?", part.name):
            inputs.append(part.data)
        elif part.name == "mask":
            mask = part.data
        elif part.filename is None:
            params[part.name] = part.data.decode()
    return params, inputs, mask


def edit_json(params: dict[str, Any]) -> tuple[list[bytes], bytes | None]:
    """Input images and mask of the JSON variant: `images[].image_url` and `mask.image_url` data URLs."""
    urls = [(i or {}).get("image_url", "") for i in params.get("images") or []]
    inputs = [d[1] for d in map(decode_data_url, urls) if d]
    mask = decode_data_url(str((params.get("mask") or {}).get("image_url", "")))
    return inputs, mask[1] if mask else None


def parse_size(size: Any, default: tuple[int, int]) -> tuple[int, int] | None:
    """`"WxH"` → (W, H); "auto" or missing → default; anything else → None."""
    if size in (None, "", "auto"):
        return default
    match = SIZE_RE.match(str(size))
    return (int(match[1]), int(match[2])) if match else None


def auto_size(inputs: list[bytes]) -> tuple[int, int]:
    """What "auto" picks: the supported size matching the first input's orientation, else square."""
    image = decode(inputs[0]) if inputs else None
    if image is None:
        return 1024, 1024
    width, height = image.size
    if abs(width / height - 1) < 0.1:
        return 1024, 1024
    return (1536, 1024) if width > height else (1024, 1536)


def edit_problem(inputs: list[bytes], mask: bytes | None) -> tuple[str, str, str] | None:
    """(param, message, code) for input images or a mask the live API refuses, if any."""
    images = [decode(data) for data in inputs]
    for number, image in enumerate(images, start=1):
        if image is None:
            return "image", BAD_IMAGE.format(number=number), "invalid_image_file"
    if mask is None:
        return None
    mask_image = decode(mask)
    if mask_image is None or mask_image.format != "PNG" or not has_alpha(mask_image):
        return "mask", MASK_NO_ALPHA, "invalid_image_file"
    if mask_image.size != images[0].size:
        return "mask", MASK_WRONG_SIZE, "invalid_image_file"
    return None


def make_image(
    key: str, width: int, height: int, *, fmt: str = "png", shade: float = 1.0, noise: bool = False
) -> bytes:
    """A real image file (png/jpeg/webp) of the given size, coloured from `key`."""
    if noise:  # incompressible, so the base64 line is several MB
        return encode(Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)), fmt)
    return solid(key, width, height, fmt=fmt, shade=shade)


# --------------------------------------------------------------------------------------------
# The request, normalised
# --------------------------------------------------------------------------------------------


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
    inputs: tuple[bytes, ...] = ()
    mask: bytes | None = None

    @classmethod
    def from_params(
        cls, params: dict[str, Any], inputs: list[bytes], default_model: str, mask: bytes | None = None
    ) -> ImageSpec:
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
            # An edit's colours depend on its inputs too, so a test can tell an edit from a generation.
            colour_key=prompt + inputs_digest(inputs) + inputs_digest([mask] if mask else []),
            inputs=tuple(inputs),
            mask=mask,
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

    def key(self, index: int, partial: int | None = None) -> str:
        """What tells image `index` (or its partial `partial`) apart from every other picture."""
        return f"{self.colour_key}#{index}" + ("" if partial is None else f"~partial{partial}")

    def draw(self, index: int, partial: int | None = None, noise: bool = False) -> bytes:
        """Image `index` of this request as a file; partials of a generation are darker."""
        source = decode(self.inputs[0]) if self.inputs else None
        if noise or source is None:
            shade = 1.0 if partial is None else (partial + 1) / (self.partial_images + 1)
            size, fmt = (self.width, self.height), self.output_format
            return make_image(self.key(index), *size, fmt=fmt, shade=shade, noise=noise)
        mask = decode(self.mask) if self.mask else None
        region = transparent_region(mask) if mask else None
        edit = derive_edit(source, self.key(index, partial), (self.width, self.height), region)
        return encode(edit, self.output_format)

    def problem(self) -> tuple[str, str, str | None] | None:
        """(param, message, code) for the first thing the real API would reject, if any."""
        if not self.prompt:
            return "prompt", "Missing required parameter: 'prompt'.", None
        if self.size is None or not (16 <= self.width <= 3840 and 16 <= self.height <= 3840):
            return (
                "size",
                "Invalid value for 'size'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.",
                None,
            )
        if self.model == "dall-e-3" and self.n != 1:
            n = self.n
            return "n", f"Invalid 'n': integer above maximum value. Expected a value <= 1, but got {n} instead.", None
        if not 1 <= self.n <= 10:
            return "n", f"Invalid 'n': expected a value between 1 and 10, but got {self.n} instead.", None
        if self.stream and not self.gpt_image:
            return "stream", f"Streaming is not supported for model '{self.model}'.", None
        if self.output_format not in PIL_FORMATS:
            return (
                "output_format",
                f"Invalid value: '{self.output_format}'. Supported values are: 'png', 'jpeg', and 'webp'.",
                None,
            )
        return edit_problem(list(self.inputs), self.mask) if self.inputs else None

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
# The handler's image endpoints (mixed into OpenAIHandler)
# --------------------------------------------------------------------------------------------


class ImagesEndpoints:
    """`/images/generations` and `/images/edits`; the handler supplies the response plumbing."""

    prefix: str
    headers: Any
    request_id: str

    def images_generations(self, body: bytes, faults: OpenAIFaults) -> None:
        params = self.request_json(body)
        if params is not None:
            self.answer_images("image_generation", ImageSpec.from_params(params, [], "dall-e-2"), faults)

    def images_edits(self, body: bytes, faults: OpenAIFaults) -> None:
        ctype = self.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            params, inputs, mask = edit_form(parse_multipart(ctype, body))
        else:  # the JSON variant: images as data URLs
            params = self.request_json(body)
            if params is None:
                return
            inputs, mask = edit_json(params)
        if not inputs:
            self.send_error_status(
                400, "Missing required parameter: 'image'.", param="image", code="missing_required_parameter"
            )
            return
        self.answer_images("image_edit", ImageSpec.from_params(params, inputs, "gpt-image-1.5", mask), faults)

    def answer_images(self, kind: str, spec: ImageSpec, faults: OpenAIFaults) -> None:
        """Validate like the Images API, then answer with n images as JSON or as an event stream."""
        problem = spec.problem()
        if problem:
            param, message, code = problem
            self.send_error_status(400, message, param=param, code=code)
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

    def image_b64(self, spec: ImageSpec, faults: OpenAIFaults, index: int, partial: int | None = None) -> str:
        if faults.corrupt:
            return BAD_BASE64
        return b64(spec.draw(index, partial, noise=faults.noise))

    def images_body(self, spec: ImageSpec, count: int, faults: OpenAIFaults) -> dict[str, Any]:
        items = [self.image_item(spec, faults, index) for index in range(count)]
        if not spec.gpt_image:
            return {"created": int(time.time()), "data": items}
        return {"created": int(time.time()), **spec.echo(), "data": items, "usage": spec.usage(count)}

    def image_item(self, spec: ImageSpec, faults: OpenAIFaults, index: int) -> dict[str, Any]:
        item: dict[str, Any] = {}
        if spec.model == "dall-e-3":
            item["revised_prompt"] = f"A detailed rendering of: {spec.prompt}"
        if spec.gpt_image or spec.response_format == "b64_json":
            item["b64_json"] = self.image_b64(spec, faults, index)
        else:
            item["url"] = self.image_url(spec, index)
        return item

    def image_url(self, spec: ImageSpec, index: int) -> str:
        # A stateless download link: the path alone says how to redraw the image (see do_GET).
        # (Only the retired DALL-E models answer with URLs; their edits are drawn fresh.)
        key = base64.urlsafe_b64encode(spec.key(index).encode()).decode()
        return f"http://{self.headers.get('host')}{self.prefix}/fake-files/{spec.width}x{spec.height}/{key}.png"

    def image_events(self, kind: str, spec: ImageSpec, count: int, faults: OpenAIFaults) -> Iterator[bytes]:
        """`<kind>.partial_image` events then `<kind>.completed`, per image (providers.md §2.4)."""
        created = int(time.time())
        for index in range(count):
            for partial in range(spec.partial_images):
                event = {
                    "type": f"{kind}.partial_image",
                    "b64_json": self.image_b64(spec, faults, index, partial),
                    "created_at": created,
                    **spec.echo(),
                    "partial_image_index": partial,
                }
                yield self.encode_frame(event, event["type"])
            event = {
                "type": f"{kind}.completed",
                "b64_json": self.image_b64(spec, faults, index),
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
