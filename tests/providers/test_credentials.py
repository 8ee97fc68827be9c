"""A project's own provider keys: encrypted at rest, shown by last4 only, and preferred over the server's."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.test import Client

from designs.exceptions import NotConfigured
from designs.models import Membership, Project, ProviderCredential
from designs.services import model_choice
from designs.services.credentials import credential_secret
from designs.services.projects import api_key_create
from workers import adapters
from workers.providers import registry
from workers.providers.base import ProviderError

KEY = "sk-proj-abcdefghijklmnop1234"
SERVER_KEY = "sk-server-zzzzzzzzzzzz9999"

pytestmark = pytest.mark.django_db


@dataclass
class Tenant:
    project: Project
    client: Client


def tenant(name: str) -> Tenant:
    project = Project.objects.create(name=name)
    _key, secret = api_key_create(project=project)
    return Tenant(project, Client(headers={"X-API-Key": secret}))


@pytest.fixture
def alpha() -> Tenant:
    return tenant("alpha")


@pytest.fixture
def bravo() -> Tenant:
    return tenant("bravo")


@pytest.fixture(autouse=True)
def server_keys(settings):
    settings.EASEL_PROVIDERS = {
        "openai": {"key_setting": "OPENAI_API_KEY", "api_key": SERVER_KEY, "base_url": "https://api.openai.com/v1"},
        "anthropic": {"key_setting": "ANTHROPIC_API_KEY", "api_key": "", "base_url": "https://api.anthropic.com"},
        "ollama": {
            "key_setting": "OLLAMA_API_KEY",
            "api_key": "",
            "base_url": "http://127.0.0.1:11434/v1",
            "openai_compatible": True,
            "models": [],
        },
    }
    settings.EASEL_LOCAL_FALLBACK = False
    settings.EASEL_ALLOW_PROJECT_BASE_URLS = False


def put(tenant: Tenant, provider: str, **body) -> object:
    return tenant.client.put(
        f"/api/providers/{provider}/credentials", data=json.dumps(body), content_type="application/json"
    )


def test_it_stores_the_key_encrypted_and_shows_only_last4_and_dates(alpha):
    response = put(alpha, "anthropic", api_key=KEY)

    assert response.status_code == 200
    assert set(response.json()) == {"provider", "last4", "created_at", "updated_at"}
    assert response.json()["last4"] == "1234"
    row = ProviderCredential.objects.get(project=alpha.project, provider="anthropic")
    assert KEY not in row.encrypted_key and row.last4 == "1234"
    assert credential_secret(project_id=alpha.project.id, provider="anthropic").api_key == KEY
    shown = alpha.client.get("/api/providers/anthropic/credentials")
    assert shown.status_code == 200 and KEY not in shown.content.decode()
    assert shown.json()["last4"] == "1234"


def test_putting_again_replaces_the_key(alpha):
    put(alpha, "anthropic", api_key=KEY)
    put(alpha, "anthropic", api_key="sk-second-key-5678")

    assert ProviderCredential.objects.filter(project=alpha.project).count() == 1
    assert credential_secret(project_id=alpha.project.id, provider="anthropic").api_key == "sk-second-key-5678"


def test_delete_forgets_it_and_a_second_delete_is_a_404(alpha):
    put(alpha, "anthropic", api_key=KEY)

    assert alpha.client.delete("/api/providers/anthropic/credentials").status_code == 204
    assert alpha.client.delete("/api/providers/anthropic/credentials").status_code == 404
    assert alpha.client.get("/api/providers/anthropic/credentials").status_code == 404


def test_another_project_never_sees_or_uses_the_key(alpha, bravo):
    put(alpha, "anthropic", api_key=KEY)

    assert bravo.client.get("/api/providers/anthropic/credentials").status_code == 404
    assert adapters.connection("anthropic", project_id=bravo.project.id) is None
    assert adapters.connection("anthropic", project_id=alpha.project.id).api_key == KEY


def test_the_projects_key_overrides_the_servers(alpha, bravo):
    put(alpha, "openai", api_key=KEY)

    assert adapters.connection("openai", project_id=alpha.project.id).api_key == KEY
    assert adapters.connection("openai", project_id=bravo.project.id).api_key == SERVER_KEY
    assert registry.llm_adapter("openai", adapters.connection("openai", alpha.project.id)).settings.api_key == KEY


def test_a_provider_only_the_project_has_a_key_for_is_configured_for_that_project_alone(alpha, bravo):
    put(alpha, "anthropic", api_key=KEY)

    chosen = model_choice.resolve_llm("anthropic", "claude-sonnet-4-5", project_id=alpha.project.id)
    assert chosen.provider == "anthropic"
    with pytest.raises(NotConfigured, match="Anthropic has no API key in this project") as refused:
        model_choice.resolve_llm("anthropic", "claude-sonnet-4-5", project_id=bravo.project.id)
    assert "Settings → Provider keys" in refused.value.detail
    assert "PUT /api/providers/anthropic/credentials" in refused.value.fields["configure"]


@pytest.mark.parametrize("bad", ["", "   ", "short", "has space in it 1234", "x" * 1001, 12345678])
def test_it_refuses_unusable_keys_without_echoing_them(alpha, bad):
    response = put(alpha, "anthropic", api_key=bad)

    assert response.status_code == 400
    if isinstance(bad, str) and bad.strip():
        assert bad not in response.content.decode()
    assert not ProviderCredential.objects.exists()


def test_unknown_providers_are_a_404(alpha):
    assert put(alpha, "nope", api_key=KEY).status_code == 404


def test_a_base_url_is_refused_unless_the_server_allows_them(alpha, settings):
    assert put(alpha, "openai", api_key=KEY, base_url="https://proxy.example/v1").status_code == 400

    settings.EASEL_ALLOW_PROJECT_BASE_URLS = True
    assert put(alpha, "openai", api_key=KEY, base_url="ftp://proxy.example/v1").status_code == 400
    assert put(alpha, "openai", api_key=KEY, base_url="https://user:pw@proxy.example/v1").status_code == 400
    assert put(alpha, "openai", api_key=KEY, base_url="https://proxy.example/v1").status_code == 200
    assert adapters.connection("openai", project_id=alpha.project.id).base_url == "https://proxy.example/v1"


def test_a_key_encrypted_under_another_secret_fails_loudly_instead_of_using_the_servers(alpha, settings):
    put(alpha, "openai", api_key=KEY)
    settings.EASEL_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(ProviderError) as caught:
        adapters.connection("openai", project_id=alpha.project.id)
    assert caught.value.kind == "not_configured" and KEY not in caught.value.message
    with pytest.raises(NotConfigured, match="store it again"):
        model_choice.resolve_llm("openai", "gpt-4.1", project_id=alpha.project.id)


def test_rotation_keeps_old_keys_readable(alpha, settings):
    old = Fernet.generate_key().decode()
    settings.EASEL_ENCRYPTION_KEYS = [old]
    put(alpha, "openai", api_key=KEY)

    settings.EASEL_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    assert adapters.connection("openai", project_id=alpha.project.id).api_key == KEY


def test_the_provider_list_says_who_has_a_key(alpha):
    put(alpha, "anthropic", api_key=KEY)

    providers = {p["name"]: p for p in alpha.client.get("/api/providers").json()["providers"]}

    assert providers["openai"]["server_key"] and providers["openai"]["project_key"] is None
    assert not providers["anthropic"]["server_key"] and providers["anthropic"]["project_key"]["last4"] == "1234"
    assert providers["anthropic"]["configured"] and providers["ollama"]["configured"]
    assert providers["ollama"]["openai_compatible"] and providers["ollama"]["llm"] and not providers["ollama"]["image"]


def test_settings_repr_never_shows_the_key(alpha):
    put(alpha, "openai", api_key=KEY)

    assert KEY not in repr(adapters.connection("openai", project_id=alpha.project.id))
    assert KEY not in repr(credential_secret(project_id=alpha.project.id, provider="openai"))


# --- who may manage keys through a session ------------------------------------------------------


@pytest.fixture
def member_client(alpha):
    def make(role: str) -> Client:
        user = get_user_model().objects.create_user(username=f"{role}-user", password="pw-123456789")
        Membership.objects.create(user=user, project=alpha.project, role=role)
        client = Client(headers={"X-Easel-Project": str(alpha.project.id)})
        client.force_login(user)
        return client

    return make


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_manage_keys_with_a_session(member_client, role):
    client = member_client(role)

    response = client.put(
        "/api/providers/anthropic/credentials", data=json.dumps({"api_key": KEY}), content_type="application/json"
    )

    assert response.status_code == 200
    assert client.get("/api/providers/anthropic/credentials").status_code == 200


@pytest.mark.parametrize("role", ["member", "reviewer"])
def test_other_members_may_not(member_client, role):
    client = member_client(role)

    response = client.put(
        "/api/providers/anthropic/credentials", data=json.dumps({"api_key": KEY}), content_type="application/json"
    )

    assert response.status_code == 403
    assert client.get("/api/providers").status_code == 403
    assert not ProviderCredential.objects.exists()
