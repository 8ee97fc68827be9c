"""The Settings area: owners and admins rename the project and add, replace and remove its
provider keys (shown by their last four characters only); everyone else is refused, and a model
without a key sends people to Settings instead of naming the API."""

from __future__ import annotations

import copy
import json
import re

import pytest

from designs.models import Project, ProviderCredential, Run
from designs.services.credentials import credential_secret, credential_set
from tests.dashboard.stored import new_thread

KEY = "sk-proj-team-secret-9f3c7a1d"
OTHER_KEY = "sk-proj-replacement-77aa42b8"
SERVER_KEY = "sk-server-owned-by-ops-5e5e"
JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def _no_server_keys(settings):
    """The server has no provider keys, and no local stand-in for a provider without one."""
    providers = copy.deepcopy(settings.EASEL_PROVIDERS)
    for config in providers.values():
        config["api_key"] = ""
    settings.EASEL_PROVIDERS = providers
    settings.EASEL_LOCAL_FALLBACK = False
    settings.EASEL_ALLOW_PROJECT_BASE_URLS = False
    return settings


def _row(html: str, provider: str) -> str:
    """The provider's section of the provider keys page."""
    match = re.search(rf'<section class="panel provider" id="provider-{provider}".*?</section>', html, re.S)
    assert match, f"no row for {provider}"
    return match.group(0)


def _current_tab(html: str) -> str:
    return re.search(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', html).group(2)


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "reviewer"])
def test_members_and_reviewers_get_the_403_page_and_change_nothing(team, who):
    credential_set(project=team.project, provider="openai", api_key=KEY)
    client = team.client(who)
    for response in (
        client.get(team.url("settings")),
        client.post(team.url("settings"), {"name": "Taken over"}),
        client.get(team.url("settings/providers")),
        client.post(team.url("settings/providers/openai"), {"api_key": OTHER_KEY}),
        client.post(team.url("settings/providers/openai/remove")),
    ):
        assert response.status_code == 403
        assert "Only owners and admins open the project’s settings." in response.content.decode()
    assert Project.objects.get(pk=team.project.pk).name == "Studio"
    assert credential_secret(project_id=team.project.id, provider="openai").api_key == KEY


@pytest.mark.parametrize("who", ["member", "reviewer"])
def test_the_settings_tab_of_members_and_reviewers_opens_the_review_policy_they_may_read(team, who):
    threads = team.client(who).get(team.url("threads")).content.decode()
    assert f'<a href="{team.url("settings/review")}">Settings</a>' in threads


def test_a_stranger_can_neither_read_nor_change_this_projects_keys_or_name(team):
    """The owner of another project, naming this project's id: not found, and nothing changes."""
    credential_set(project=team.project, provider="openai", api_key=KEY)
    client = team.client("stranger")
    for response in (
        client.get(team.url("settings")),
        client.post(team.url("settings"), {"name": "Mine now"}),
        client.get(team.url("settings/providers")),
        client.post(team.url("settings/providers/openai"), {"api_key": OTHER_KEY}),
        client.post(team.url("settings/providers/anthropic"), {"api_key": OTHER_KEY}),
        client.post(team.url("settings/providers/openai/remove")),
    ):
        assert response.status_code == 404
        assert KEY[-4:] not in response.content.decode()
    assert Project.objects.get(pk=team.project.pk).name == "Studio"
    assert credential_secret(project_id=team.project.id, provider="openai").api_key == KEY
    assert ProviderCredential.objects.count() == 1


def test_the_stranger_changing_their_own_project_leaves_this_one_alone(team):
    client = team.client("stranger")
    client.post(team.url("settings/providers/openai", project=team.other), {"api_key": OTHER_KEY})
    client.post(team.url("settings", project=team.other), {"name": "Elsewhere, renamed"})

    assert credential_secret(project_id=team.project.id, provider="openai") is None
    assert credential_secret(project_id=team.other.id, provider="openai").api_key == OTHER_KEY
    assert Project.objects.get(pk=team.project.pk).name == "Studio"


# --- Provider keys --------------------------------------------------------------------------------


def test_an_owner_adds_a_key_and_sees_only_its_last_four(team):
    client = team.client("owner")
    before = _row(client.get(team.url("settings/providers")).content.decode(), "openai")
    assert 'data-state="none"' in before and "Save key" in before

    added = client.post(team.url("settings/providers/openai"), {"api_key": KEY})

    assert added.status_code == 302
    assert added["Location"] == team.url("settings/providers") + "#provider-openai"
    assert credential_secret(project_id=team.project.id, provider="openai").api_key == KEY
    page = client.get(added["Location"]).content.decode()
    assert f"Saved the project’s OpenAI key ending …{KEY[-4:]}. New runs use it." in page
    row = _row(page, "openai")
    assert f"<code>…{KEY[-4:]}</code>" in row and "by owner@example.com" in row
    assert 'data-state="project"' in row and "Replace key" in row and "Remove the project’s OpenAI key" in row
    assert KEY not in page and KEY[:-4] not in page


