"""The review pages' forms: the queue's filters, decisions, comments, applying comments, the
review policy and the activity filters. Limits repeat the services' own, so a mistake is a field
error before anything is asked of them."""

from __future__ import annotations

from typing import Any

from django import forms

from designs.forms import AreaForm, DocumentIdsField, split_model
from designs.models import ReviewDecision, ReviewStatus
from designs.services.comments import MAX_REVISE_COMMENTS, MAX_TEXT
from designs.services.review import MAX_APPROVALS, MAX_BLOCKED_TERMS, MAX_REASON

ANY_STATUS = "all"
STATUS_LABELS = {
    ReviewStatus.PENDING: "Pending review",
    ReviewStatus.CHANGES_REQUESTED: "Changes requested",
    ReviewStatus.APPROVED: "Approved",
    ReviewStatus.REJECTED: "Rejected",
    ReviewStatus.UNREVIEWED: "Not reviewed",
}
DECISION_WORDS = {"approved": "approved", "changes_requested": "sent back for changes", "rejected": "rejected"}
MAX_BULK = 500


class ReviewFilterForm(forms.Form):
    """What the queue shows: one status (pending unless asked), a flag, a model, a thread."""

    status = forms.ChoiceField(
        label="Status", required=False, choices=[*STATUS_LABELS.items(), (ANY_STATUS, "Any status")]
    )
    flag = forms.CharField(label="Flag", required=False, max_length=64, widget=forms.Select)
    model = forms.CharField(label="Model", required=False, max_length=320, widget=forms.Select)
    thread = forms.UUIDField(label="Thread", required=False, widget=forms.Select)

    def __init__(
        self,
        *args: Any,
        threads: list[tuple[str, str]],
        models: list[tuple[str, str]],
        flags: list[tuple[str, str]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["flag"].widget.choices = [("", "Any or none"), ("any", "Any flag"), *flags]
        self.fields["model"].widget.choices = [("", "All models"), *models]
        self.fields["thread"].widget.choices = [("", "All threads"), *threads]
        self._flags = {"any", *(code for code, _label in flags)}

    def clean_flag(self) -> str:
        value = self.cleaned_data["flag"]
        if value and value not in self._flags:
            raise forms.ValidationError("Choose a flag from the list.")
        return value

    def clean_model(self) -> str:
        value = self.cleaned_data["model"]
        if value and "/" not in value:
            raise forms.ValidationError("Choose a model from the list.")
        return value

    def criteria(self) -> dict[str, Any]:
        """Keyword arguments for `selectors.review_queue` (the thread is resolved by the view)."""
        data = self.cleaned_data if self.is_bound else {}
        status = data.get("status") or ReviewStatus.PENDING
        provider, name = split_model(data.get("model") or "")
        return {
            "status": None if status == ANY_STATUS else status,
            "flag": data.get("flag") or None,
            "model_provider": provider,
            "model_name": name,
        }


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=ReviewDecision.Decision.choices,
        error_messages={"invalid_choice": "Approve, request changes or reject: %(value)s is none of them."},
    )
    reason = forms.CharField(label="Reason", required=False, max_length=MAX_REASON, widget=forms.Textarea)


class BulkDecisionForm(DecisionForm):
    document_ids = DocumentIdsField(required=True, limit=MAX_BULK, error_messages={"required": "Select images first."})


class CommentForm(AreaForm):
    """A note, on the whole image or on one rectangle of it (drawn, or typed as four numbers)."""

    text = forms.CharField(
        label="Comment", max_length=MAX_TEXT, widget=forms.Textarea, error_messages={"required": "Write a comment."}
    )


class CommentIdsField(DocumentIdsField):
    def to_python(self, value: Any) -> list[str]:
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            raise forms.ValidationError(f"Pick at most {self.limit} comments from the list.") from exc


class ReviseForm(forms.Form):
    comment_ids = CommentIdsField(
        required=True, limit=MAX_REVISE_COMMENTS, error_messages={"required": "Select the comments to apply."}
    )
    prompt = forms.CharField(label="Anything else to change", required=False, max_length=MAX_REASON)


class PolicyForm(forms.Form):
    required = forms.BooleanField(label="Every new image waits for review", required=False)
    gate_delivery = forms.BooleanField(label="Deliver only approved images", required=False)
    approvals_needed = forms.IntegerField(label="Approvals needed", min_value=1, max_value=MAX_APPROVALS)
    blocked_terms = forms.CharField(
        label="Blocked terms",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One word or phrase a line. A prompt that contains one is flagged and waits for review.",
    )

    def clean_blocked_terms(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["blocked_terms"].splitlines()]
        terms = list(dict.fromkeys(line for line in lines if line))
        if len(terms) > MAX_BLOCKED_TERMS:
            raise forms.ValidationError(f"At most {MAX_BLOCKED_TERMS} terms ({len(terms)} given).")
        long = next((t for t in terms if len(t) > 100), None)
        if long:
            raise forms.ValidationError(f"“{long[:40]}…” is longer than 100 characters.")
        return terms

    def changes(self, policy: Any) -> dict[str, Any]:
        """The fields that differ from `policy`, as `review.policy_update` takes them."""
        return {name: value for name, value in self.cleaned_data.items() if getattr(policy, name) != value}


class AuditFilterForm(forms.Form):
    action = forms.CharField(label="Action", required=False, max_length=32, widget=forms.Select)
    actor = forms.CharField(label="Who", required=False, max_length=200, widget=forms.Select)
    document_id = forms.UUIDField(label="Image", required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actions: list[str], actors: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["action"].widget.choices = [
            ("", "Every action"),
            *((a, a.replace("_", " ").capitalize()) for a in actions),
        ]
        self.fields["actor"].widget.choices = [("", "Anyone"), *((a, a) for a in actors)]
        self._actions = set(actions)

    def clean_action(self) -> str:
        value = self.cleaned_data["action"]
        if value and value not in self._actions:
            raise forms.ValidationError("Choose an action from the list.")
        return value
