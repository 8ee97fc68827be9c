"""The dashboard's forms: what a person may type, checked field by field."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

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


class ComposerForm(forms.Form):
    """One turn from the thread page: a chat message, or (with refine_document_id) an edit of
    one image sent straight to the image model."""

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

    def turn_data(self) -> dict[str, Any]:
        """The request body `turn_accept` takes, as the API would have built it."""
        data = self.cleaned_data
        image_provider, image_name = split_model(data["image_model"])
        if data["refine_document_id"]:
            return {
                "content": data["content"],
                "operation": "generate_image",
                "input_image_document_id": data["refine_document_id"],
                "image_model_provider": image_provider,
                "image_model_name": image_name,
            }
        llm_provider, llm_name = split_model(data["llm"])
        turn = {
            "content": data["content"],
            "operation": "chat",
            "llm_provider": llm_provider,
            "model_name": llm_name,
            "image_generation": "auto" if data["image_generation"] else "off",
        }
        if data["image_generation"]:
            turn.update(image_model_provider=image_provider, image_model_name=image_name)
        return turn


# Where a service's message names a request field, the form field that shows it.
TURN_FIELDS = (
    ("content", "content"),
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


OPERATION_LABELS = dict(Document.Operation.choices)
