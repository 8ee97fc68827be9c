"""One image call, planned: the request the image model is sent, and what becomes of each image
it returns (composited into its source for a confined edit, held to the size asked for otherwise).

What was asked and what was done is written on the document (`metadata`): `edit_area` (the mask
document, the method, the feather, the crop a composite model saw) and `sizing` (asked, delivered,
and what Easel resized from if the model answered another size).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PIL import Image

from designs.models import Document
from designs.services.documents import document_bytes
from workers.image_inputs import Area
from workers.masked_edit import FEATHER_PX, SIZE_KEYS, AreaRequest, area_request, composite, open_image
from workers.providers.base import ImageRequest, InputImage, ProviderError

if TYPE_CHECKING:
    from workers.image_tool import ImageTool

_DIMENSIONS = re.compile(r"\s*([0-9]{1,5})\s*x\s*([0-9]{1,5})\s*")
SAVE_OPTIONS = {"JPEG": {"quality": 95}, "WEBP": {"quality": 90}, "PNG": {}}


@dataclass
class Plan:
    request: ImageRequest
    prompt: str  # as the caller wrote it: what the document records
    inputs: list[Document] = field(default_factory=list)
    area: Area | None = None
    asked_for: AreaRequest | None = None
    source: Image.Image | None = None
    asked: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def make(
        cls,
        tool: ImageTool,
        prompt: str,
        inputs: list[Document] | tuple[Document, ...],
        area: Area | None,
        size_hint: str | None,
        aspect_ratio_hint: str | None,
    ) -> Plan:
        run = tool.run
        images = [InputImage(data=document_bytes(d), mime_type=d.mime_type) for d in inputs]
        config = dict(run.image_config)
        if area is None:
            request = ImageRequest(
                model=run.image_model,
                prompt=prompt,
                input_images=tuple(images),
                config=config,
                size_hint=size_hint,
                aspect_ratio_hint=aspect_ratio_hint,
            )
            return cls(request, prompt, list(inputs), asked=_asked(config, size_hint, aspect_ratio_hint))
        source = open_image(images[0].data)
        method = tool.ctx.models.image.mask
        asked_for = area_request(method, source, area.editable, prompt)
        first = images[0] if method == "native" else InputImage(data=asked_for.image_png, mime_type="image/png")
        request = ImageRequest(
            model=run.image_model,
            prompt=asked_for.prompt,
            input_images=(first, *images[1:]),
            mask=InputImage(data=area.png, mime_type="image/png") if method == "native" else None,
            config={k: v for k, v in config.items() if k not in SIZE_KEYS},  # the source's size is kept
            aspect_ratio_hint=asked_for.aspect_ratio_hint,
        )
        return cls(request, prompt, list(inputs), area, asked_for, source)

    def finish(self, data: bytes) -> tuple[bytes, dict[str, Any]]:
        """The bytes to store for one returned image, and what the document records about them."""
        try:
            if self.area is None:
                return held_to_size(data, self.asked)
            box = self.asked_for.box
            stored = composite(self.source, data, self.area.editable, box)
        except (OSError, ValueError, SyntaxError) as exc:  # what Pillow raises for bytes it cannot read
            raise ProviderError(
                f"the image model returned an unreadable image ({type(exc).__name__})",
                permanent=True,
                kind="malformed_response",
            ) from exc
        edit_area = {
            "mask_document_id": str(self.area.mask_document.id),
            "method": self.asked_for.method,
            "feather_px": FEATHER_PX,
            "crop": list(box) if self.asked_for.method == "composite" else None,
            "regions": list(self.area.regions),
        }
        return stored, {"edit_area": edit_area}


def _asked(config: dict[str, Any], size_hint: str | None, aspect_ratio_hint: str | None) -> dict[str, Any]:
    """The size the caller fixed (exact), else the one the LLM hinted at (a wish the model maps)."""
    if config.get("size") and _DIMENSIONS.fullmatch(str(config["size"])):
        return {"size": config["size"], "exact": True}
    if config.get("aspect_ratio"):
        return {"aspect_ratio": config["aspect_ratio"]}
    if size_hint:
        return {"size": size_hint, "hint": True}
    if aspect_ratio_hint:
        return {"aspect_ratio": aspect_ratio_hint, "hint": True}
    return {}


def held_to_size(data: bytes, asked: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """`data` at exactly the size the caller fixed (scaled, and centre-cropped if the shape
    differs), with a record of what was asked and delivered; untouched when nothing was fixed."""
    if not asked:
        return data, {}
    with Image.open(io.BytesIO(data)) as image:
        delivered = image.size
        record: dict[str, Any] = {"asked": {k: v for k, v in asked.items() if k != "exact"}}
        match = _DIMENSIONS.fullmatch(str(asked.get("size") or ""))
        target = (int(match[1]), int(match[2])) if match and asked.get("exact") else None
        if target is None or target == delivered:
            return data, {"sizing": {**record, "delivered": f"{delivered[0]}x{delivered[1]}"}}
        image.load()
        image_format = image.format if image.format in SAVE_OPTIONS else "PNG"
        fitted = _cover(image, target)
    out = io.BytesIO()
    fitted.save(out, image_format, **SAVE_OPTIONS[image_format])
    size = {**record, "delivered": f"{target[0]}x{target[1]}", "resized_from": f"{delivered[0]}x{delivered[1]}"}
    return out.getvalue(), {"sizing": size}


def _cover(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """Scaled to cover `target`, then centre-cropped to it (a plain scale when the shapes agree)."""
    width, height = image.size
    scale = max(target[0] / width, target[1] / height)
    scaled = image.resize((max(target[0], round(width * scale)), max(target[1], round(height * scale))), Image.LANCZOS)
    left, top = (scaled.width - target[0]) // 2, (scaled.height - target[1]) // 2
    return scaled.crop((left, top, left + target[0], top + target[1]))
