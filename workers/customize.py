"""A customization's run: n variants of a product, each a masked edit inside its print area.

Each variant is asked for on its own (its own seed, so each is a different image), at most
MAX_PARALLEL_IMAGES at once, and stored as it arrives (`variant_generated`), or fails alone
with a reason code (`variant_failed`): a refusal, a provider error, a timeout, an answer too
small for the print. Models that make several images per call and take no seed (OpenAI's) are
asked once for all n, as their API intends; a refusal there refuses them all, as it does.

Whatever the model returns, the stored image is the source with the answer laid in through the
allowed area (print area less protected pixels) with a hard edge: every other pixel is the
template's, value for value (masked_edit.composite_inside).
"""

from __future__ import annotations

import io
import logging
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from PIL import Image

from designs.db import release_connection
from designs.events import EventType
from designs.models import Customization, Document, Variant
from designs.payloads import media_payload
from designs.product_payloads import variant_payload
from designs.services.documents import document_bytes, document_create
from designs.services.images import NotAnImage, inspect_image
from designs.services.masks import canonical_png
from designs.services.review import record_refusal, review_new_image
from designs.services.templates import allowed_area, area_box, output_spec, print_dpi
from designs.services.webhooks import webhook_emit
from workers.adapters import image_for
from workers.masked_edit import area_request, composite_inside, open_image
from workers.providers.base import (
    MAX_PARALLEL_IMAGES,
    ImageRequest,
    ImageResult,
    InputImage,
    ProviderError,
    variant_seed,
)
from workers.run_context import RunContext

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """What every variant of the run is made from."""

    source_document: Document
    source: Image.Image
    allowed: Image.Image
    box: tuple[int, int, int, int]
    request: ImageRequest
    tier: str
    min_dpi: float | None
    area_dpi: float


def customize(ctx: RunContext) -> None:
    run = ctx.run
    variants = list(
        Variant.objects.filter(run=run)
        .select_related("parent_document", "customization__template_version__base_document")
        .order_by("index")
    )
    pending = [v for v in variants if v.status == Variant.Status.PENDING]
    for variant in variants:  # a retried run: what was made is shown again, not made again
        if variant.status == Variant.Status.COMPLETED and variant.document is not None:
            ctx.documents.append(variant.document)
    if not pending:
        return
    job = _job(ctx, pending[0])
    release_connection()  # the images take seconds to minutes
    entry = ctx.models.image
    provider = image_for(run)
    if entry is not None and entry.max_n > 1 and "seed" not in entry.options:
        _all_at_once(ctx, provider, job, pending)
    else:
        _one_by_one(ctx, provider, job, pending, seeded=entry is not None and "seed" in entry.options)


def _job(ctx: RunContext, variant: Variant) -> Job:
    version = variant.customization.template_version
    source_document = variant.parent_document
    source = open_image(document_bytes(source_document))
    allowed = allowed_area(version, size=source.size)
    method = ctx.models.image.mask if ctx.models.image is not None else "composite"
    asked = area_request(method, source, allowed, variant.prompt)
    first = InputImage(data=asked.image_png, mime_type="image/png")
    mask = InputImage(data=canonical_png(allowed), mime_type="image/png") if method == "native" else None
    request = ImageRequest(
        model=ctx.run.image_model,
        prompt=asked.prompt,
        input_images=(first,),
        mask=mask,
        config={"n": 1},
        aspect_ratio_hint=asked.aspect_ratio_hint,
    )
    scale = source.width / version.base_document.width
    spec = output_spec(version)
    return Job(
        source_document=source_document,
        source=source,
        allowed=allowed,
        box=asked.box,
        request=request,
        tier=variant.customization.tier,
        min_dpi=spec.min_dpi,
        area_dpi=print_dpi(version, scale),
    )


def _all_at_once(ctx: RunContext, provider: Any, job: Job, pending: list[Variant]) -> None:
    request = replace(job.request, config={"n": len(pending)})
    try:
        results = provider.generate(request, cancelled=ctx.cancelled)
    except ProviderError as exc:
        for variant in pending:
            _failed(ctx, variant, exc.kind, exc.message)
        return
    ctx.raise_if_cancelled()
    for variant, result in zip(pending, results, strict=False):
        _made(ctx, job, variant, result)
    for variant in pending[len(results) :]:
        _failed(ctx, variant, "provider_error", f"the image model made {len(results)} of {len(pending)} images")


