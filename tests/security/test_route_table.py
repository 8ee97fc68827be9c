"""The tables cover the URL configuration exactly: a route added without isolation cases (or
an explicit exemption) fails here, and so does a case that no longer hits its route."""

from __future__ import annotations

import uuid

import pytest
from django import forms
from django.urls import Resolver404, resolve
from rest_framework import serializers

from designs.api.documents import DocumentListApi
from designs.api.review import ReviewListApi
from designs.forms import ComposerForm, DocumentIdsField, GalleryFilterForm
from designs.product_forms import RefineForm, SelectForm, TemplateForm
from designs.review_forms import AuditFilterForm, BulkDecisionForm, ReviewFilterForm, ReviseForm
from designs.serializers import MessageInputSerializer
from tests.security.conftest import World
from tests.security.csrf_table import WRITES
from tests.security.requests import fill
from tests.security.routes import all_routes, http_routes, is_admin
from tests.security.table import CASES, EXEMPT, METHOD_EXEMPT, NOT_PROJECT_IDS


def _ids() -> World:
    u = lambda: str(uuid.uuid4())  # noqa: E731
    return World(
        name="x", project=u(), thread=u(), thread2=u(), assistant=u(), run=u(), document=u(), document2=u(),
        membership="7", key=u(), secret="esk_x", provider="openai", invitation=u(), invite_token="tok-en_1",
        expires="1", sig="ab", thumb_sig="cd", comment=u(), template=u(), customization=u(), variant=u(),
        webhook=u(), webhook_secret="whsec_x", delivery=u(),
    )  # fmt: skip


def _routes_needing_cases() -> list[str]:
    return [r.pattern for r in all_routes() if not is_admin(r)]


def test_every_route_has_isolation_cases_or_a_stated_exemption():
    routes = _routes_needing_cases()
    uncovered = [r for r in routes if r not in CASES and r not in EXEMPT and r not in NOT_PROJECT_IDS]
    assert not uncovered, f"routes with no isolation case in tests/security/table.py: {uncovered}"
    empty = [r for r, cases in CASES.items() if not cases]
    assert not empty


def test_the_tables_name_no_route_that_is_gone():
    routes = set(_routes_needing_cases())
    stale = [r for r in [*CASES, *EXEMPT, *NOT_PROJECT_IDS] if r not in routes]
    assert not stale, f"table entries for routes that no longer exist: {stale}"
    assert not set(CASES) & set(EXEMPT)


def test_an_exempt_route_takes_no_id_in_its_path():
    with_params = {r.pattern: r.params for r in all_routes() if r.pattern in EXEMPT and r.params}
    assert not with_params, f"exempt routes with path parameters (give them cases): {with_params}"


@pytest.mark.parametrize("route", [r for r in http_routes() if r.pattern in CASES and r.class_methods()], ids=str)
def test_every_method_of_an_id_taking_view_has_a_case(route):
    covered = {case.method for case in CASES[route.pattern]}
    exempt = {method for (pattern, method) in METHOD_EXEMPT if pattern == route.pattern}
    missing = route.class_methods() - covered - exempt
    assert not missing, f"{route.pattern}: no isolation case for {sorted(missing)}"


@pytest.mark.parametrize(
    ("route", "case"), [(route, case) for route, cases in CASES.items() for case in cases], ids=str
)
def test_each_case_reaches_the_route_it_is_filed_under(route, case):
    """A case whose URL resolves elsewhere (a typo, a moved route) would test nothing."""
    ids = _ids()
    path = fill(case.url, ids, ids).split("?")[0]
    if route.startswith("ws/"):
        from designs.consumers import websocket_urlpatterns

        matched = [str(p.pattern) for p in websocket_urlpatterns if p.pattern.match(path.lstrip("/"))]
        assert matched == [route]
        return
    try:
        match = resolve(path)
    except Resolver404:
        pytest.fail(f"{path} resolves to no route")
    assert match.route.removeprefix("^").removesuffix("$").replace("^", "") == route


def test_every_write_route_is_in_the_csrf_table():
    """test_csrf.py probes the methods; this is the part that needs no database."""
    routes = {r.pattern for r in http_routes() if not is_admin(r)}
    assert not set(WRITES) - routes, "csrf_table.WRITES names routes that no longer exist"


# Where each serializer or form that takes an id in a body or query is used. A new one (or a
# new id field in one of these) needs a case naming that field under its route.
ID_INPUTS: dict[type, str] = {
    MessageInputSerializer: "api/threads/messages",
    DocumentListApi.FilterSerializer: "api/documents",
    ReviewListApi.FilterSerializer: "api/reviews",
    ComposerForm: "projects/<uuid:project_id>/threads/<uuid:thread_id>/messages",
    GalleryFilterForm: "projects/<uuid:project_id>/gallery",
    ReviewFilterForm: "projects/<uuid:project_id>/review",
    BulkDecisionForm: "projects/<uuid:project_id>/review/decide",
    ReviseForm: "projects/<uuid:project_id>/review/<uuid:document_id>/revise",
    AuditFilterForm: "projects/<uuid:project_id>/activity",
    TemplateForm: "projects/<uuid:project_id>/templates/new",
    SelectForm: "projects/<uuid:project_id>/customizations/<uuid:customization_id>/select",
    RefineForm: "projects/<uuid:project_id>/customizations/<uuid:customization_id>/refine",
}


def _subclasses(cls: type) -> list[type]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


def _id_fields(cls: type) -> set[str]:
    if issubclass(cls, serializers.Serializer):
        return {name for name, f in cls().fields.items() if isinstance(f, serializers.UUIDField)}
    id_fields = forms.UUIDField | forms.ModelChoiceField | DocumentIdsField
    return {name for name, f in cls.base_fields.items() if isinstance(f, id_fields)}


def test_every_input_that_takes_an_id_is_listed():
    http_routes()  # imports every view, so every serializer and form is defined
    with_ids = {
        c
        for c in [*_subclasses(serializers.Serializer), *_subclasses(forms.Form)]
        if c.__module__.startswith("designs.") and _id_fields(c)
    }
    assert with_ids == set(ID_INPUTS), "an input with an id field is not in ID_INPUTS (or is gone)"


@pytest.mark.parametrize(("cls", "route"), ID_INPUTS.items(), ids=lambda v: getattr(v, "__qualname__", v))
def test_every_id_field_of_an_input_has_a_case_that_names_it(cls, route):
    queries = [case.url.split("?", 1)[1] for case in CASES[route] if "?" in case.url]
    named = {key for case in CASES[route] for key in case.body} | {
        pair.split("=")[0] for query in queries for pair in query.split("&")
    }
    missing = _id_fields(cls) - named
    assert not missing, f"{route}: no case sends another project's id in {sorted(missing)}"
