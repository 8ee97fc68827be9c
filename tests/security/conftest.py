"""Two projects side by side: ours (the caller's) and theirs (the one nothing may reach).

Each world holds one of everything a caller could name by id: a thread with a run, a message
and an image, a second thread with an uploaded image, the default assistant, a member, an API
key, a provider key, a pending invitation, and signed media URLs. `snapshot()` is everything a
request could change: every designs row, every account, every file in storage.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from PIL import Image

from designs import media
from designs.auth import PROJECT_HEADER, SESSION_PROJECT_KEY
from designs.models import (
    Customization,
    Document,
    Invitation,
    Membership,
    Message,
    Project,
    Run,
    Template,
    TemplateVersion,
    Variant,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from designs.services.comments import comment_add
from designs.services.credentials import credential_set
from designs.services.documents import document_bytes, document_create
from designs.services.images import inspect_image
from designs.services.invitations import token_hash
from designs.services.projects import api_key_create
from designs.services.review import Who
from designs.services.threads import assistant_default, thread_create
from tests.support.storage import use_local_media

PASSWORD = "correct horse battery staple"
# Rows a request may touch without changing anything anyone can see: a key's last use.
VOLATILE = {"ApiKey": {"last_used_at"}}


def png(colour: tuple[int, int, int], size: tuple[int, int] = (24, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


@dataclass
class World:
    """One project and the ids a request could name, as strings (URL and body templates use them)."""

    name: str
    project: str
    thread: str
    thread2: str
    assistant: str
    run: str
    document: str
    document2: str
    membership: str  # a plain member's (not the owner's: an owner cannot be removed anyway)
    key: str
    secret: str
    provider: str  # the provider this project, and only this one, stored a key for
    invitation: str
    invite_token: str  # the secret of the invitation's link
    expires: str
    sig: str
    thumb_sig: str
    comment: str  # a review comment on `document`
    template: str = ""  # a product template on `document2`, version 1
    customization: str = ""  # a customization of `template`, in a thread of its own
    variant: str = ""  # the document of its one made variant
    webhook: str = ""  # an enabled webhook endpoint
    webhook_secret: str = ""  # its signing secret
    delivery: str = ""  # a finished delivery of an event to it
    owner: Any = None
    member: Any = None

    def secrets_shown(self) -> list[str]:
        """Strings that must never appear in an answer to another project's caller."""
        ids = [self.project, self.thread, self.thread2, self.assistant, self.run, self.document, self.document2]
        ids += [self.template, self.customization, self.variant]
        ids += [self.webhook, self.webhook_secret, self.delivery]
        people = [self.owner.email, self.member.email]
        return [
            *ids,
            self.comment,
            self.key,
            self.invitation,
            self.invite_token,
            self.secret,
            self.secret[:12],
            *people,
        ]


def build_world(name: str, *, colour: tuple[int, int, int], provider: str, run_status: str) -> World:
    users = get_user_model().objects
    project = Project.objects.create(name=name)
    owner = users.create_user(username=f"owner@{name}.example", email=f"owner@{name}.example", password=PASSWORD)
    member = users.create_user(username=f"member@{name}.example", email=f"member@{name}.example")
    Membership.objects.create(project=project, user=owner, role=Membership.Role.OWNER)
    membership = Membership.objects.create(project=project, user=member, role=Membership.Role.MEMBER)
    key, secret = api_key_create(project=project, name=f"{name} ci", created_by=owner)
    assistant = assistant_default(project=project)
    thread, thread2 = (thread_create(project=project, assistant=assistant) for _ in range(2))
    message = Message.objects.create(
        project=project, thread=thread, role=Message.Role.USER, content=f"{name}'s secret prompt", seq=1
    )
    run = Run.objects.create(
        project=project, thread=thread, assistant=assistant, user_message=message, status=run_status
    )
    Message.objects.filter(pk=message.pk).update(run=run)
    made, uploaded = png(colour), png(tuple(255 - c for c in colour))
    document = document_create(
        project=project,
        data=made,
        facts=inspect_image(made),
        thread=thread,
        run=run,
        operation=Document.Operation.GENERATE,
        prompt=f"{name}'s secret prompt",
        model_provider="local",
        model_name="easel-local-painter",
        tool_call_id="call_1",
    )
    document2 = document_create(
        project=project, data=uploaded, facts=inspect_image(uploaded), thread=thread2, operation="upload"
    )
    comment = comment_add(
        document,
        Who(role="owner", via="ui", user=owner),
        text=f"{name}'s note",
        regions=[{"x": 2, "y": 2, "width": 8, "height": 6}],
    )
    credential_set(project=project, provider=provider, api_key=f"sk-{name}-{secrets.token_hex(12)}")
    invite_token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        project=project,
        email=f"invitee@{name}.example",
        token_hash=token_hash(invite_token),
        invited_by=owner,
        expires_at=timezone.now() + timedelta(days=7),
    )
    expires = int(timezone.now().timestamp()) + 3600
    return World(
        name=name,
        project=str(project.id),
        thread=str(thread.id),
        thread2=str(thread2.id),
        assistant=str(assistant.id),
        run=str(run.id),
        document=str(document.id),
        document2=str(document2.id),
        membership=str(membership.id),
        key=str(key.id),
        secret=secret,
        provider=provider,
        invitation=str(invitation.id),
        invite_token=invite_token,
        expires=str(expires),
        sig=media.signature(str(document.id), expires),
        thumb_sig=media.signature(str(document.id), expires, media.THUMBNAIL),
        comment=str(comment.id),
        **product_of(project, document2, colour),
        **webhook_of(project),
        owner=owner,
        member=member,
    )


