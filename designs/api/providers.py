"""Providers and a project's own provider keys.

    GET    /api/providers                          every provider, whether the server and the project have a key
    GET    /api/providers/{provider}/credentials   the project's key: provider, last4 and dates only
    PUT    /api/providers/{provider}/credentials   {"api_key": "...", "base_url"?: "..."} store or replace it
    DELETE /api/providers/{provider}/credentials   forget it (runs fall back to the server's key)

Who may call: an API key of the admin role (every key made before keys had roles), or a
signed-in member whose role is owner or admin; member and reviewer keys are refused like
members and reviewers are. Keys never come back out.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from designs.api.base import ProjectApiView
from designs.models import Membership, ProviderCredential
from designs.payloads import iso
from designs.serializers import CredentialInputSerializer
from designs.services import model_choice
from designs.services.credentials import credential_delete, credential_get, credential_set

MANAGING_ROLES = (Membership.Role.OWNER, Membership.Role.ADMIN)


def credential_payload(credential: ProviderCredential) -> dict[str, Any]:
    return {
        "provider": credential.provider,
        "last4": credential.last4,
        "created_at": iso(credential.created_at),
        "updated_at": iso(credential.updated_at),
    }


class ProviderApiView(ProjectApiView):
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        role = getattr(request.user, "role", None)  # the member's role, or the key's
        if role not in MANAGING_ROLES:
            raise exceptions.PermissionDenied(
                "Only the project's owners and admins (and admin keys) manage provider keys"
            )


class ProviderListApi(ProviderApiView):
    def get(self, request: Request) -> Response:
        stored = {c.provider: c for c in ProviderCredential.objects.filter(project=self.project)}
        providers = []
        for name, config in settings.EASEL_PROVIDERS.items():
            credential = stored.get(name)
            providers.append(
                {
                    "name": name,
                    "llm": name in model_choice.llm_provider_names(),
                    "image": name in model_choice.image_provider_names(),
                    "openai_compatible": bool(config.get("openai_compatible")),
                    "server_key": bool(config["api_key"]),
                    "project_key": credential_payload(credential) if credential else None,
                    "configured": model_choice.is_configured(name, self.project.id),
                }
            )
        return Response({"providers": providers, "total": len(providers)})


class ProviderCredentialApi(ProviderApiView):
    def get(self, request: Request, provider: str) -> Response:
        return Response(credential_payload(credential_get(project=self.project, provider=provider)))

    def put(self, request: Request, provider: str) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        shape = CredentialInputSerializer(data=data)
        shape.is_valid(raise_exception=True)
        credential = credential_set(
            project=self.project,
            provider=provider,
            api_key=data.get("api_key"),
            base_url=shape.validated_data.get("base_url") or "",
            user=getattr(request.user, "user", None),
        )
        return Response(credential_payload(credential))

    def delete(self, request: Request, provider: str) -> Response:
        credential_get(project=self.project, provider=provider)  # 404 when there is none
        credential_delete(project=self.project, provider=provider)
        return Response(status=204)
