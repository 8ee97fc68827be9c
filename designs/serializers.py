"""Input validation. Form encodings arrive as strings: booleans as "true"/"false" and objects as
JSON text, so the fields here accept both the JSON and the form spelling of each value."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from rest_framework import serializers

from designs.models import Assistant, ProviderCredential
from designs.parsers import DATE_RANGE, EARLIEST_DATE, LATEST_DATE, JSONRefused, load_json


class JSONValueField(serializers.Field):
    """An object (or list) given as JSON, or as a JSON string in form encodings."""

    def __init__(self, *, kind: type = dict, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            if data.strip() in ("", "null"):
                return None
            try:
                data = load_json(data)
            except JSONRefused as exc:
                raise serializers.ValidationError(f"is not valid JSON: {exc}") from exc
        if data is not None and not isinstance(data, self.kind):
            raise serializers.ValidationError(f"must be a JSON {'object' if self.kind is dict else 'array'}")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class DocumentIdsField(serializers.Field):
    """A list of document ids: a JSON array, or (form encodings) its JSON text or ids separated by commas."""

    MAX_ITEMS = 32

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            text = data.strip()
            if text.startswith("["):
                try:
                    data = load_json(text)
                except JSONRefused as exc:
                    raise serializers.ValidationError(f"is not valid JSON: {exc}") from exc
            else:
                data = [part for part in (p.strip() for p in text.split(",")) if part]
        if not isinstance(data, list):
            raise serializers.ValidationError("must be a list of document ids")
        if len(data) > self.MAX_ITEMS:
            raise serializers.ValidationError(f"may name at most {self.MAX_ITEMS} documents")
        ids = []
        for index, item in enumerate(data):
            try:
                ids.append(str(uuid.UUID(item)) if isinstance(item, str) else None)
            except ValueError:
                ids.append(None)
            if ids[-1] is None:
                raise serializers.ValidationError(f"item {index} is not a document id (a UUID)")
        return ids

    def to_representation(self, value: Any) -> Any:
        return value


class StrictBooleanField(serializers.BooleanField):
    """true/false as JSON booleans or case-insensitive strings; nothing else."""

    TRUE_VALUES = {"true", "True", "TRUE", True, "1"}
    FALSE_VALUES = {"false", "False", "FALSE", False, "0"}


class MessageInputSerializer(serializers.Serializer):
    """`POST /api/threads/messages` (and its legacy alias), every encoding."""

    content = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=100_000)
    thread_id = serializers.UUIDField(required=False, allow_null=True)
    assistant_id = serializers.UUIDField(required=False, allow_null=True)
    stream = StrictBooleanField(required=False, default=False)
    llm_provider = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=100)
    model_name = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=200)
    system_prompt = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=50_000)
    tools = JSONValueField(kind=list, required=False, allow_null=True)
    image_generation = serializers.ChoiceField(choices=["auto", "off"], required=False, allow_null=True)
    image_model_provider = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=100)
    image_model_name = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=200)
    image_config = JSONValueField(required=False, allow_null=True)
    operation = serializers.ChoiceField(
        choices=["chat", "generate_image", "generate_video"], required=False, allow_null=True
    )
    # Easel's addition for direct mode: edit a stored document without uploading it again.
    input_image_document_id = serializers.UUIDField(required=False, allow_null=True)
    # Any images of the project, in order: the one to edit first, then references.
    input_image_document_ids = DocumentIdsField(required=False, allow_null=True)
    # Where the edit of the first image may change it: a mask (this, or a `mask` upload) and/or regions.
    mask_document_id = serializers.UUIDField(required=False, allow_null=True)
    regions = JSONValueField(kind=list, required=False, allow_null=True)
    send_to_llm = StrictBooleanField(required=False, default=True)
    json_output = StrictBooleanField(required=False, default=False)
    memory = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    memory_pro = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    web_search = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    metadata = JSONValueField(required=False, allow_null=True)
    thinking = JSONValueField(required=False, allow_null=True)
    openrouter = JSONValueField(required=False, allow_null=True)

    # Asked for only to be refused: Easel makes no video and speaks no audio.
    video_generation = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    voice = JSONValueField(required=False, allow_null=True)

    def validate_operation(self, value: str | None) -> str:
        if value == "generate_video":
            raise serializers.ValidationError("Video is not supported by Easel (operation generate_video)")
        return value or "chat"

    def validate_video_generation(self, value: str | None) -> None:
        if value not in (None, "", "off"):
            raise serializers.ValidationError("Video is not supported by Easel")

    def validate_voice(self, value: dict | None) -> None:
        if value:
            raise serializers.ValidationError("Voice is not supported by Easel")


def _max_length(model: type, field: str) -> int:
    return model._meta.get_field(field).max_length


class AssistantInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=_max_length(Assistant, "name"))
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    system_prompt = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    tools = JSONValueField(kind=list, required=False, allow_null=True)
    tok_k = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100)
    embedding_provider = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=_max_length(Assistant, "embedding_provider")
    )
    embedding_model_name = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=_max_length(Assistant, "embedding_model_name")
    )
    # The widest embedding models have a few thousand dimensions; the column is a 32-bit integer.
    embedding_dims = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=65_536)
    custom_fact_extraction_prompt = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    custom_update_memory_prompt = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class AssistantCloneSerializer(serializers.Serializer):
    """`POST /api/assistants/{id}/clone`; the SDK sends both flags, true by default."""

    copy_documents = StrictBooleanField(required=False, default=True)
    copy_memories = StrictBooleanField(required=False, default=True)
    name = serializers.CharField(required=False, allow_null=True, max_length=_max_length(Assistant, "name"))
    system_prompt = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class AssistantFilterSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=_max_length(Assistant, "name"))


class ThreadInputSerializer(serializers.Serializer):
    metadata = JSONValueField(required=False, allow_null=True)


class CredentialInputSerializer(serializers.Serializer):
    """What the database could not store, refused at the edge. Which keys and URLs are
    acceptable is the service's to say (api_key is passed on as sent: it must be a string)."""

    base_url = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=_max_length(ProviderCredential, "base_url")
    )

    def validate_base_url(self, value: str | None) -> str | None:
        try:
            urlsplit(value or "")
        except ValueError as exc:  # e.g. an unclosed IPv6 bracket
            raise serializers.ValidationError("expected an http(s) URL") from exc
        return value


class DateTimeInRangeField(serializers.DateTimeField):
    """A date and time within the dates Easel accepts anywhere."""

    def to_internal_value(self, value: Any) -> Any:
        parsed = super().to_internal_value(value)
        if not EARLIEST_DATE <= parsed.date() <= LATEST_DATE:
            raise serializers.ValidationError(f"must be {DATE_RANGE}")
        return parsed


class PageSerializer(serializers.Serializer):
    skip = serializers.IntegerField(required=False, default=0, min_value=0, max_value=10_000)
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=500)


class ModelFilterSerializer(serializers.Serializer):
    """`GET /api/models` filters (the SDK's `list_models`); the booleans are read by `query_bool`."""

    model_type = serializers.CharField(required=False, max_length=50)
    provider = serializers.CharField(required=False, max_length=100)
    # Bounded like every number Easel reads: no model's context comes near a billion tokens.
    min_context = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000_000)
    max_context = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000_000)