def test_an_admin_replaces_the_key_and_there_is_still_one(team):
    credential_set(project=team.project, provider="anthropic", api_key=KEY)
    client = team.client("admin")

    replaced = client.post(team.url("settings/providers/anthropic"), {"api_key": f"  {OTHER_KEY}  "})

    assert replaced.status_code == 302
    assert credential_secret(project_id=team.project.id, provider="anthropic").api_key == OTHER_KEY
    assert ProviderCredential.objects.filter(project=team.project).count() == 1
    page = client.get(replaced["Location"]).content.decode()
    assert f"Replaced the project’s Anthropic key ending …{OTHER_KEY[-4:]}." in page
    assert f"…{OTHER_KEY[-4:]}" in _row(page, "anthropic") and f"…{KEY[-4:]}" not in page


def test_removing_the_key_says_what_runs_use_next(team, settings):
    credential_set(project=team.project, provider="openai", api_key=KEY)
    credential_set(project=team.project, provider="google", api_key=KEY)
    settings.EASEL_PROVIDERS["google"]["api_key"] = SERVER_KEY
    client = team.client("owner")

    gone = client.post(team.url("settings/providers/openai/remove"))
    page = client.get(gone["Location"]).content.decode()
    assert "Removed the project’s OpenAI key. Its models can’t be used until someone adds a key again." in page
    assert 'data-state="none"' in _row(page, "openai")

    client.post(team.url("settings/providers/google/remove"))
    page = client.get(team.url("settings/providers")).content.decode()
    assert "Removed the project’s Google key. New runs use the server’s key." in page
    assert 'data-state="server"' in _row(page, "google") and "Yes, set by whoever runs this server" in page
    assert SERVER_KEY not in page
    assert not ProviderCredential.objects.exists()


def test_removing_a_key_the_project_does_not_have_says_so(team):
    client = team.client("owner")
    client.post(team.url("settings/providers/openai/remove"))
    page = client.get(team.url("settings/providers")).content.decode()
    assert "The project has no OpenAI key of its own: nothing to remove." in page


def test_the_remove_button_asks_first(team):
    credential_set(project=team.project, provider="openai", api_key=KEY)
    row = _row(team.client("owner").get(team.url("settings/providers")).content.decode(), "openai")
    assert f'data-confirm="Remove the project’s OpenAI key ending …{KEY[-4:]}?' in row


@pytest.mark.parametrize(
    ("api_key", "says"),
    [
        ("", "Paste the key the provider gave you."),
        ("short", "Expected 8-1000 printable characters without spaces."),
        ("has a space in it 1234", "Expected 8-1000 printable characters without spaces."),
    ],
)
def test_an_unusable_key_is_refused_next_to_the_field_without_echoing_it(team, api_key, says):
    response = team.client("owner").post(team.url("settings/providers/openai"), {"api_key": api_key})

    assert response.status_code == 200
    row = _row(response.content.decode(), "openai")
    assert f'<p class="field-error" id="key-openai-errors">{says}</p>' in row
    assert 'aria-invalid="true"' in row
    assert not api_key or api_key not in response.content.decode()
    assert not ProviderCredential.objects.exists()


def test_a_base_url_is_refused_in_words_unless_the_server_allows_them(team, settings):
    client = team.client("owner")
    refused = client.post(
        team.url("settings/providers/openai"), {"api_key": KEY, "base_url": "https://proxy.example/v1"}
    ).content.decode()
    assert "This server does not let projects choose provider URLs" in _row(refused, "openai")
    assert 'name="base_url"' not in refused and not ProviderCredential.objects.exists()

    settings.EASEL_ALLOW_PROJECT_BASE_URLS = True
    bad = client.post(team.url("settings/providers/openai"), {"api_key": KEY, "base_url": "ftp://proxy.example"})
    row = _row(bad.content.decode(), "openai")
    assert '<p class="field-error" id="url-openai-errors">Expected an http(s) URL without credentials in it.</p>' in row
    assert 'value="ftp://proxy.example"' in row and not ProviderCredential.objects.exists()

    good = client.post(team.url("settings/providers/openai"), {"api_key": KEY, "base_url": "https://proxy.example/v1"})
    assert good.status_code == 302
    assert credential_secret(project_id=team.project.id, provider="openai").base_url == "https://proxy.example/v1"
    assert "at https://proxy.example/v1" in _row(client.get(good["Location"]).content.decode(), "openai")


def test_an_unknown_provider_is_not_found(team):
    client = team.client("owner")
    assert client.post(team.url("settings/providers/nope"), {"api_key": KEY}).status_code == 404
    assert client.post(team.url("settings/providers/local/remove")).status_code == 404
    assert not ProviderCredential.objects.exists()


