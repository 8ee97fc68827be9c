"""JSON shapes of product customization: a template (one version of it) and a customization
with its variants, usage and cost. Their OpenAPI twins are in designs/api/schema_products.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from designs.media import media_urls
from designs.models import Customization, Run, Template, TemplateVersion, Variant
from designs.payloads import iso
from designs.services.templates import print_dpi


def template_payload(version: TemplateVersion, base_url: str, *, versions: list[int] | None = None) -> dict[str, Any]:
    template: Template = version.template
    base = version.base_document
    return {
        "template_id": str(template.id),
        "version": version.version,
        "current_version": template.version,
        "versions": versions if versions is not None else list(range(1, template.version + 1)),
        "name": version.name,
        "archived": template.archived_at is not None,
        "archived_at": iso(template.archived_at),
        "base_document_id": str(base.id),
        "base_url": media_urls(base, base_url)["url"],
        "base_width": base.width,
        "base_height": base.height,
        "print_area": version.print_area,
        "print_area_mask_document_id": _id(version.print_area_mask_document_id),
        "protect_mask_document_id": _id(version.protect_mask_document_id),
        "output": version.output,
        "print_dpi": round(print_dpi(version), 1),
        "default_prompt": version.default_prompt,
        "image_model_provider": version.image_model_provider or None,
        "image_model_name": version.image_model_name or None,
        "max_variants": version.max_variants,
        "metadata": version.metadata,
        "created_at": iso(template.created_at),
        "version_created_at": iso(version.created_at),
    }


def variant_payload(variant: Variant, base_url: str) -> dict[str, Any]:
    document = variant.document
    urls = media_urls(document, base_url) if document is not None else {}
    return {
        "variant_id": str(variant.id),
        "index": variant.index,
        "run_id": str(variant.run_id),
        "status": variant.status,
        "document_id": _id(variant.document_id),
        "url": urls.get("url"),
        "thumbnail_url": urls.get("thumbnail_url"),
        "width": document.width if document else None,
        "height": document.height if document else None,
        "seed": variant.seed,
        "prompt": variant.prompt,
        "revised_prompt": document.revised_prompt if document else None,
        "model_provider": document.model_provider if document else None,
        "model_name": document.model_name if document else None,
        "failure_reason": variant.failure_reason or None,
        "failure_message": variant.failure_message or None,
        "review_status": document.review_status if document else None,
        "parent_document_id": _id(variant.parent_document_id),
        "created_at": iso(variant.created_at),
    }


def customization_payload(customization: Customization, base_url: str) -> dict[str, Any]:
    variants = list(customization.variants.select_related("document").order_by("created_at", "index"))
    runs = Run.objects.filter(variants__customization=customization).distinct()
    usage = runs.aggregate(images=Sum("images_generated"), cost=Sum("cost_usd"), count=Count("id", distinct=True))
    return {
        "customization_id": str(customization.id),
        "thread_id": str(customization.thread_id),
        "template_id": str(customization.template_id),
        "template_version": customization.template_version.version,
        "customer_ref": customization.customer_ref or None,
        "prompt": customization.prompt,
        "tier": customization.tier,
        "status": customization.status,
        "selected_document_id": _id(customization.selected_document_id),
        "metadata": customization.metadata,
        "variants": [variant_payload(v, base_url) for v in variants],
        "usage": {
            "runs": usage["count"] or 0,
            "images_generated": usage["images"] or 0,
            "variants_failed": sum(1 for v in variants if v.status == Variant.Status.FAILED),
            "cost_usd": float(usage["cost"] or Decimal(0)),
        },
        "created_at": iso(customization.created_at),
        "updated_at": iso(customization.updated_at),
    }


def _id(value: Any) -> str | None:
    return str(value) if value else None
