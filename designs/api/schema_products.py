"""Product customization's JSON shapes as OpenAPI components (designs.product_payloads: templates,
customizations and their variants; designs/api/customizations.py's export refusals), and the
bodies its routes read (designs.services.templates, customizations), as in `schema_components`.
`schema_products_drf` describes the routes; `schema_events` the variant and customization events."""

from __future__ import annotations

from designs.api.schema_components import (
    BOOL,
    COUNT,
    EXAMPLE_UUID,
    INT,
    NUMBER,
    OBJECT,
    REVIEW_STATUS,
    STRING,
    TEXT,
    UUID,
    WHEN,
    Schema,
    array,
    nullable,
    obj,
    ref,
)

POSITIVE = {"type": "integer", "minimum": 1}
VERSION = {**POSITIVE, "description": "A template's versions are numbered from 1; every PUT adds one."}
DPI = {"type": "integer", "minimum": 72, "maximum": 1200}
FORMAT = {"type": "string", "enum": ["png", "jpeg", "tiff"]}
MAX_VARIANTS = {"type": "integer", "minimum": 1, "maximum": 8}
TIER = {
    "type": "string",
    "enum": ["preview", "final"],
    "description": "preview: on the photo at preview size, with the preview model (fast, for a storefront); "
    "final: on the full-size photo, for print.",
}
CUSTOMIZATION_STATUS = {
    "type": "string",
    "enum": ["running", "completed", "partial", "failed"],
    "description": "running while a variant is pending; then completed (all made), partial (some failed) "
    "or failed (none made).",
}
VARIANT_STATUS = {"type": "string", "enum": ["pending", "completed", "failed"]}
FAILURE_REASON = {
    **TEXT,
    "description": "Why a variant failed: content_policy, timeout, low_resolution, cancelled, provider_error, "
    "or the run's own failure (internal, worker_lost, …).",
}
EXAMPLE_TEMPLATE = "88888888-8888-4888-8888-888888888888"
EXAMPLE_DOCUMENT = "33333333-3333-4333-8333-333333333333"
EXAMPLE_URL = f"http://127.0.0.1:8000/api/media/{EXAMPLE_DOCUMENT}.png?expires=1767225600&sig=3b1f"

# --- answers ------------------------------------------------------------------------------------

PRINT_AREA = obj(
    {"x": COUNT, "y": COUNT, "width": POSITIVE, "height": POSITIVE},
    description="The print area's bounding box in the base photo's pixels (a mask's box when a mask draws it).",
    examples=[{"x": 100, "y": 60, "width": 120, "height": 150}],
)
OUTPUT = obj(
    {
        "width_px": {**POSITIVE, "maximum": 12000},
        "height_px": {**POSITIVE, "maximum": 12000},
        "dpi": DPI,
        "format": FORMAT,
        "bleed_px": {**COUNT, "maximum": 2000},
        "min_dpi": nullable(DPI),
    },
    description="The print file: its trim size in pixels, DPI, format and bleed; min_dpi refuses exports "
    "whose print area prints below it.",
    examples=[{"width_px": 480, "height_px": 600, "dpi": 300, "format": "png", "bleed_px": 12, "min_dpi": 72}],
)

TEMPLATE = obj(
    {
        "template_id": UUID,
        "version": VERSION,
        "current_version": POSITIVE,
        "versions": {**array(POSITIVE), "description": "Every version's number, oldest first."},
        "name": STRING,
        "archived": BOOL,
        "archived_at": nullable(WHEN),
        "base_document_id": {**UUID, "description": "The product photo (the template's own copy)."},
        "base_url": {**STRING, "description": "The photo's signed media URL (or the bucket's public URL)."},
        "base_width": POSITIVE,
        "base_height": POSITIVE,
        "print_area": ref("PrintArea"),
        "print_area_mask_document_id": {**nullable(UUID), "description": "The mask that draws the print area."},
        "protect_mask_document_id": {**nullable(UUID), "description": "What never changes, inside the area too."},
        "output": ref("TemplateOutput"),
        "print_dpi": {**NUMBER, "description": "The DPI the print area's pixels give at the output size."},
        "default_prompt": STRING,
        "image_model_provider": TEXT,
        "image_model_name": TEXT,
        "max_variants": MAX_VARIANTS,
        "metadata": OBJECT,
        "created_at": WHEN,
        "version_created_at": WHEN,
    },
    description="One version of a product template (the current one unless asked for another).",
    examples=[
        {
            "template_id": EXAMPLE_TEMPLATE,
            "version": 2,
            "current_version": 2,
            "versions": [1, 2],
            "name": "Plain white tee",
            "archived": False,
            "archived_at": None,
            "base_document_id": EXAMPLE_DOCUMENT,
            "base_url": EXAMPLE_URL,
            "base_width": 320,
            "base_height": 240,
            "print_area": {"x": 100, "y": 60, "width": 120, "height": 150},
            "print_area_mask_document_id": None,
            "protect_mask_document_id": "44444444-4444-4444-8444-444444444444",
            "output": {"width_px": 480, "height_px": 600, "dpi": 300, "format": "png", "bleed_px": 12, "min_dpi": 72},
            "print_dpi": 76.0,
            "default_prompt": "",
            "image_model_provider": None,
            "image_model_name": None,
            "max_variants": 4,
            "metadata": {"sku": "TEE-WHT"},
            "created_at": "2026-06-01T12:00:03.512000Z",
            "version_created_at": "2026-06-02T09:30:00.000000Z",
        }
    ],
)