def _one_by_one(ctx: RunContext, provider: Any, job: Job, pending: list[Variant], *, seeded: bool) -> None:
    base = variant_seed(None)
    seeds = {v.id: (base + v.index if seeded else None) for v in pending}

    def make(variant: Variant) -> ImageResult:
        if ctx.cancelled():
            raise ProviderError("cancelled", kind="cancelled")
        config = {"n": 1, **({"seed": seeds[variant.id]} if seeds[variant.id] is not None else {})}
        results = provider.generate(replace(job.request, config=config), cancelled=ctx.cancelled)
        if not results:
            raise ProviderError("the image model returned no image", permanent=True, kind="malformed_response")
        result = results[0]
        return result if result.seed is not None else replace(result, seed=seeds[variant.id])

    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_IMAGES, len(pending)), thread_name_prefix="variant") as pool:
        waiting: dict[Future, Variant] = {pool.submit(make, v): v for v in pending}
        while waiting:
            done, _ = wait(waiting, timeout=0.5, return_when=FIRST_COMPLETED)
            ctx.raise_if_cancelled()  # a cancel or the deadline: the run ends, pending variants fail
            for future in done:  # stored as each arrives, so a storefront shows the first at once
                variant = waiting.pop(future)
                try:
                    result = future.result()
                except ProviderError as exc:
                    _failed(ctx, variant, exc.kind, exc.message)
                    continue
                _made(ctx, job, variant, result)


def _made(ctx: RunContext, job: Job, variant: Variant, result: ImageResult) -> None:
    try:
        data = composite_inside(job.source, result.data, job.allowed, job.box)
        facts = inspect_image(data)
        with Image.open(io.BytesIO(result.data)) as answered:  # its header: composite_inside decoded it
            answer = answered.size
    except (OSError, ValueError, SyntaxError, NotAnImage) as exc:
        _failed(ctx, variant, "malformed_response", f"the image model returned an unreadable image ({exc})")
        return
    shrink = min(1.0, answer[0] / (job.box[2] - job.box[0]), answer[1] / (job.box[3] - job.box[1]))
    dpi = job.area_dpi * shrink
    # Only what the model lost counts here: a print area too small for min_dpi is the template's
    # to fix, and its export says so (422 low_resolution).
    if job.tier == Customization.Tier.FINAL and job.min_dpi and dpi < job.min_dpi <= job.area_dpi:
        _failed(
            ctx,
            variant,
            "low_resolution",
            f"the image model answered {answer[0]}x{answer[1]}, which prints at {dpi:.0f} DPI; "
            f"the template needs at least {job.min_dpi}",
        )
        return
    run = ctx.run
    with transaction.atomic():  # the variant, its image and its webhook event, together
        document = _variant_document(ctx, job, variant, data, facts, result, dpi)
        review_new_image(document)
        Variant.objects.filter(id=variant.id).update(
            status=Variant.Status.COMPLETED, document=document, seed=result.seed
        )
        variant.status, variant.document, variant.seed = Variant.Status.COMPLETED, document, result.seed
        webhook_emit(run.project_id, "variant.generated", lambda: variant_payload(variant, run.public_base_url))
    ctx.documents.append(document)
    ctx.emit(
        EventType.VARIANT_GENERATED,
        customization_id=str(variant.customization_id),
        variant_id=str(variant.id),
        index=variant.index,
        seed=result.seed,
        parent_document_id=str(job.source_document.id),
        revised_prompt=result.revised_prompt,
        review_status=document.review_status,
        media=media_payload(document, run.public_base_url),
    )


def _variant_document(
    ctx: RunContext, job: Job, variant: Variant, data: bytes, facts: Any, result: ImageResult, dpi: float
) -> Document:
    run = ctx.run
    return document_create(
        project=run.project,
        data=data,
        facts=facts,
        thread=run.thread,
        operation=Document.Operation.EDIT,
        prompt=variant.prompt,
        run=run,
        parent=job.source_document,
        revised_prompt=result.revised_prompt,
        model_provider=run.image_provider,
        model_name=run.image_model,
        seed=result.seed,
        tool_call_id=f"variant:{variant.index}",
        metadata={
            "customization": {
                "customization_id": str(variant.customization_id),
                "variant_id": str(variant.id),
                "tier": job.tier,
                "print_area": list(area_box(variant.customization.template_version)),
                "print_dpi": round(dpi, 1),
            },
            "edit_area": {"method": "composite" if job.request.mask is None else "native", "crop": list(job.box)},
        },
    )


def _failed(ctx: RunContext, variant: Variant, kind: str, message: str) -> None:
    reason = kind if kind in ("content_policy", "timeout", "low_resolution", "cancelled") else "provider_error"
    if kind == "content_policy":
        record_refusal(
            project_id=ctx.run.project_id,
            prompt=variant.prompt,
            model=f"{ctx.run.image_provider}/{ctx.run.image_model}",
            reason=message,
            reason_code=kind,
        )
    logger.info("variant %s of run %s failed: %s (%s)", variant.index, ctx.run.id, message, kind)
    Variant.objects.filter(id=variant.id).update(
        status=Variant.Status.FAILED, failure_reason=reason, failure_message=message[:2000]
    )
    ctx.emit(
        EventType.VARIANT_FAILED,
        customization_id=str(variant.customization_id),
        variant_id=str(variant.id),
        index=variant.index,
        reason_code=reason,
        provider_error_kind=kind,
        error=message,
    )
