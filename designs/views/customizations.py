"""One customization in the dashboard: its variants side by side, round by round (the start,
then each refinement), pending ones as placeholders that static/easel/products.js fills in from
the customization's event stream; selecting one, refining one, and downloading the print file
and the mockup of each (the export API, which the review policy may hold back).

Posts answer JSON to the page's script (refusals too, with 200 and `error`, as review_item's
do) and redirect a plain form back to the page, or show it again with the refusal in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from designs import selectors
from designs.exceptions import DomainError, NotFound
from designs.media import request_base_url
from designs.models import Customization, Variant
from designs.product_forms import COUNTS, RefineForm, SelectForm
from designs.services import customizations as services
from designs.services.review import delivery_blockers
from designs.services.templates import print_dpi
from designs.views.access import Member, form_errors, project_page, render_page
from designs.views.pictures import Picture, picture
from designs.views.review import wants_json

FAILURE_WORDS = {
    "content_policy": "The model refused this design (content policy).",
    "timeout": "The image model took too long to answer.",
    "low_resolution": "The image model’s answer has too few pixels for the print file.",
    "cancelled": "Stopped before it was made.",
    "provider_error": "The image model could not make it.",
}
SOMETHING_WRONG = "Something went wrong while making it."


@dataclass
class Card:
    """One variant as the page shows it."""

    variant: Variant
    number: int  # across the whole customization, in the order they were asked for
    picture: Picture | None
    selected: bool
    blockers: list[str]
    print_dpi: float | None = None  # what its print area gives at the print size

    @property
    def state(self) -> str:
        return self.variant.status

    @property
    def too_small(self) -> bool:
        """Too few pixels for the template's lowest DPI: the export refuses its print file."""
        least = self.variant.customization.template_version.output.get("min_dpi")
        return bool(least and self.print_dpi is not None and self.print_dpi < least)

    @property
    def failure(self) -> str:
        return FAILURE_WORDS.get(self.variant.failure_reason, SOMETHING_WRONG)


@dataclass
class Round:
    """The variants one run asked for: the start, or a refinement of one variant."""

    run_id: str
    number: int
    prompt: str
    parent_number: int | None
    cards: list[Card] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return any(card.state == Variant.Status.PENDING for card in self.cards)

    @property
    def words(self) -> str:
        return status_words([card.state for card in self.cards])


def status_words(statuses: list[str]) -> str:
    """ "Making 3 variants…", "3 of 3 made", "2 of 3 made, 1 failed"."""
    total = len(statuses)
    made = statuses.count(Variant.Status.COMPLETED)
    failed = statuses.count(Variant.Status.FAILED)
    pending = statuses.count(Variant.Status.PENDING)
    done = f"{made} of {total} made" + (f", {failed} failed" if failed else "")
    if pending:
        making = f"Making {pending} variant{'s' if pending != 1 else ''}…"
        return f"{making} {done}" if made or failed else making
    return done


def rounds_of(customization: Customization, base: str) -> list[Round]:
    version = customization.template_version
    rounds: dict[str, Round] = {}
    numbers: dict[Any, int] = {}  # a made variant's document id -> its number
    for number, variant in enumerate(selectors.customization_variants(customization=customization), start=1):
        document = variant.document if variant.status == Variant.Status.COMPLETED else None
        if document is not None:
            numbers[document.id] = number
        key = str(variant.run_id)
        if key not in rounds:
            parent = numbers.get(variant.parent_document_id)
            rounds[key] = Round(key, len(rounds) + 1, variant.prompt, parent)
        variant.customization = customization  # one query for all: the cards read its version
        scale = document.width / version.base_document.width if document else 1.0
        rounds[key].cards.append(
            Card(
                variant=variant,
                number=number,
                picture=picture(document, base) if document else None,
                selected=document is not None and document.id == customization.selected_document_id,
                blockers=delivery_blockers(document) if document else [],
                print_dpi=print_dpi(version, scale) if document else None,
            )
        )
    return list(rounds.values())


def _customization(member: Member, customization_id: UUID) -> Customization:
    try:
        return services.customization_get(member.project, customization_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def _page(request: HttpRequest, member: Member, customization: Customization, **forms: Any) -> HttpResponse:
    base = request_base_url(request)
    rounds = rounds_of(customization, base)
    cards = [card for r in rounds for card in r.cards]
    running = any(r.pending for r in rounds)
    version = customization.template_version
    refine_form = forms.get("refine_form")
    refining = str(refine_form["document_id"].value()) if refine_form is not None else ""
    on_a_card = any(str(card.variant.document_id) == refining for card in cards if card.picture)
    context = {
        "customization": customization,
        "version": version,
        "template": customization.template,
        "product": picture(version.base_document, base),
        "rounds": rounds,
        "words": status_words([card.state for card in cards]) if cards else "No variants yet.",
        "selected": next((card for card in cards if card.selected), None),
        "nothing_made": bool(cards) and not running and not any(card.picture for card in cards),
        "running": running,
        "counts": COUNTS[: version.max_variants],
        "refine_form": refine_form,
        "refining": refining,
        # A refusal about no variant of this page (another's, a failed one) shows at the top.
        "refine_error": form_errors(refine_form) if refine_form is not None and not on_a_card else "",
        "config": {
            "eventsUrl": f"/api/customizations/{customization.id}/events",
            "running": running,
        },
    }
    return render_page(request, member, "dashboard/customization.html", context, section="templates")


@require_GET
@project_page
def customization_detail(request: HttpRequest, member: Member, customization_id: UUID) -> HttpResponse:
    return _page(request, member, _customization(member, customization_id))


@require_POST
@project_page
def customization_select(request: HttpRequest, member: Member, customization_id: UUID) -> HttpResponse:
    """Mark one made variant as the chosen design (the storefront reads it as selected)."""
    member.require_generator()
    customization = _customization(member, customization_id)
    form = SelectForm(request.POST)
    chosen = None
    if form.is_valid():
        try:
            chosen = services.customization_select(customization, form.cleaned_data["document_id"])
        except DomainError as exc:
            form.add_error(None, exc.detail)
    if wants_json(request):
        if chosen is None:
            return JsonResponse({"ok": False, "error": form_errors(form)})
        return JsonResponse({"ok": True, "selected_document_id": str(chosen.selected_document_id)})
    if chosen is None:
        messages.error(request, form_errors(form))
    else:
        messages.success(request, "Selected.")
    return redirect("dashboard:customization", member.project.id, customization.id)


@require_POST
@project_page
def customization_refine(request: HttpRequest, member: Member, customization_id: UUID) -> HttpResponse:
    """n new variants, each an edit of the chosen one inside the print area, arriving live."""
    member.require_generator()
    customization = _customization(member, customization_id)
    form = RefineForm(request.POST)
    run = None
    if form.is_valid():
        data = {**form.cleaned_data, "document_id": str(form.cleaned_data["document_id"])}
        try:
            run = services.customization_refine(customization, data, base_url=request_base_url(request), api_key=None)
        except DomainError as exc:
            form.add_error("n" if exc.detail.startswith("n:") else None, exc.detail)
    if wants_json(request):
        if run is None:
            return JsonResponse({"ok": False, "error": form_errors(form)})
        return JsonResponse({"ok": True, "run_id": str(run.id)})
    if run is None:
        return _page(request, member, customization, refine_form=form)
    count = run.image_config.get("n", 1)
    messages.success(request, f"Refining: {count} new variant{'s' if count != 1 else ''} on the way.")
    return redirect("dashboard:customization", member.project.id, customization.id)