VARIANT = obj(
    {
        "variant_id": UUID,
        "index": {**COUNT, "description": "Its place in its run."},
        "run_id": UUID,
        "status": VARIANT_STATUS,
        "document_id": {**nullable(UUID), "description": "The image, once made."},
        "url": TEXT,
        "thumbnail_url": TEXT,
        "width": nullable(INT),
        "height": nullable(INT),
        "seed": nullable(INT),
        "prompt": STRING,
        "revised_prompt": TEXT,
        "model_provider": TEXT,
        "model_name": TEXT,
        "failure_reason": FAILURE_REASON,
        "failure_message": TEXT,
        "review_status": nullable(REVIEW_STATUS),
        "parent_document_id": {**nullable(UUID), "description": "What it edits: the photo, or a refined variant."},
        "created_at": WHEN,
    },
    description="One image a customization asked for: made, pending, or failed alone (with why).",
)

CUSTOMIZATION = obj(
    {
        "customization_id": UUID,
        "thread_id": {**UUID, "description": "Its own thread (its runs and messages)."},
        "template_id": UUID,
        "template_version": {**POSITIVE, "description": "The version it started from; it keeps it."},
        "customer_ref": TEXT,
        "prompt": STRING,
        "tier": TIER,
        "status": CUSTOMIZATION_STATUS,
        "selected_document_id": nullable(UUID),
        "metadata": OBJECT,
        "variants": {**array(ref("Variant")), "description": "Every run's variants, oldest first."},
        "usage": obj({"runs": COUNT, "images_generated": COUNT, "variants_failed": COUNT, "cost_usd": NUMBER}),
        "created_at": WHEN,
        "updated_at": WHEN,
    },
    description="One customer's design on one template version, with its variants, usage and cost.",
    examples=[
        {
            "customization_id": "99999999-9999-4999-8999-999999999999",
            "thread_id": EXAMPLE_UUID,
            "template_id": EXAMPLE_TEMPLATE,
            "template_version": 2,
            "customer_ref": "order-1042",
            "prompt": "a red dragon breathing fire",
            "tier": "final",
            "status": "completed",
            "selected_document_id": None,
            "metadata": {},
            "variants": [
                {
                    "variant_id": "77777777-7777-4777-8777-777777777777",
                    "index": 0,
                    "run_id": "55555555-5555-4555-8555-555555555555",
                    "status": "completed",
                    "document_id": EXAMPLE_DOCUMENT,
                    "url": EXAMPLE_URL,
                    "thumbnail_url": None,
                    "width": 320,
                    "height": 240,
                    "seed": 1234,
                    "prompt": "a red dragon breathing fire",
                    "revised_prompt": None,
                    "model_provider": "openai",
                    "model_name": "gpt-image-1",
                    "failure_reason": None,
                    "failure_message": None,
                    "review_status": "unreviewed",
                    "parent_document_id": "66666666-6666-4666-8666-666666666666",
                    "created_at": "2026-06-01T12:00:03.512000Z",
                }
            ],
            "usage": {"runs": 1, "images_generated": 1, "variants_failed": 0, "cost_usd": 0.04},
            "created_at": "2026-06-01T12:00:03.512000Z",
            "updated_at": "2026-06-01T12:00:09.100000Z",
        }
    ],
)

# The `variants` of the terminal customization events (services.customizations._variant_summary).
VARIANT_SUMMARY = obj(
    {
        "variant_id": UUID,
        "index": COUNT,
        "status": VARIANT_STATUS,
        "document_id": nullable(UUID),
        "seed": nullable(INT),
        "failure_reason": FAILURE_REASON,
    },
    description="One variant of the run that ended, as it ended.",
)

PRODUCT_COMPONENTS: dict[str, Schema] = {
    "PrintArea": PRINT_AREA,
    "TemplateOutput": OUTPUT,
    "Template": TEMPLATE,
    "Variant": VARIANT,
    "Customization": CUSTOMIZATION,
    "VariantSummary": VARIANT_SUMMARY,
}

# --- bodies -------------------------------------------------------------------------------------

