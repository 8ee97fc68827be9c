"""Customizations: one customer's design on one template version, in a thread of its own.

Starting one (or refining a variant) stores a `customize` run whose variants the worker makes
(workers/customize.py): each a masked edit of the product inside the print area, composited so
every pixel outside it, and every protected pixel, is the template's. A variant fails alone, with
a reason code; the run ends with `customization_completed` (all or some made: `completed`,
`partial`) or `customization_failed` (none), written by `customization_run_ended`, which every
ending of a run calls (services.runs.run_end).
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from PIL import Image

from designs import events
from designs.events import EventType
from designs.exceptions import Conflict, Invalid, NotFound
from designs.models import ApiKey, Customization, Document, Message, Project, Run, TemplateVersion, Variant
from designs.product_payloads import customization_payload
from designs.services.budgets import estimate_for, reserve
from designs.services.documents import document_bytes, document_create
from designs.services.images import inspect_image
from designs.services.limits import run_slots_check
from designs.services.messages import message_create, message_inputs_add
from designs.services.templates import MAX_PROMPT, check_model, template_get, template_version
from designs.services.threads import assistant_default, thread_create
from designs.services.turns import run_start
from designs.services.webhooks import webhook_emit

MAX_REF = 200
MAX_METADATA_BYTES = 16384
START_FIELDS = frozenset(
    {
        "template_id",
        "prompt",
        "n",
        "customer_ref",
        "metadata",
        "tier",
        "stream",
        "image_model_provider",
        "image_model_name",
    }
)


@dataclass(frozen=True)
class Started:
    customization: Customization
    run: Run
    stream: bool


def customization_start(project: Project, data: Any, *, base_url: str, api_key: ApiKey | None = None) -> Started:
    """Validate, store the customization, its thread, its run and its pending variants; the run
    starts after commit. Invalid / NotFound / Conflict / LimitReached with nothing stored."""
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object")
    unknown = sorted(set(data) - START_FIELDS)
    if unknown:
        raise Invalid(f"Unknown field(s): {', '.join(unknown)}")
    if data.get("template_id") in (None, ""):
        raise Invalid("template_id is required")
    template = template_get(project, data["template_id"])
    if template.archived_at is not None:
        raise Conflict("This template is archived: it makes no new customizations")
    version = template_version(template)
    prompt = _prompt(data.get("prompt"), version.default_prompt)
    n = _n(data.get("n", 1), version.max_variants)
    tier = data.get("tier") or Customization.Tier.FINAL
    if tier not in Customization.Tier.values:
        raise Invalid("tier: preview or final")
    customer_ref = data.get("customer_ref") or ""
    if not isinstance(customer_ref, str) or len(customer_ref) > MAX_REF:
        raise Invalid(f"customer_ref: text of at most {MAX_REF} characters")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict) or len(str(metadata)) > MAX_METADATA_BYTES:
        raise Invalid(f"metadata: an object of at most {MAX_METADATA_BYTES} characters")
    stream = data.get("stream", False)
    if not isinstance(stream, bool):
        raise Invalid("stream: true or false")
    provider, name = _model(project, version, tier, data)
    run_slots_check(project=project, api_key=api_key)
    with transaction.atomic():
        source = version.base_document if tier == Customization.Tier.FINAL else preview_base(version)
        thread = thread_create(project=project, assistant=assistant_default(project=project))
        thread.title = f"{version.name} · {customer_ref}" if customer_ref else version.name
        thread.metadata = {"customization": True, "template_id": str(template.id), "customer_ref": customer_ref}
        thread.save(update_fields=["title", "metadata"])
        customization = Customization.objects.create(
            project=project,
            template=template,
            template_version=version,
            thread=thread,
            api_key=api_key,
            customer_ref=customer_ref,
            prompt=prompt,
            tier=tier,
            metadata=metadata,
        )
        run = _run(customization, source, prompt, n, provider, name, base_url, api_key)
    return Started(customization, run, stream)


def customization_refine(customization: Customization, data: Any, *, base_url: str, api_key: ApiKey | None) -> Run:
    """n new variants, each an edit of one made variant (their parent) inside the print area."""
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object")
    unknown = sorted(set(data) - {"document_id", "prompt", "n"})
    if unknown:
        raise Invalid(f"Unknown field(s): {', '.join(unknown)}")
    source = variant_document(customization, data.get("document_id"))
    prompt = _prompt(data.get("prompt"), "")
    n = _n(data.get("n", 1), customization.template_version.max_variants)
    first = customization.variants.select_related("run").order_by("created_at").first()
    provider, name = first.run.image_provider, first.run.image_model
    run_slots_check(project=customization.project, api_key=api_key)
    with transaction.atomic():
        customization = Customization.objects.select_for_update().get(id=customization.id)
        busy = Run.objects.filter(thread_id=customization.thread_id, status__in=[Run.Status.QUEUED, Run.Status.RUNNING])
        if busy.exists():
            raise Conflict("This customization is still making variants; wait for it to end, then refine")
        run = _run(customization, source, prompt, n, provider, name, base_url, api_key)
        customization.status = Customization.Status.RUNNING
        customization.save(update_fields=["status", "updated_at"])
    return run


def customization_select(customization: Customization, document_id: Any) -> Customization:
    customization.selected_document = variant_document(customization, document_id)
    customization.save(update_fields=["selected_document", "updated_at"])
    return customization


def customization_get(project: Project, raw: Any) -> Customization:
    try:
        key = uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound("Customization not found") from exc
    found = (
        Customization.objects.filter(project=project, id=key)
        .select_related("template", "template_version", "template_version__base_document", "thread")
        .first()
    )
    if found is None:
        raise NotFound("Customization not found")
    return found


def variant_document(customization: Customization, raw: Any) -> Document:
    """The document of a made variant of this customization; NotFound for anything else (a
    failed variant has no image, another customization's is not this one's)."""
    try:
        key = uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound("document_id: no made variant of this customization has that id") from exc
    variant = (
        Variant.objects.filter(customization=customization, document_id=key, status=Variant.Status.COMPLETED)
        .select_related("document")
        .first()
    )
    if variant is None:
        raise NotFound(f"document_id: no made variant of this customization has the id {key}")
    return variant.document


def preview_base(version: TemplateVersion) -> Document:
    """The base at preview size (longer side EASEL_PREVIEW_MAX_SIDE), made once per version."""
    base = version.base_document
    side = settings.EASEL_PREVIEW_MAX_SIDE
    if max(base.width, base.height) <= side:
        return base
    # of=self: PostgreSQL locks no row of a nullable outer join (the preview document may be unset).
    version = (
        TemplateVersion.objects.select_for_update(of=("self",))
        .select_related("preview_base_document")
        .get(id=version.id)
    )
    if version.preview_base_document is not None:
        return version.preview_base_document
    with Image.open(io.BytesIO(document_bytes(base))) as image:
        image.load()
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "PNG")
    document = document_create(
        project=version.project,
        data=out.getvalue(),
        facts=inspect_image(out.getvalue()),
        thread=None,
        operation=Document.Operation.VARIATION,
        parent=base,
        metadata={"preview_of": str(base.id), "template_version": version.version},
    )
    version.preview_base_document = document
    version.save(update_fields=["preview_base_document"])
    return document


# --- the end of a run -------------------------------------------------------------------------


def customization_run_ended(run: Run, *, kind: str = "") -> None:
    """A `customize` run ended: its variants still pending fail with why (`kind`: the run's
    failure, "cancelled"), the status is settled, and the terminal customization event is
    published after commit (before the caller's run_ended / run_failed)."""
    customization = Customization.objects.filter(variants__run=run).distinct().first()
    if customization is None:
        return
    Variant.objects.filter(run=run, status=Variant.Status.PENDING).update(
        status=Variant.Status.FAILED,
        failure_reason=kind or "internal",
        failure_message=run.error or f"The run ended ({kind or 'internal'}) before this variant was made",
    )
    status = settle(customization)
    variants = list(Variant.objects.filter(run=run).order_by("index"))
    made = [v for v in variants if v.status == Variant.Status.COMPLETED]
    event = EventType.CUSTOMIZATION_FAILED if not made else EventType.CUSTOMIZATION_COMPLETED
    fields = {
        "customization_id": str(customization.id),
        "status": status,
        "run_status": "failed" if not made else ("partial" if len(made) < len(variants) else "completed"),
        "variants": [_variant_summary(v) for v in variants],
        "images_generated": len(made),
    }
    webhook_emit(
        run.project_id,
        f"customization.{'failed' if not made else 'completed'}",
        lambda: customization_payload(customization, run.public_base_url),
    )
    transaction.on_commit(
        lambda: events.publish(
            project_id=str(run.project_id),
            thread_id=str(run.thread_id),
            run_id=str(run.id),
            assistant_id=str(run.assistant_id),
            type=event,
            **fields,
        )
    )


def settle(customization: Customization) -> str:
    """The status its variants give: running while any is pending, then completed, partial or failed."""
    statuses = list(Variant.objects.filter(customization=customization).values_list("status", flat=True))
    if Variant.Status.PENDING in statuses:
        status = Customization.Status.RUNNING
    elif Variant.Status.FAILED not in statuses:
        status = Customization.Status.COMPLETED
    elif Variant.Status.COMPLETED in statuses:
        status = Customization.Status.PARTIAL
    else:
        status = Customization.Status.FAILED
    Customization.objects.filter(id=customization.id).update(status=status)
    customization.status = status
    return status


def _variant_summary(variant: Variant) -> dict[str, Any]:
    return {
        "variant_id": str(variant.id),
        "index": variant.index,
        "status": variant.status,
        "document_id": str(variant.document_id) if variant.document_id else None,
        "seed": variant.seed,
        "failure_reason": variant.failure_reason or None,
    }


# --- pieces -----------------------------------------------------------------------------------


def _prompt(value: Any, default: str) -> str:
    prompt = value if value not in (None, "") else default
    if not isinstance(prompt, str) or not prompt.strip():
        raise Invalid("prompt is required (the template has no default_prompt)")
    if len(prompt) > MAX_PROMPT:
        raise Invalid(f"prompt: at most {MAX_PROMPT} characters")
    return prompt.strip()


def _n(value: Any, most: int) -> int:
    if isinstance(value, str) and value.strip().isdigit() and len(value) < 4:  # a form's text
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"n: a whole number from 1 to {most}")
    if not 1 <= value <= most:
        raise Invalid(f"n: {value} is outside 1..{most} (the template's max_variants is {most})")
    return value


