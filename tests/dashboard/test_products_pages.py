"""The product pages in-process: templates (the list, a new one in two steps, one with its
versions, editing, archiving) and customizations (starting one, its variants made, pending and
failed, selecting and refining); who may do what, another project's ids, and bad input shown
in words with nothing stored. (In Chromium, live: test_browser_products.py.)"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from designs.models import Customization, Document, Run, Template, TemplateVersion, Variant
from designs.services.customizations import customization_start, settle
from designs.services.documents import document_create
from designs.services.images import inspect_image
from designs.services.templates import template_archive, template_create
from tests.dashboard.stored import png

PHOTO = (320, 240)
AREA = {"x": 100, "y": 60, "width": 120, "height": 150}
OUTPUT = {"width_px": 480, "height_px": 600, "dpi": 300, "format": "png", "bleed_px": 12, "min_dpi": None}
JSON = {"Accept": "application/json"}


def _photo(project, colour=(230, 230, 235)) -> Document:
    data = png(colour, PHOTO)
    return document_create(project=project, data=data, facts=inspect_image(data), thread=None, operation="upload")


def _template(project, name="White tee", **fields) -> TemplateVersion:
    data = {
        "name": name,
        "base_document_id": str(_photo(project).id),
        "print_area": AREA,
        "output": OUTPUT,
        "default_prompt": "a bold retro illustration",
        **fields,
    }
    return template_create(project, data)


def _form(photo: Document, **changes) -> dict:
    """The new-template form as a person fills it in (the area as four typed numbers)."""
    return {
        "base_document_id": str(photo.id),
        "name": "Mug, left side",
        "area_x": "100",
        "area_y": "60",
        "area_width": "120",
        "area_height": "150",
        "protect_regions": "140, 70, 40, 20",
        "width_px": "480",
        "height_px": "600",
        "dpi": "300",
        "format": "png",
        "bleed_px": "12",
        "min_dpi": "",
        "default_prompt": "a cat in a spacesuit",
        "max_variants": "4",
        **changes,
    }


def _started(team, version: TemplateVersion, n: int = 2, **fields) -> Customization:
    data = {"template_id": str(version.template_id), "prompt": "a red dragon", "n": n, "tier": "preview", **fields}
    return customization_start(team.project, data, base_url="http://testserver").customization


def _made(variant: Variant, colour=(200, 40, 40)) -> Document:
    """The variant as the worker leaves it when made."""
    data = png(colour, PHOTO)
    document = document_create(
        project=variant.project,
        data=data,
        facts=inspect_image(data),
        thread=variant.customization.thread,
        run=variant.run,
        operation=Document.Operation.EDIT,
        prompt=variant.prompt,
        parent=variant.parent_document,
        model_provider="local",
        model_name="easel-local-painter",
        seed=1000 + variant.index,
        tool_call_id=f"variant:{variant.index}",
    )
    Variant.objects.filter(pk=variant.pk).update(status="completed", document=document, seed=1000 + variant.index)
    return document


def _ended(customization: Customization) -> None:
    """Its runs over, as the worker leaves them (a refine waits for that)."""
    Run.objects.filter(variants__customization=customization).update(status=Run.Status.COMPLETED)
    settle(customization)


def _failed(variant: Variant, reason="content_policy", message="the provider refused: unsafe content") -> None:
    Variant.objects.filter(pk=variant.pk).update(status="failed", failure_reason=reason, failure_message=message)


def test_the_templates_page_explains_templates_when_there_are_none(team):
    page = team.client("member").get(team.url("templates")).content.decode()
    assert "No product templates yet" in page and "A template is a photo of a product" in page
    assert 'aria-current="page">Products</a>' in page and "New template" in page
    reviewer = team.client("reviewer").get(team.url("templates")).content.decode()
    assert "No product templates yet" in reviewer and "New template</a>" not in reviewer


def test_the_templates_page_lists_current_versions_and_hides_archived_ones_unless_asked(team, media_root):
    tee = _template(team.project, "White tee")
    mug = _template(team.project, "Mug", output={**OUTPUT, "width_px": 1200, "height_px": 1500})
    template_archive(mug.template)
    _template(team.other, "Their tote")

    page = team.client("reviewer").get(team.url("templates")).content.decode()
    assert "White tee" in page and "1.6 × 2 in @ 300 dpi" in page and "Version 1" in page
    assert "Mug" not in page and "Their tote" not in page and "Show 1 archived" in page
    page = team.client("reviewer").get(team.url("templates"), {"archived": "1"}).content.decode()
    assert "Mug" in page and "4 × 5 in @ 300 dpi" in page and "Archived" in page
    assert page.index("Mug") < page.index("White tee")  # newest first
    assert f"/templates/{tee.template_id}" in page


def test_a_template_is_made_in_two_steps_upload_the_photo_then_mark_the_areas(team, media_root):
    client = team.client("member")
    assert "Upload the product photo" in client.get(team.url("templates/new")).content.decode()
    upload = io.BytesIO()
    Image.new("RGB", PHOTO, (240, 240, 240)).save(upload, "PNG")
    answer = client.post(team.url("templates/photo"), {"photo": SimpleUploadedFile("tee.png", upload.getvalue())})
    assert answer.status_code == 302 and "/templates/new?photo=" in answer["Location"]
    photo = Document.objects.get(id=answer["Location"].rsplit("=", 1)[1])
    assert photo.project == team.project and (photo.width, photo.height) == PHOTO

    page = client.get(answer["Location"]).content.decode()
    assert "data-area-image" in page and f'value="{photo.id}"' in page and "Add a protect area" in page
    assert 'value="1200"' in page and 'value="300"' in page  # a print file to start from

    created = client.post(team.url("templates/new"), _form(photo))
    version = TemplateVersion.objects.get(template__project=team.project)
    assert created.status_code == 302 and created["Location"].endswith(f"/templates/{version.template_id}")
    assert version.print_area == AREA and version.base_document == photo and version.output["bleed_px"] == 12
    (protected,) = version.protect_mask_document.metadata["regions"]
    assert {k: protected[k] for k in ("x", "y", "width", "height")} == {"x": 140, "y": 70, "width": 40, "height": 20}
    page = client.get(created["Location"]).content.decode()
    assert '<rect class="print-area" x="100" y="60" width="120" height="150">' in page
    assert '<rect class="protect-area" x="140" y="70" width="40" height="20">' in page
    assert "1.6 × 2 in @ 300 dpi" in page and "Mug, left side" in page and "is ready" in page


def test_bad_template_input_is_refused_in_words_keeping_what_was_typed_and_storing_nothing(team, media_root):
    client = team.client("member")
    photo = _photo(team.project)
    before = (Template.objects.count(), Document.objects.count())

    wrong_shape = client.post(team.url("templates/new"), _form(photo, height_px="480"))
    page = wrong_shape.content.decode()
    assert wrong_shape.status_code == 200
    assert "output: 480x480 has aspect 1.000 but the print area 120x150 has 0.800; they must match within 1%" in page
    assert 'value="Mug, left side"' in page and "140, 70, 40, 20</textarea>" in page and 'value="480"' in page
    outside = client.post(team.url("templates/new"), _form(photo, area_x="300")).content.decode()
    assert "print_area: x 300..420, y 60..210 is not inside the 320x240 base image" in outside
    no_area = client.post(team.url("templates/new"), _form(photo, area_x="", area_y="", area_width="", area_height=""))
    assert "Drag a rectangle on the photo for the print area" in no_area.content.decode()
    bad_protect = client.post(team.url("templates/new"), _form(photo, protect_regions="140, 70, 40")).content.decode()
    assert "Line 1: write x, y, width and height, four whole numbers." in bad_protect
    outside_protect = client.post(team.url("templates/new"), _form(photo, protect_regions="300, 200, 40, 60"))
    assert "protect_regions[0]" in outside_protect.content.decode()
    not_an_image = client.post(team.url("templates/photo"), {"photo": SimpleUploadedFile("a.png", b"not a picture")})
    assert not_an_image.status_code == 200 and "Product photo:" in not_an_image.content.decode()

    assert (Template.objects.count(), Document.objects.count()) == before


def test_editing_saves_a_new_version_and_the_old_one_stays_readable(team, media_root):
    version = _template(team.project, protect_regions=[{"x": 140, "y": 70, "width": 40, "height": 20}])
    client, url = team.client("member"), team.url(f"templates/{version.template_id}")
    form = client.get(url + "/edit").content.decode()
    assert 'value="White tee"' in form and "140, 70, 40, 20</textarea>" in form and "Save as version 2" in form

    saved = client.post(url + "/edit", _form(version.base_document, name="White tee, bigger print", protect_regions=""))
    assert saved.status_code == 302
    current = TemplateVersion.objects.get(template=version.template, version=2)
    assert current.name == "White tee, bigger print" and current.protect_mask_document is None
    page = client.get(url).content.decode()
    assert "Version 2 (current)" in page and "Saved as version 2" in page and 'href="?version=1"' in page
    old = client.get(url, {"version": "1"}).content.decode()
    assert "You are looking at version 1" in old and "White tee</h1>" in old and "Start customizing" not in old
    assert client.get(url, {"version": "9"}).status_code == 404


def test_archiving_hides_the_template_and_stops_new_customizations(team, media_root):
    version = _template(team.project)
    client, url = team.client("admin"), team.url(f"templates/{version.template_id}")
    archived = client.post(url + "/archive")
    assert archived.status_code == 302 and archived["Location"].endswith("/templates")
    page = client.get(url).content.decode()
    assert "This template is archived" in page and "Start customizing" not in page and "Archive</button>" not in page
    refused = client.post(url + "/customize", {"prompt": "a dragon", "n": "1", "tier": "preview"}).content.decode()
    assert "This template is archived: it makes no new customizations" in refused
    assert not Customization.objects.exists()


def test_customize_starts_one_and_its_page_shows_a_placeholder_for_each_variant(team, media_root):
    version = _template(team.project, max_variants=3)
    client, url = team.client("member"), team.url(f"templates/{version.template_id}")
    page = client.get(url).content.decode()
    assert (
        "a bold retro illustration</textarea>" in page
        and '<option value="3"' in page
        and '<option value="4"' not in page
    )

    started = client.post(
        url + "/customize", {"prompt": "a red dragon", "n": "2", "tier": "preview", "customer_ref": "order 1042"}
    )
    customization = Customization.objects.get()
    assert started.status_code == 302 and started["Location"].endswith(f"/customizations/{customization.id}")
    assert customization.tier == "preview" and customization.customer_ref == "order 1042"
    run = Run.objects.get(variants__customization=customization, variants__index=0)
    assert (run.image_provider, run.image_model, run.image_config) == ("local", "easel-local-painter", {"n": 2})

    page = client.get(started["Location"]).content.decode()
    assert "Making 2 variants…" in page and page.count('data-state="pending"') == 2
    assert "Making variant 1…" in page and "Making variant 2…" in page and "order 1042" in page
    assert f'"eventsUrl": "/api/customizations/{customization.id}/events"' in page and '"running": true' in page
    listed = client.get(url).content.decode()
    assert "order 1042" in listed and "Making 2…" in listed

    too_many = client.post(url + "/customize", {"prompt": "x", "n": "5", "tier": "preview"}).content.decode()
    assert "Select a valid choice" in too_many and Customization.objects.count() == 1


def test_made_and_failed_variants_side_by_side_with_status_review_and_downloads(team, media_root):
    customization = _started(team, _template(team.project), n=3)
    first, second, third = customization.variants.order_by("index")
    made = _made(first)
    _made(second, colour=(40, 40, 200))
    _failed(third)
    page = team.client("reviewer").get(team.url(f"customizations/{customization.id}")).content.decode()

    assert "2 of 3 made, 1 failed" in page and page.count('data-state="completed"') == 2
    assert "The model refused this design (content policy)." in page and "the provider refused" in page
    assert f"/api/customizations/{customization.id}/export?document_id={made.id}&amp;kind=print" in page
    assert f"/api/customizations/{customization.id}/export?document_id={made.id}&amp;kind=mockup" in page
    assert "Not reviewed" in page and f"/review/{made.id}" in page and "seed 1000" in page
    assert "data-select-form" not in page and "data-refine-form" not in page  # a reviewer looks
    assert '"running": false' in page


def test_select_and_refine_from_the_customization_page(team, media_root):
    customization = _started(team, _template(team.project))
    first, second = customization.variants.order_by("index")
    made, _other = _made(first), _made(second)
    _ended(customization)
    client, url = team.client("member"), team.url(f"customizations/{customization.id}")

    chosen = client.post(url + "/select", {"document_id": str(made.id)}, headers=JSON).json()
    assert chosen == {"ok": True, "selected_document_id": str(made.id)}
    page = client.get(url).content.decode()
    assert "Selected: <a" in page and '<span class="tag ok">Selected</span>' in page and "2 of 2 made" in page
    assert page.count("data-select-form") == 1  # the other one

    refined = client.post(
        url + "/refine", {"document_id": str(made.id), "prompt": "make it green", "n": "2"}, headers=JSON
    )
    assert refined.json()["ok"] is True
    page = client.get(url).content.decode()
    assert "Refinement of variant 1" in page and "“make it green”" in page and "Making 2 variants…" in page
    assert page.count('data-state="pending"') == 2 and "Making variant 3…" in page
    busy = client.post(url + "/refine", {"document_id": str(made.id), "prompt": "bluer", "n": "1"}, headers=JSON).json()
    assert busy == {
        "ok": False,
        "error": "This customization is still making variants; wait for it to end, then refine",
    }
    plain = client.post(url + "/refine", {"document_id": str(made.id), "prompt": ""})
    assert plain.status_code == 200 and "Say what to change first." in plain.content.decode()


def test_reviewers_cannot_make_edit_archive_start_refine_or_select(team, media_root):
    version = _template(team.project)
    customization = _started(team, version)
    made = _made(customization.variants.order_by("index").first())
    client, template = team.client("reviewer"), team.url(f"templates/{version.template_id}")
    before = (
        Template.objects.count(),
        TemplateVersion.objects.count(),
        Customization.objects.count(),
        Run.objects.count(),
    )
    photo = SimpleUploadedFile("tee.png", png((1, 2, 3), PHOTO))

    for url, data in (
        (team.url("templates/new"), None),
        (team.url("templates/photo"), {"photo": photo}),
        (team.url("templates/new"), _form(version.base_document)),
        (template + "/edit", None),
        (template + "/edit", _form(version.base_document)),
        (template + "/archive", {}),
        (template + "/customize", {"prompt": "a dragon", "n": "1", "tier": "preview"}),
        (team.url(f"customizations/{customization.id}/select"), {"document_id": str(made.id)}),
        (team.url(f"customizations/{customization.id}/refine"), {"document_id": str(made.id), "prompt": "x", "n": "1"}),
    ):
        answer = client.get(url) if data is None else client.post(url, data)
        assert answer.status_code == 403, url
        assert b"Reviewers can look at threads and images but not start generations." in answer.content

    after = (
        Template.objects.count(),
        TemplateVersion.objects.count(),
        Customization.objects.count(),
        Run.objects.count(),
    )
    assert after == before
    version.template.refresh_from_db()
    customization.refresh_from_db()
    assert version.template.archived_at is None and customization.selected_document is None


def test_another_projects_templates_photos_and_customizations_are_not_found(team, media_root):
    theirs = _template(team.other, "Their tote")
    their_customization = customization_start(
        team.other, {"template_id": str(theirs.template_id), "prompt": "x", "tier": "preview"}, base_url="http://t"
    ).customization
    client = team.client("owner")
    ours = _started(team, _template(team.project), n=1)
    made = _made(ours.variants.get())
    their_made = _made(their_customization.variants.get())

    for url in (
        f"templates/{theirs.template_id}",
        f"templates/{theirs.template_id}/edit",
        f"customizations/{their_customization.id}",
        f"templates/new?photo={theirs.base_document_id}",
    ):
        assert client.get(team.url(url)).status_code == 404, url
    for url, data in (
        (f"templates/{theirs.template_id}/archive", {}),
        (f"templates/{theirs.template_id}/customize", {"prompt": "x", "n": "1", "tier": "preview"}),
        (f"customizations/{their_customization.id}/select", {"document_id": str(their_made.id)}),
        ("templates/new", _form(theirs.base_document)),
    ):
        assert client.post(team.url(url), data).status_code == 404, url
    # Their variant named on our customization: refused in words.
    refused = client.post(
        team.url(f"customizations/{ours.id}/select"), {"document_id": str(their_made.id)}, headers=JSON
    )
    assert refused.json()["ok"] is False and "no made variant of this customization" in refused.json()["error"]
    assert client.post(team.url(f"customizations/{ours.id}/select"), {"document_id": str(made.id)}).status_code == 302
    theirs.template.refresh_from_db()
    assert theirs.template.archived_at is None and Customization.objects.filter(project=team.other).count() == 1


def test_when_no_variant_was_made_the_page_says_why_and_where_to_start_again(team, media_root):
    version = _template(team.project)
    customization = _started(team, version)
    for variant, reason in zip(customization.variants.order_by("index"), ("timeout", "cancelled"), strict=True):
        _failed(variant, reason=reason, message="")
    _ended(customization)
    page = team.client("member").get(team.url(f"customizations/{customization.id}")).content.decode()
    assert "0 of 2 made, 2 failed" in page and "No variant was made" in page
    assert "The image model took too long to answer." in page and "Stopped before it was made." in page
    assert f'/templates/{version.template_id}#customize-heading">start again from the template' in page