PIXELS = {"type": "integer", "minimum": 0, "maximum": 1_000_000_000}
RECT_BODY = {
    "type": "object",
    "properties": {"x": PIXELS, "y": PIXELS, "width": {**PIXELS, "minimum": 1}, "height": {**PIXELS, "minimum": 1}},
    "required": ["x", "y", "width", "height"],
    "additionalProperties": False,
    "description": "In the base photo's pixels, inside it.",
}
OUTPUT_BODY = {
    "type": "object",
    "properties": {
        "width_px": {**POSITIVE, "maximum": 12000},
        "height_px": {**POSITIVE, "maximum": 12000},
        "dpi": {**DPI, "default": 300},
        "format": {**FORMAT, "default": "png"},
        "bleed_px": {**COUNT, "maximum": 2000, "default": 0},
        "min_dpi": nullable(DPI),
    },
    "required": ["width_px", "height_px"],
    "additionalProperties": False,
    "description": "At most 64,000,000 pixels, with the print area's aspect (within 1%).",
}
POINT = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
PROTECT_REGION = {
    "oneOf": [
        {
            "type": "object",
            "title": "A rectangle",
            "properties": {
                "type": {"enum": ["rect", "rectangle"]},
                "x": NUMBER,
                "y": NUMBER,
                "width": NUMBER,
                "height": NUMBER,
            },
            "required": ["x", "y", "width", "height"],
        },
        {
            "type": "object",
            "title": "A polygon",
            "properties": {"type": {"const": "polygon"}, "points": {"type": "array", "items": POINT, "minItems": 3}},
            "required": ["points"],
        },
    ],
    "description": "In the base photo's pixels: inside it, with an area.",
}
_TEMPLATE_FIELDS: dict[str, Schema] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "base_document_id": {**UUID, "description": "An image of the project (or upload it as `base`)."},
    "print_area": RECT_BODY,
    "print_area_mask_document_id": {
        **nullable(UUID),
        "description": "Or a mask drawing the print area (transparent, or white on an opaque mask).",
    },
    "protect_mask_document_id": {
        **nullable(UUID),
        "description": "What never changes: white on an opaque mask, or opaque on one with transparency.",
    },
    "protect_regions": {
        "type": ["array", "null"],
        "items": PROTECT_REGION,
        "maxItems": 32,
        "description": "Or what never changes as rectangles and polygons.",
    },
    "output": OUTPUT_BODY,
    "default_prompt": {"type": ["string", "null"], "maxLength": 4000},
    "image_model_provider": {"type": ["string", "null"], "description": "A model that edits inside an area."},
    "image_model_name": {"type": ["string", "null"]},
    "max_variants": {**MAX_VARIANTS, "default": 4},
    "metadata": {"type": ["object", "null"], "description": "At most 16 KB as JSON."},
}
TEMPLATE_BODY = {
    "type": "object",
    "properties": _TEMPLATE_FIELDS,
    "required": ["name", "base_document_id", "output"],
    "additionalProperties": False,
    "description": "The print area as print_area or print_area_mask_document_id (one of them); what never "
    "changes as protect_mask_document_id or protect_regions (at most one).",
}
TEMPLATE_UPDATE_BODY = {
    "type": "object",
    "properties": _TEMPLATE_FIELDS,
    "additionalProperties": False,
    "description": "The fields to change (null clears an optional one); the others come from the current "
    "version. A new base photo must fit the print area and protect mask, or bring new ones.",
}
_FORM_FIELDS: dict[str, Schema] = {
    "base": {"type": "string", "format": "binary", "description": "The product photo (PNG, JPEG or WebP)."},
    **{
        name: {"type": "string", "description": "JSON text: as in a JSON body."}
        for name in ("print_area", "protect_regions", "output", "metadata")
    },
    **{
        name: {"type": "string"}
        for name in (
            "name",
            "base_document_id",
            "print_area_mask_document_id",
            "protect_mask_document_id",
            "default_prompt",
            "image_model_provider",
            "image_model_name",
        )
    },
}
TEMPLATE_FORM = {
    "type": "object",
    "properties": _FORM_FIELDS,
    "required": ["name", "base", "output"],
    "description": "The photo as the file part `base`, and the other fields as form fields (objects as JSON text).",
}
TEMPLATE_UPDATE_FORM = {key: value for key, value in TEMPLATE_FORM.items() if key != "required"}

PROMPT = {"type": ["string", "null"], "maxLength": 4000}
N = {"type": "integer", "minimum": 1, "maximum": 8, "default": 1, "description": "At most the template's max_variants."}
CUSTOMIZATION_BODY = {
    "type": "object",
    "properties": {
        "template_id": UUID,
        "prompt": {**PROMPT, "description": "The design; the template's default_prompt when not given."},
        "n": N,
        "customer_ref": {"type": ["string", "null"], "maxLength": 200, "description": "Yours: filter by it."},
        "metadata": {"type": ["object", "null"], "description": "Yours, kept as given (at most 16 KB)."},
        "tier": {**TIER, "default": "final"},
        "stream": {"type": "boolean", "default": False},
        "image_model_provider": {"type": ["string", "null"], "description": "Instead of the template's."},
        "image_model_name": {"type": ["string", "null"]},
    },
    "required": ["template_id"],
    "additionalProperties": False,
}
REFINE_BODY = {
    "type": "object",
    "properties": {
        "document_id": {**UUID, "description": "A made variant of this customization."},
        "prompt": {"type": "string", "minLength": 1, "maxLength": 4000},
        "n": N,
        "stream": {"type": "boolean", "default": False},
    },
    "required": ["document_id", "prompt"],
    "additionalProperties": False,
}
SELECT_BODY = {
    "type": "object",
    "properties": {"document_id": {**UUID, "description": "A made variant of this customization."}},
    "required": ["document_id"],
    "additionalProperties": False,
}
