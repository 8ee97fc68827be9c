"""The settings pages' forms: a provider key and the project's name. Their checks are the shape of
the request; which keys, URLs and names are acceptable is the services' to say, and a service's
refusal ("api_key: …") is shown on the field it names."""

from __future__ import annotations

from django import forms

from designs.services.credentials import KEY_MAX_LENGTH
from designs.services.projects import PROJECT_NAME_MAX

BASE_URL_MAX = 500


class RefusingForm(forms.Form):
    def add_refusal(self, detail: str) -> None:
        """The service's words on the field they are about ("api_key: …"), the rest above the form."""
        head, _, rest = detail.partition(":")
        message = rest.strip()
        if head in self.fields and message:
            self.add_error(head, message[:1].upper() + message[1:].rstrip(".") + ".")
        else:
            self.add_error(None, detail)


class ProviderKeyForm(RefusingForm):
    api_key = forms.CharField(
        label="API key",
        strip=True,
        max_length=KEY_MAX_LENGTH,
        error_messages={
            "required": "Paste the key the provider gave you.",
            "max_length": f"That is longer than any key: at most {KEY_MAX_LENGTH} characters.",
        },
    )
    base_url = forms.CharField(
        label="Base URL",
        required=False,
        strip=True,
        max_length=BASE_URL_MAX,
        error_messages={"max_length": f"The URL is too long: at most {BASE_URL_MAX} characters."},
    )


class ProjectNameForm(RefusingForm):
    name = forms.CharField(
        label="Name",
        strip=True,
        max_length=PROJECT_NAME_MAX,
        error_messages={
            "required": "Give the project a name.",
            "max_length": f"Keep the name to {PROJECT_NAME_MAX} characters.",
        },
    )
