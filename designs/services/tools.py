"""The caller's own tools: function definitions a turn or an assistant offers the LLM.

Checked once, where they come in (a turn's `tools`, an assistant's POST/PUT, a tool-outputs
submit), so the pipeline can offer them as they are stored. When the LLM calls one, the run
pauses for the caller's output (designs/services/tool_outputs.py).
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from designs.exceptions import Invalid

MAX_TOOLS = 128
NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# Easel's own tool: the caller may not declare one of the same name.
BUILT_IN = frozenset({"generate_image"})
MAX_DESCRIPTION = 10_000


def tools_validate(tools: Any) -> list[dict[str, Any]]:
    """The tools as OpenAI-style `{"type": "function", "function": {...}}` definitions, or
    Invalid naming the first thing wrong. None and [] mean "no tools"."""
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise Invalid("tools: must be a list of tool definitions")
    if len(tools) > MAX_TOOLS:
        raise Invalid(f"tools: {len(tools)} tools given; at most {MAX_TOOLS} are allowed")
    checked = [_tool(index, tool) for index, tool in enumerate(tools)]
    seen: set[str] = set()
    for tool in checked:
        name = tool["function"]["name"]
        if name in seen:
            raise Invalid(f"tools: the name '{name}' is used twice; tool names must be unique")
        seen.add(name)
    return checked


def tool_names(tools: list[dict[str, Any]] | None) -> set[str]:
    """The names of stored (already validated) tools."""
    return {tool["function"]["name"] for tool in tools or []}


def _tool(index: int, tool: Any) -> dict[str, Any]:
    where = f"tools[{index}]"
    if not isinstance(tool, dict):
        raise Invalid(f'{where}: must be an object like {{"type": "function", "function": {{...}}}}')
    kind = tool.get("type", "function")
    if kind != "function":
        raise Invalid(f"{where}.type: only 'function' tools are supported, not {kind!r}")
    function = tool.get("function")
    if not isinstance(function, dict):
        raise Invalid(f"{where}.function: must be an object with a name and parameters")
    name = function.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise Invalid(f"{where}.function.name: must be 1-64 letters, digits, '_' or '-' (got {name!r})")
    if name in BUILT_IN:
        raise Invalid(f"{where}.function.name: '{name}' is Easel's built-in tool; choose another name")
    description = function.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > MAX_DESCRIPTION):
        raise Invalid(f"{where}.function.description: must be a string of at most {MAX_DESCRIPTION} characters")
    parameters = function.get("parameters")
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    if not isinstance(parameters, dict):
        raise Invalid(f"{where}.function.parameters: must be a JSON Schema object")
    try:
        Draft202012Validator.check_schema(parameters)
    except SchemaError as exc:
        path = "".join(f"[{part!r}]" for part in exc.path)
        raise Invalid(f"{where}.function.parameters{path}: not a valid JSON Schema: {exc.message}") from exc
    if parameters.get("type", "object") != "object":
        raise Invalid(f"{where}.function.parameters: must describe an object (type 'object')")
    clean: dict[str, Any] = {"name": name, "parameters": parameters}
    if description:
        clean["description"] = description
    return {"type": "function", "function": clean}
