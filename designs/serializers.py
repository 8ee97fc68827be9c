"""Input validation. Form encodings arrive as strings: booleans as "true"/"false" and objects as
JSON text, so the fields here accept both the JSON and the form spelling of each value."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers


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
                data = json.loads(data)
            except ValueError as exc:
                raise serializers.ValidationError("is not valid JSON") from exc
        if data is not None and not isinstance(data, self.kind):
            raise serializers.ValidationError(f"must be a JSON {'object' if self.kind is dict else 'array'}")
        return data

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
    send_to_llm = StrictBooleanField(required=False, default=True)
    json_output = StrictBooleanField(required=False, default=False)
    memory = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    memory_pro = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    web_search = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    metadata = JSONValueField(required=False, allow_null=True)
    thinking = JSONValueField(required=False, allow_null=True)
    openrouter = JSONValueField(required=False, allow_null=True)

    def validate_operation(self, value: str | None) -> str:
        if value == "generate_video":
            raise serializers.ValidationError("generate_video is not supported by Easel")
        return value or "chat"


class AssistantInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    system_prompt = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    tools = JSONValueField(kind=list, required=False, allow_null=True)
    tok_k = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100)
    embedding_provider = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    embedding_model_name = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    embedding_dims = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    custom_fact_extraction_prompt = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    custom_update_memory_prompt = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class PageSerializer(serializers.Serializer):
    skip = serializers.IntegerField(required=False, default=0, min_value=0, max_value=10_000)
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=500)