def product_of(project: Project, base: Document, colour: tuple[int, int, int]) -> dict[str, str]:
    """A template on a copy of `base` (as the service makes it: a thread's image may go with the
    thread, the template's stays), and a customization of it with one made variant."""
    data = document_bytes(base)
    base = document_create(project=project, data=data, facts=inspect_image(data), thread=None, operation="upload")
    template = Template.objects.create(project=project)
    version = TemplateVersion.objects.create(
        template=template,
        project=project,
        version=1,
        name=f"{project.name}'s tee",
        base_document=base,
        print_area={"x": 4, "y": 4, "width": 8, "height": 8},
        output={"width_px": 80, "height_px": 80, "dpi": 72, "format": "png", "bleed_px": 0, "min_dpi": None},
    )
    thread = thread_create(project=project, assistant=assistant_default(project=project))
    customization = Customization.objects.create(
        project=project,
        template=template,
        template_version=version,
        thread=thread,
        prompt="a dragon",
        status=Customization.Status.COMPLETED,
    )
    message = Message.objects.create(project=project, thread=thread, role=Message.Role.USER, content="a dragon", seq=1)
    run = Run.objects.create(
        project=project,
        thread=thread,
        assistant=thread.assistant,
        user_message=message,
        operation=Run.Operation.CUSTOMIZE,
        status=Run.Status.COMPLETED,
        params={"customization_id": str(customization.id)},
    )
    made = png(tuple(min(255, c + 10) for c in colour))
    variant = document_create(
        project=project,
        data=made,
        facts=inspect_image(made),
        thread=thread,
        run=run,
        operation=Document.Operation.EDIT,
        parent=base,
        tool_call_id="variant:0",
    )
    Variant.objects.create(
        project=project,
        customization=customization,
        run=run,
        index=0,
        prompt="a dragon",
        parent_document=base,
        document=variant,
        status=Variant.Status.COMPLETED,
        seed=1,
    )
    return {"template": str(template.id), "customization": str(customization.id), "variant": str(variant.id)}


def webhook_of(project: Project) -> dict[str, str]:
    """An enabled endpoint with one delivered event, as rows: nothing is queued or sent."""
    endpoint = WebhookEndpoint.objects.create(
        project=project,
        url=f"https://93.184.215.14/{project.name}/hooks",
        events=["run.completed"],
        secret=f"whsec_{secrets.token_urlsafe(32)}",
    )
    event = WebhookEvent.objects.create(project=project, type="run.completed", body='{"data": {}}')
    delivery = WebhookDelivery.objects.create(
        project=project, endpoint=endpoint, event=event, status=WebhookDelivery.Status.SUCCEEDED, attempts=1
    )
    WebhookAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), status_code=200)
    return {"webhook": str(endpoint.id), "webhook_secret": endpoint.secret, "delivery": str(delivery.id)}


@pytest.fixture(autouse=True)
def quiet_settings(settings, tmp_path):
    """Files in a private MEDIA_ROOT and fast password hashing (the root conftest puts the
    limits out of reach)."""
    use_local_media(settings, tmp_path / "media")
    # PBKDF2 at full strength costs ~0.3 s a user; these tests are not about hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EASEL_FEED_SECONDS = 0.2  # a feed's control answer ends at once instead of after 5 minutes
    return settings


@pytest.fixture
def ours(db) -> World:
    return build_world("ours", colour=(200, 40, 40), provider="anthropic", run_status=Run.Status.COMPLETED)


@pytest.fixture
def theirs(db) -> World:
    # Their run is still going, so a cancel that got through would show in the snapshot.
    return build_world("theirs", colour=(40, 40, 200), provider="openai", run_status=Run.Status.RUNNING)


# --- Callers ---------------------------------------------------------------------------------

API_MODES = ("key", "session+header", "session")
PAGE_MODES = ("session",)


def caller(mode: str, world: World, **client_options: Any) -> Client:
    """A client for `world`'s caller: its API key, or its owner signed in, naming the project
    in X-Easel-Project ("session+header") or through the session's current project ("session")."""
    if mode == "key":
        return Client(headers={"X-API-Key": world.secret}, **client_options)
    if mode == "anonymous":
        return Client(**client_options)
    headers = {PROJECT_HEADER: world.project} if mode == "session+header" else {}
    client = Client(headers={**headers, **client_options.pop("headers", {})}, **client_options)
    client.force_login(world.owner)
    if mode == "session":
        session = client.session
        session[SESSION_PROJECT_KEY] = world.project
        session.save()
    return client


# --- What a request could change -----------------------------------------------------------


def _digest(rows: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()[:16]


def snapshot() -> dict[str, Any]:
    """Row count and a digest of every row, per designs model and for accounts; and every
    file under MEDIA_ROOT with a hash of its bytes."""
    state: dict[str, Any] = {}
    for model in [*apps.get_app_config("designs").get_models(), get_user_model()]:
        skip = VOLATILE.get(model.__name__, set())
        rows = [{k: v for k, v in row.items() if k not in skip} for row in model.objects.order_by("pk").values()]
        state[model.__name__] = (len(rows), _digest(rows))
    root = Path(settings.MEDIA_ROOT)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
    state["files"] = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in files}
    return state


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What differs, readably: {model: (before, after)}, and files added or removed."""
    out = {name: (before[name], after[name]) for name in before if name != "files" and before[name] != after[name]}
    added = set(after["files"]) - set(before["files"])
    removed = set(before["files"]) - set(after["files"])
    rewritten = {f for f in set(before["files"]) & set(after["files"]) if before["files"][f] != after["files"][f]}
    if added or removed or rewritten:
        out["files"] = {"added": sorted(added), "removed": sorted(removed), "rewritten": sorted(rewritten)}
    return out
