"""The dashboard's forms: what a person may type, checked field by field."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from designs import catalog
from designs.models import ApiKey, Document, Membership
from designs.parsers import DATE_RANGE, EARLIEST_DATE, LATEST_DATE

MAX_MESSAGE_CHARS = 100_000


def _catalog_keys(models: tuple) -> set[str]:
    return {f"{m.provider}/{m.name}" for m in models}


def split_model(value: str) -> tuple[str | None, str | None]:
    """ "provider/name" (names may contain "/") → (provider, name); "" → (None, None): the default."""
    if not value:
        return None, None
    provider, _, name = value.partition("/")
    return provider, name


class SignInForm(AuthenticationForm):
    """Django's sign-in, where "username" may also be the account's email, in any case."""

    def clean(self) -> dict[str, Any]:
        typed = (self.cleaned_data.get("username") or "").strip()
        if typed:
            users = get_user_model().objects
            if not users.filter(username=typed).exists():
                match = (
                    users.filter(email__iexact=typed).order_by("id").first()
                    or users.filter(username__iexact=typed).first()
                )
                if match is not None:
                    self.cleaned_data["username"] = match.get_username()
        return super().clean()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImageFilesField(forms.FileField):
    """Several uploaded files under one name (Django's documented pattern); the service reads them."""

    def __init__(self, *args: Any, limit: int, **kwargs: Any):
        self.limit = limit
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > self.limit:
            raise forms.ValidationError(f"Attach at most {self.limit} images.")
        cleaned = []
        for upload in files:  # a loop: super() needs this method's frame, which a comprehension lacks
            cleaned.append(super().clean(upload, initial))
        return cleaned


class DocumentIdsField(forms.Field):
    """Document ids sent once each under one name (the gallery picker's checkboxes)."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *args: Any, limit: int, **kwargs: Any):
        self.limit = limit
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> list[str]:
        values = [v for v in (value if isinstance(value, list | tuple) else [value]) if v]
        try:
            ids = list(dict.fromkeys(str(UUID(str(v))) for v in values))
        except ValueError as exc:
            raise forms.ValidationError("Pick images from the list.") from exc
        if len(ids) > self.limit:
            raise forms.ValidationError(f"Pick at most {self.limit} images.")
        return ids


MAX_ATTACHMENTS = 8
VARIANTS = [(n, str(n)) for n in range(1, 5)]
ASPECT_RATIOS = [("", "Auto"), *((ratio, ratio) for ratio in catalog.COMMON_ASPECTS)]
AREA_FIELDS = ("area_x", "area_y", "area_width", "area_height")
# What a refine form's selects offer, for the templates that draw them by hand.
REFINE_CHOICES = {"variant_choices": VARIANTS, "aspect_choices": ASPECT_RATIOS}


def area_from_numbers(form: forms.Form, data: dict[str, Any]) -> dict[str, Any]:
    """`regions` from the four area numbers when no script drew it: the numbers are how the area
    is typed (or sent without a script), so their errors show as the area's, one control."""
    for name in AREA_FIELDS:
        for problem in form._errors.pop(name, []):
            form.add_error("regions", f"{form.fields[name].label}: {problem}")
    numbers = [data.get(name) for name in AREA_FIELDS]
    if data.get("regions") is None and any(v is not None for v in numbers):
        if any(v is None for v in numbers):
            form.add_error("regions", "Give the area's x, y, width and height, or clear it.")
        else:
            x, y, width, height = numbers
            data["regions"] = [{"x": x, "y": y, "width": width, "height": height}]
    return data


class AreaForm(forms.Form):
    """An area of an image: `regions` drawn by the page's script, or four numbers typed (or sent
    without a script); one control, whose errors all show as the area's."""

    regions = forms.JSONField(required=False, widget=forms.HiddenInput)
    area_x = forms.IntegerField(label="X", required=False)
    area_y = forms.IntegerField(label="Y", required=False)
    area_width = forms.IntegerField(label="Width", required=False)
    area_height = forms.IntegerField(label="Height", required=False)

    def clean_regions(self) -> list | None:
        value = self.cleaned_data["regions"]
        if value in (None, "", []):
            return None
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise forms.ValidationError("The area must be a list of rectangles.")
        return value

    def clean(self) -> dict[str, Any]:
        return area_from_numbers(self, super().clean())


class ComposerForm(AreaForm):
    """One turn from the thread page: a chat message (with attached or picked images), or (with
    refine_document_id) an edit of one image sent straight to the image model, optionally
    confined to an area of it (`regions`, or the four area numbers typed without a script)."""

    content = forms.CharField(
        label="Message",
        max_length=MAX_MESSAGE_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Describe an image, or ask for a change"}),
        error_messages={"required": "Write a message first."},
    )
    image_generation = forms.BooleanField(label="Generate images", required=False, initial=True)
    llm = forms.CharField(label="Language model", required=False, max_length=320)
    image_model = forms.CharField(label="Image model", required=False, max_length=320)
    refine_document_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    files = ImageFilesField(label="Attach images", required=False, limit=MAX_ATTACHMENTS)
    input_image_document_ids = DocumentIdsField(label="Pick from the gallery", required=False, limit=MAX_ATTACHMENTS)
    n = forms.TypedChoiceField(label="Variants", choices=VARIANTS, coerce=int, required=False, empty_value=1)
    aspect_ratio = forms.ChoiceField(label="Aspect ratio", choices=ASPECT_RATIOS, required=False)

    def clean_llm(self) -> str:
        value = self.cleaned_data["llm"]
        if value and value not in _catalog_keys(catalog.LLM_MODELS):
            raise forms.ValidationError(f"{value} is not in the model catalog.")
        return value

    def clean_image_model(self) -> str:
        value = self.cleaned_data["image_model"]
        if value and value not in _catalog_keys(catalog.IMAGE_MODELS):
            raise forms.ValidationError(f"{value} is not in the model catalog.")
        return value

    def image_config(self) -> dict[str, Any]:
        """How many images, in what shape: only what differs from the model's own default."""
        data = self.cleaned_data
        config: dict[str, Any] = {}
        if (data.get("n") or 1) > 1:
            config["n"] = data["n"]
        if data.get("aspect_ratio"):
            config["aspect_ratio"] = data["aspect_ratio"]
        return config

    def turn_data(self) -> dict[str, Any]:
        """The request body `turn_accept` takes, as the API would have built it."""
        data = self.cleaned_data
        image_provider, image_name = split_model(data["image_model"])
        images: dict[str, Any] = {"image_model_provider": image_provider, "image_model_name": image_name}
        if self.image_config():
            images["image_config"] = self.image_config()
        extras: dict[str, Any] = {}
        if data.get("input_image_document_ids"):
            extras["input_image_document_ids"] = data["input_image_document_ids"]
        if data.get("regions") is not None:
            extras["regions"] = data["regions"]
        if data["refine_document_id"]:
            return {
                "content": data["content"],
                "operation": "generate_image",
                "input_image_document_id": data["refine_document_id"],
                **images,
                **extras,
            }
        llm_provider, llm_name = split_model(data["llm"])
        return {
            "content": data["content"],
            "operation": "chat",
            "llm_provider": llm_provider,
            "model_name": llm_name,
            "image_generation": "auto" if data["image_generation"] else "off",
            # Without image generation there is no image model to choose, or to ask for variants.
            **(images if data["image_generation"] else {}),
            **extras,
        }

    def uploads(self) -> dict[str, list]:
        """The attached files, under the name a chat turn takes them."""
        files = self.cleaned_data.get("files") or []
        return {"files": files} if files else {}


# Where a service's message names a request field, the form field that shows it (the first
# match wins, so the narrow words come before "model" and "document").
TURN_FIELDS = (
    ("content", "content"),
    ("region", "regions"),
    ("mask", "regions"),
    ("aspect", "aspect_ratio"),
    ("image_config.n", "n"),
    ("n=", "n"),
    ("image_config", "n"),
    ("input_image_document_ids", "input_image_document_ids"),
    ("input image", "files"),
    ("files", "files"),
    ("image_model", "image_model"),
    ("image model", "image_model"),
    ("image provider", "image_model"),
    ("llm", "llm"),
    ("model", "llm"),
    ("document", "refine_document_id"),
)


def turn_error_field(message: str) -> str | None:
    lowered = message.lower()
    for needle, field in TURN_FIELDS:
        if needle in lowered:
            return field
    return None


class ThreadSearchForm(forms.Form):
    q = forms.CharField(label="Search threads", required=False, max_length=200, strip=True)


def _in_date_range(day: date) -> None:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise forms.ValidationError(f"Choose a date {DATE_RANGE}.")


class GalleryFilterForm(forms.Form):
    thread = forms.UUIDField(label="Thread", required=False, widget=forms.Select)
    model = forms.CharField(label="Model", required=False, max_length=320, widget=forms.Select)
    operation = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "All images"), ("generate", "Generated"), ("edit", "Edited"), ("upload", "Uploaded")],
    )
    date_from = forms.DateField(
        label="From", required=False, validators=[_in_date_range], widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, validators=[_in_date_range], widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        label="Review",
        required=False,
        choices=[
            ("", "Any status"),
            ("pending", "Pending review"),
            ("changes_requested", "Changes requested"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("unreviewed", "Not reviewed"),
        ],
    )

    def __init__(self, *args: Any, threads: list[tuple[str, str]], models: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["thread"].widget.choices = [("", "All threads"), *threads]
        self.fields["model"].widget.choices = [("", "All models"), *models]
        self._models = {value for value, _label in models}

    def clean_model(self) -> str:
        value = self.cleaned_data["model"]
        if value and "/" not in value:
            raise forms.ValidationError("Choose a model from the list.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def criteria(self) -> dict[str, Any]:
        """Keyword arguments for `documents_for_project` (the thread is resolved by the view)."""
        data = self.cleaned_data
        provider, name = split_model(data.get("model") or "")
        return {
            "operation": data.get("operation") or None,
            "model_provider": provider,
            "model_name": name,
            "created_after": _day_start(data.get("date_from")),
            "created_before": _day_after(data.get("date_to")),
        }


def _day_start(day: date | None) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def _day_after(day: date | None) -> datetime | None:
    """Where a day ends; None (no end) for the calendar's last day, which has no day after it."""
    return _day_start(day + timedelta(days=1)) if day and day < LATEST_DATE else None


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(value, label) for value, label in Membership.Role.choices if value in roles]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Key name",
        required=False,
        max_length=ApiKey._meta.get_field("name").max_length,
        help_text="So you can tell keys apart, e.g. “staging server”.",
    )
    role = forms.ChoiceField(
        label="Role",
        choices=[("admin", "Admin"), ("reviewer", "Reviewer"), ("member", "Member")],
        initial="admin",
        required=False,  # left out, as by a form from before roles: admin, what every key could do
        help_text="Admin: everything. Reviewer: decide and comment, never generate. Member: generate and comment.",
    )

    def clean_role(self) -> str:
        return self.cleaned_data["role"] or "admin"


OPERATION_LABELS = dict(Document.Operation.choices)