def _model(project: Project, version: TemplateVersion, tier: str, data: dict[str, Any]) -> tuple[str, str]:
    """The image model: the caller's, else the preview model or the template's, else the default."""
    provider, name = data.get("image_model_provider"), data.get("image_model_name")
    if not provider and not name:
        if tier == Customization.Tier.PREVIEW:
            provider, _, name = settings.EASEL_PREVIEW_IMAGE_MODEL.partition("/")
        else:
            provider, name = version.image_model_provider, version.image_model_name
    if (provider is not None and not isinstance(provider, str)) or (name is not None and not isinstance(name, str)):
        raise Invalid("image_model_provider and image_model_name are strings")
    choice = check_model(project, provider or None, name or None)
    return choice.provider, choice.model


def _run(
    customization: Customization,
    source: Document,
    prompt: str,
    n: int,
    provider: str,
    name: str,
    base_url: str,
    api_key: ApiKey | None,
) -> Run:
    thread = customization.thread
    message = message_create(thread, role=Message.Role.USER, content=prompt, metadata={"customization": True})
    message_inputs_add(message, [source], direct_edit=True)
    run_slots_check(project=customization.project, api_key=api_key, lock=True)
    run = Run.objects.create(
        project=customization.project,
        api_key=api_key,
        thread=thread,
        assistant=thread.assistant,
        user_message=message,
        operation=Run.Operation.CUSTOMIZE,
        image_generation=True,
        image_provider=provider,
        image_model=name,
        image_config={"n": n},
        params={"tier": customization.tier, "customization_id": str(customization.id)},
        public_base_url=base_url,
    )
    message.run = run
    message.save(update_fields=["run"])
    # Held before any provider call; BudgetSpent (a 429) rolls the whole request back.
    reserve(run, images=n, estimated_usd=estimate_for(run, n=n, input_images=1))
    Variant.objects.bulk_create(
        Variant(
            project=customization.project,
            customization=customization,
            run=run,
            index=i,
            prompt=prompt,
            parent_document=source,
        )
        for i in range(n)
    )
    transaction.on_commit(lambda: run_start(run))
    return run
