"""The product pages' forms: a template (its photo, print area, protect areas, output), a
customization to start, and a variant to refine or select.

They check what a person typed field by field and turn it into the dict the services take;
the rules (sizes, aspect, limits) are the services', whose words the views show next to the
field they name (`error_field`).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from designs.forms import AreaForm
from designs.models import Customization
from designs.services.templates import FORMATS, MAX_NAME, MAX_PROMPT, MAX_VARIANTS

FORMAT_CHOICES = [(value, value.upper()) for value in FORMATS]
COUNTS = [(n, str(n)) for n in range(1, MAX_VARIANTS + 1)]
TIER_CHOICES = [
    (Customization.Tier.PREVIEW, "Preview: quick and small, to compare ideas"),
    (Customization.Tier.FINAL, "Final: full size, with the template's image model"),
]
_NUMBERS = re.compile(r"-?\d+")


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label="Product photo",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        error_messages={"required": "Choose a photo of the product first."},
    )


def regions_text(regions: Any) -> str:
    """Rectangles as the protect field shows them: one "x, y, width, height" a line."""
    lines = []
    for region in regions or []:
        if isinstance(region, dict) and {"x", "y", "width", "height"} <= set(region):
            lines.append(", ".join(str(round(region[k])) for k in ("x", "y", "width", "height")))
    return "\n".join(lines)


class TemplateForm(AreaForm):
    """A template version: the print area is the area form's rectangle (dragged on the photo by
    refine_area.js, or typed), the protect areas one rectangle a line (products.js adds the
    ones drawn)."""

    base_document_id = forms.UUIDField(widget=forms.HiddenInput)
    name = forms.CharField(label="Name", max_length=MAX_NAME, error_messages={"required": "Give the template a name."})
    protect_regions = forms.CharField(
        label="Protect areas",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "e.g. 140, 70, 40, 20"}),
    )
    width_px = forms.IntegerField(label="Width (px)", initial=1200)
    height_px = forms.IntegerField(label="Height (px)", initial=1500)
    dpi = forms.IntegerField(label="DPI", initial=300)
    format = forms.ChoiceField(label="Format", choices=FORMAT_CHOICES, initial="png")
    bleed_px = forms.IntegerField(label="Bleed (px)", initial=0, required=False)
    min_dpi = forms.IntegerField(label="Lowest DPI", required=False)
    default_prompt = forms.CharField(
        label="Default prompt",
        required=False,
        max_length=MAX_PROMPT,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "e.g. a bold retro illustration of the customer's idea"}
        ),
    )
    max_variants = forms.TypedChoiceField(label="Most variants at once", choices=COUNTS, coerce=int, initial=4)

    def clean_protect_regions(self) -> list[dict[str, int]] | None:
        rectangles = []
        for number, line in enumerate(self.cleaned_data["protect_regions"].splitlines(), start=1):
            if not line.strip():
                continue
            values = [int(v) for v in _NUMBERS.findall(line)]
            if len(values) != 4:
                raise forms.ValidationError(f"Line {number}: write x, y, width and height, four whole numbers.")
            rectangles.append(dict(zip(("x", "y", "width", "height"), values, strict=True)))
        return rectangles or None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        regions = data.get("regions")
        if not self.has_error("regions"):
            if not regions:
                self.add_error("regions", "Drag a rectangle on the photo for the print area, or type it.")
            elif len(regions) > 1 or "points" in regions[0]:
                self.add_error("regions", "The print area is one rectangle.")
        return data

    def template_data(self) -> dict[str, Any]:
        """The fields `template_create` / `template_update` take."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "base_document_id": str(data["base_document_id"]),
            "print_area": {k: data["regions"][0][k] for k in ("x", "y", "width", "height")},
            "protect_regions": data["protect_regions"],
            "output": {
                "width_px": data["width_px"],
                "height_px": data["height_px"],
                "dpi": data["dpi"],
                "format": data["format"],
                "bleed_px": data["bleed_px"] or 0,
                "min_dpi": data["min_dpi"],
            },
            "default_prompt": data["default_prompt"],
            "max_variants": data["max_variants"],
        }


def version_initial(version: Any) -> dict[str, Any]:
    """A template form filled in from a stored version (to edit it into the next)."""
    area, output = version.print_area, version.output
    mask = version.protect_mask_document
    return {
        "base_document_id": version.base_document_id,
        "name": version.name,
        **{f"area_{k}": area[k] for k in ("x", "y", "width", "height")},
        "protect_regions": regions_text((mask.metadata or {}).get("regions") if mask else None),
        **{k: output.get(k) for k in ("width_px", "height_px", "dpi", "format", "bleed_px", "min_dpi")},
        "default_prompt": version.default_prompt,
        "max_variants": version.max_variants,
    }


# Where a service's words about a template name a field: the first prefix that matches wins.
TEMPLATE_FIELDS = (
    ("name", "name"),
    ("print_area", "regions"),
    ("protect", "protect_regions"),
    ("output.width_px", "width_px"),
    ("output.height_px", "height_px"),
    ("output.dpi", "dpi"),
    ("output.format", "format"),
    ("output.bleed_px", "bleed_px"),
    ("output.min_dpi", "min_dpi"),
    ("default_prompt", "default_prompt"),
    ("max_variants", "max_variants"),
    ("base", "base_document_id"),
)
CUSTOMIZE_FIELDS = (("prompt", "prompt"), ("n", "n"), ("tier", "tier"), ("customer_ref", "customer_ref"))


def error_field(detail: str, fields: tuple[tuple[str, str], ...]) -> str | None:
    """The form field a service's message is about (its words start with the request field)."""
    for prefix, field in fields:
        if detail.startswith((f"{prefix}:", f"{prefix} ", f"{prefix}.")):
            return field
    return None


class CustomizeForm(forms.Form):
    prompt = forms.CharField(
        label="Prompt", required=False, max_length=MAX_PROMPT, widget=forms.Textarea(attrs={"rows": 2})
    )
    n = forms.TypedChoiceField(label="Variants", choices=COUNTS, coerce=int, initial=2)
    tier = forms.ChoiceField(label="Quality", choices=TIER_CHOICES, initial="preview", widget=forms.RadioSelect)
    customer_ref = forms.CharField(label="Customer reference", required=False, max_length=200)

    def __init__(self, *args: Any, most: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["n"].choices = COUNTS[:most]
        self.fields["n"].initial = min(2, most)

    def start_data(self, template_id: Any) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "template_id": str(template_id),
            "prompt": data["prompt"],
            "n": data["n"],
            "tier": data["tier"],
            "customer_ref": data["customer_ref"],
        }


class RefineForm(forms.Form):
    document_id = forms.UUIDField(widget=forms.HiddenInput)
    prompt = forms.CharField(
        label="What to change", max_length=MAX_PROMPT, error_messages={"required": "Say what to change first."}
    )
    n = forms.TypedChoiceField(label="Variants", choices=COUNTS, coerce=int, initial=1)


class SelectForm(forms.Form):
    document_id = forms.UUIDField(widget=forms.HiddenInput)