def test_every_provider_has_a_row_saying_whether_the_server_has_a_key(team, settings):
    settings.EASEL_PROVIDERS["openrouter"]["api_key"] = SERVER_KEY
    page = team.client("admin").get(team.url("settings/providers")).content.decode()

    assert [*re.findall(r'data-provider="([^"]+)"', page)] == list(settings.EASEL_PROVIDERS)
    assert 'data-state="server"' in _row(page, "openrouter")
    assert "Yes, set by whoever runs this server" in _row(page, "openrouter")
    assert '<span class="muted">None</span>' in _row(page, "anthropic")
    assert SERVER_KEY not in page


# --- The project's name and the Settings page -----------------------------------------------------


def test_an_owner_renames_the_project_and_the_nav_shows_it(team):
    client = team.client("owner")

    renamed = client.post(team.url("settings"), {"name": "  Poster   Studio "})

    assert renamed.status_code == 302 and renamed["Location"] == team.url("settings")
    assert Project.objects.get(pk=team.project.pk).name == "Poster Studio"
    page = client.get(team.url("threads")).content.decode()
    assert '<nav class="tabs" aria-label="Poster Studio">' in page
    assert f'<option value="{team.project.id}" selected>Poster Studio</option>' in page
    assert "Renamed “Studio” to “Poster Studio”." in page


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("   ", "Give the project a name."),
        ("x" * 201, "Keep the name to 200 characters."),
        ("Elsewhere", "Another project already has this name; choose another."),
    ],
)
def test_a_bad_name_is_refused_in_words_and_nothing_changes(team, name, says):
    response = team.client("admin").post(team.url("settings"), {"name": name})

    assert response.status_code == 200
    assert f'<p class="field-error" id="name-errors">{says}</p>' in response.content.decode()
    assert Project.objects.get(pk=team.project.pk).name == "Studio"


def test_the_settings_page_links_every_settings_page_with_a_line_each(team):
    credential_set(project=team.project, provider="openai", api_key=KEY)
    page = team.client("owner").get(team.url("settings")).content.decode()

    links = re.findall(r'<li>\s*<a href="([^"]+)">([^<]+)</a>\s*<span class="muted">([^<]+)</span>', page)
    assert [(href, label) for href, label, _line in links] == [
        (team.url("settings/providers"), "Provider keys"),
        (team.url("settings/review"), "Review policy"),
        (team.url("settings/limits"), "Budgets and limits"),
        (team.url("webhooks"), "Webhooks"),
        (team.url("members"), "Members"),
        (team.url("keys"), "API keys"),
    ]
    assert all(line.strip() for _href, _label, line in links)
    assert "1 of 4 providers can be used now." in page


@pytest.mark.parametrize("page", ["settings", "settings/providers", "settings/review"])
def test_the_settings_tab_is_current_on_every_settings_page(team, page):
    html = team.client("owner").get(team.url(page)).content.decode()
    assert _current_tab(html) == "Settings"
    assert f'<a href="{team.url("settings")}" aria-current="page">Settings</a>' in html


# --- A model without a key --------------------------------------------------------------------------


def test_a_turn_with_a_keyless_model_sends_the_person_to_settings(team):
    thread = new_thread(team.project)
    response = team.client("member").post(
        team.url(f"threads/{thread.id}/messages"),
        {"content": "a fox", "image_generation": "on", "llm": "openai/gpt-4o", "image_model": "openai/gpt-image-1"},
        headers=JSON,
    )

    said = " ".join(e["message"] for errors in response.json()["errors"].values() for e in errors)
    assert said == "OpenAI has no API key in this project. An owner or admin can add one in Settings → Provider keys."
    assert not Run.objects.exists()


def test_the_api_says_the_same_and_names_the_endpoint_for_developers(team):
    client = team.client("owner")
    response = client.post(
        "/api/threads/messages",
        data=json.dumps({"content": "hi", "llm_provider": "anthropic", "model_name": "claude-sonnet-4-5"}),
        content_type="application/json",
        headers={"X-Easel-Project": str(team.project.id)},
    )

    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("Anthropic has no API key in this project.")
    assert body["configure"].startswith("PUT /api/providers/anthropic/credentials")
    assert "ANTHROPIC_API_KEY" in body["configure"]


def test_owners_and_admins_get_a_link_to_provider_keys_beside_the_pickers_while_one_is_missing(team):
    thread = new_thread(team.project)
    link = f'<a href="{team.url("settings/providers")}">Settings → Provider keys</a>'
    for who in ("owner", "admin"):
        assert link in team.client(who).get(team.url(f"threads/{thread.id}")).content.decode()
    assert "data-keys-hint" not in team.client("member").get(team.url(f"threads/{thread.id}")).content.decode()

    for provider in ("openai", "openrouter", "anthropic", "google"):
        credential_set(project=team.project, provider=provider, api_key=KEY)
    assert "data-keys-hint" not in team.client("owner").get(team.url(f"threads/{thread.id}")).content.decode()
