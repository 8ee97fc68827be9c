"""GET|PUT /api/limits: any member reads a project's budgets and what each window holds; owners
and admins (and admin keys) change them; a body that is wrong anywhere is a 400 that changes
nothing."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from designs.auth import PROJECT_HEADER
from designs.models import ApiKey, KeyLimits, ProjectLimits
from designs.services.budgets import MAX_COST_PER_MONTH, MAX_IMAGES_PER_DAY
from designs.services.projects import api_key_create

URL = "/api/limits"


def put(client: Client, body, **headers):
    text = body if isinstance(body, str) else json.dumps(body)
    return client.put(URL, text, content_type="application/json", headers=headers)


def key_of(tenant) -> str:
    return str(ApiKey.objects.get(project=tenant.project).id)


def keyed(project, role: str) -> Client:
    _key, secret = api_key_create(project=project, role=role)
    return Client(headers={"X-API-Key": secret})


def test_a_new_project_has_no_limits_and_has_used_nothing(alpha):
    body = alpha.client.get(URL).json()

    assert body["project_id"] == str(alpha.project.id)
    assert (body["images_per_day"], body["cost_per_month_usd"]) == (None, None)
    assert body["used"]["images_today"] == 0 and body["used"]["cost_this_month_usd"] == 0
    assert body["used"]["day_resets_at"].endswith("T00:00:00Z")
    assert body["used"]["month_resets_at"].endswith("-01T00:00:00Z")
    (key,) = body["api_keys"]
    assert key["key_id"] == key_of(alpha) and alpha.key.startswith(key["prefix"])
    assert (key["images_per_day"], key["images_today"]) == (None, 0)


def test_an_admin_key_sets_the_limits_and_null_removes_one(alpha):
    body = put(
        alpha.client,
        {"images_per_day": 5, "cost_per_month_usd": "12.50", "api_keys": {key_of(alpha): {"images_per_day": 2}}},
    ).json()

    assert (body["images_per_day"], body["cost_per_month_usd"]) == (5, 12.5)
    assert body["api_keys"][0]["images_per_day"] == 2
    assert alpha.client.get(URL).json() == body

    body = put(alpha.client, {"images_per_day": None, "api_keys": {key_of(alpha): {"images_per_day": None}}}).json()

    assert (body["images_per_day"], body["cost_per_month_usd"]) == (None, 12.5), "an absent field is left as it was"
    assert body["api_keys"][0]["images_per_day"] is None


@pytest.mark.parametrize(
    "cost, stored",
    [(12, 12.0), (0.1, 0.1), ("0.1", 0.1), ("1e3", 1000.0), (0, 0.0), (str(MAX_COST_PER_MONTH), 1e7)],
)
def test_a_monthly_budget_is_any_amount_of_dollars_as_a_number_or_a_string(alpha, cost, stored):
    assert put(alpha.client, {"cost_per_month_usd": cost}).json()["cost_per_month_usd"] == stored


OURS = "<our key>"  # replaced by alpha's key id
BAD_BODIES = {
    "nothing to change": {},
    "negative images": {"images_per_day": -1},
    "negative dollars": {"cost_per_month_usd": -0.01},
    "negative dollars as text": {"cost_per_month_usd": "-5"},
    "1e300 images": {"images_per_day": 1e300},
    "1e300 dollars": {"cost_per_month_usd": 1e300},
    "1e300 dollars as text": {"cost_per_month_usd": "1e300"},
    "too many images": {"images_per_day": MAX_IMAGES_PER_DAY + 1},
    "a huge whole number": {"images_per_day": 10**40},
    "too many dollars": {"cost_per_month_usd": float(MAX_COST_PER_MONTH) + 1},
    "NaN": {"cost_per_month_usd": "NaN"},
    "nan": {"cost_per_month_usd": "nan"},
    "sNaN": {"cost_per_month_usd": "sNaN"},
    "Infinity": {"cost_per_month_usd": "Infinity"},
    "-Infinity": {"cost_per_month_usd": "-Infinity"},
    "NaN images": {"images_per_day": "NaN"},
    "true images": {"images_per_day": True},
    "false images": {"images_per_day": False},
    "true dollars": {"cost_per_month_usd": True},
    "false dollars": {"cost_per_month_usd": False},
    "fractional images": {"images_per_day": 2.5},
    "whole float images": {"images_per_day": 5.0},
    "images as text": {"images_per_day": "5"},
    "dollars that are not a number": {"cost_per_month_usd": "ten"},
    "hex dollars": {"cost_per_month_usd": "0x10"},
    "empty dollars": {"cost_per_month_usd": ""},
    "an unknown field": {"images_per_month": 5},
    "an unknown field beside a good one": {"images_per_day": 7, "burst": 2},
    "a key that is not a uuid": {"api_keys": {"not-a-uuid": {"images_per_day": 1}}},
    "a key that does not exist": {"api_keys": {str(uuid.UUID(int=1)): {"images_per_day": 1}}},
    "a key's limit that is not an object": {"api_keys": {OURS: 3}},
    "a key's unknown field": {"api_keys": {OURS: {"images_per_day": 1, "cost_per_month_usd": 1}}},
    "a key's negative limit": {"api_keys": {OURS: {"images_per_day": -1}}},
    "a key's float limit": {"api_keys": {OURS: {"images_per_day": 1.5}}},
    "a key's boolean limit": {"api_keys": {OURS: {"images_per_day": True}}},
    "keys as a list": {"api_keys": [OURS]},
    "keys as text": {"api_keys": OURS},
    "a good limit with a bad key": {"images_per_day": 7, "api_keys": {"nope": {"images_per_day": 1}}},
    "a good key with a bad limit": {"images_per_day": -7, "api_keys": {OURS: {"images_per_day": 1}}},
    "images as an object": {"images_per_day": {"value": 5}},
    "dollars as a list": {"cost_per_month_usd": [5]},
    "dollars as an object": {"cost_per_month_usd": {"usd": "5"}},
    "nested garbage": {"api_keys": {OURS: {"images_per_day": [[{"a": None}]]}}},
    "a list": [{"images_per_day": 5}],
    "a string": "images_per_day=5",
    "a number": 5,
    "null": None,
}
BAD_TEXTS = {
    "not JSON": "{images_per_day: 5}",
    "cut off": '{"images_per_day": 5',
    "a bare NaN": '{"cost_per_month_usd": NaN}',
    "a bare Infinity": '{"cost_per_month_usd": Infinity}',
}


def _ours(value, key_id: str):
    if value == OURS:
        return key_id
    if isinstance(value, dict):
        return {_ours(k, key_id): _ours(v, key_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_ours(v, key_id) for v in value]
    return value


@pytest.mark.parametrize("body", [*BAD_BODIES.values(), *BAD_TEXTS.values()], ids=[*BAD_BODIES, *BAD_TEXTS])
def test_bad_input_is_a_400_that_changes_nothing(alpha, body):
    put(
        alpha.client, {"images_per_day": 3, "cost_per_month_usd": 2, "api_keys": {key_of(alpha): {"images_per_day": 1}}}
    )
    before = alpha.client.get(URL).json()

    response = put(alpha.client, body if isinstance(body, str) else _ours(body, key_of(alpha)))

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["detail"] and response.json()["detail"]
    assert alpha.client.get(URL).json() == before


def test_another_projects_key_is_not_one_of_ours_and_its_limit_is_untouched(alpha, bravo):
    theirs = bravo.client.get(URL).json()["api_keys"][0]["key_id"]

    response = put(alpha.client, {"api_keys": {theirs: {"images_per_day": 0}}})

    assert response.status_code == 400
    assert response.json() == {"detail": f"api_keys: {theirs!r} is not an API key of this project"}
    assert not KeyLimits.objects.exists() and not ProjectLimits.objects.exists()
    assert bravo.client.get(URL).json()["api_keys"][0]["images_per_day"] is None


def test_each_key_reads_its_own_projects_limits(alpha, bravo):
    put(alpha.client, {"images_per_day": 5})

    assert bravo.client.get(URL).json()["project_id"] == str(bravo.project.id)
    assert bravo.client.get(URL).json()["images_per_day"] is None


@pytest.mark.parametrize("role, may_change", [("admin", True), ("reviewer", False), ("member", False)])
def test_every_key_reads_the_limits_and_only_an_admin_key_changes_them(alpha, role, may_change):
    client = keyed(alpha.project, role)
    before = client.get(URL)

    response = put(client, {"images_per_day": 1})

    assert before.status_code == 200
    if may_change:
        assert response.status_code == 200 and response.json()["images_per_day"] == 1
    else:
        assert response.status_code == 403 and list(response.json()) == ["detail"]
        assert client.get(URL).json() == before.json()


@pytest.mark.parametrize("who, may_change", [("owner", True), ("admin", True), ("reviewer", False), ("member", False)])
def test_every_signed_in_member_reads_the_limits_and_only_owners_and_admins_change_them(team, who, may_change):
    client, project = team.client(who), {PROJECT_HEADER: str(team.project.id)}

    read = client.get(URL, headers=project)
    response = put(client, {"cost_per_month_usd": 9}, **project)

    assert read.status_code == 200 and read.json()["project_id"] == str(team.project.id)
    assert response.status_code == (200 if may_change else 403)
    stored = ProjectLimits.objects.filter(project=team.project).values_list("cost_per_month_usd", flat=True).first()
    assert (stored == 9) is may_change


def test_a_stranger_signed_in_cannot_read_or_change_another_projects_limits(team):
    client = team.client("stranger")

    read = client.get(URL, headers={PROJECT_HEADER: str(team.project.id)})
    response = put(client, {"images_per_day": 0}, **{PROJECT_HEADER: str(team.project.id)})

    assert read.status_code in (403, 404) and response.status_code in (403, 404)
    assert not ProjectLimits.objects.filter(project=team.project).exists()


@pytest.mark.parametrize(
    "spelling",
    [str.upper, lambda key_id: key_id.replace("-", ""), lambda key_id: "{" + key_id + "}"],
    ids=["capitals", "no-hyphens", "braces"],
)
def test_a_key_id_is_the_same_key_however_the_uuid_is_spelt(alpha, spelling):
    response = put(alpha.client, {"api_keys": {spelling(key_of(alpha)): {"images_per_day": 4}}})

    assert response.status_code == 200, response.content
    assert response.json()["api_keys"][0]["images_per_day"] == 4
