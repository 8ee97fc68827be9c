"""The add-a-webhook form. Its checks are the shape of the request (a URL, at least one event);
`services.webhooks` decides what may receive events, and its refusal is shown on the field it
names."""

from __future__ import annotations

from typing import Any

from django import forms

from designs.services.webhook_targets import MAX_URL
from designs.services.webhooks import EVENT_TYPES, MAX_DESCRIPTION

EVENT_WORDS = {
    "run.completed": "A run finished: its images, tokens and billing",
    "run.failed": "A run failed, and why",
    "image.generated": "An image was made or edited",
    "variant.generated": "A product variant was made",
    "customization.completed": "A customization has all its variants",
    "customization.failed": "A customization failed",
    "review.decided": "An image was approved, sent back for changes or rejected",
    "document.deleted": "An image or file was deleted",
}


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=MAX_URL,
        error_messages={
            "required": "Enter the https:// address that should receive the events.",
            "max_length": f"The URL is too long: at most {MAX_URL} characters.",
        },
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(name, EVENT_WORDS.get(name, name)) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one event to send.",
            "invalid_choice": "Choose events from the list: %(value)s is not one of them.",
        },
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=MAX_DESCRIPTION,
        error_messages={"max_length": f"Keep the description to {MAX_DESCRIPTION} characters."},
    )

    def payload(self) -> dict[str, Any]:
        """The body `services.webhooks.endpoint_create` takes."""
        data = self.cleaned_data
        return {"url": data["url"].strip(), "events": data["events"], "description": data["description"]}

    def add_refusal(self, detail: str) -> None:
        """The service's words on the field they are about ("url: …"), the rest above the form."""
        head, _, rest = detail.partition(":")
        field = head.split(" ", 1)[0]
        if field in self.fields and rest:
            message = rest.strip() if head == field else detail
            self.add_error(field, message[:1].upper() + message[1:])
        else:
            self.add_error(None, detail)
