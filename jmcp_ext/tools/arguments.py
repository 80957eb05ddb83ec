"""Forgiving tool arguments: a mistyped or unknown name gets one line naming it and the accepted names.

Hooked into the SDK as a ``ServerMiddleware`` on ``tools/call``: it runs before the SDK validates the
arguments, so it can say ``unknown argument 'sourse' (did you mean 'source'?)`` where pydantic would say
``Field required`` with a link. It also accepts the older names in ``ALIASES`` (``code`` for ``source``:
``execute_code`` took ``code`` before every tool called code ``source``), and turns the SDK's remaining
validation messages (wrong types, out-of-range numbers) into one line per argument.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, TextContent

#: Older argument names still accepted, and the name they stand for (used only when the tool has that name).
ALIASES = {"code": "source"}

# The SDK's message for arguments pydantic refused: "Error executing tool T: N validation error(s) for TArguments"
# then, per error, the field's name on a line of its own, an indented message "  Field required [type=missing,
# input_value=..., input_type=...]" and a "    For further information visit <url>" line.
_VALIDATION = re.compile(r"^Error executing tool (?P<tool>\S+): \d+ validation errors? for \S+\n(?P<errors>.*)$", re.S)
_DETAIL = re.compile(r"^(?P<message>.*?)(?: \[type=[^,\]]+(?:, input_value=(?P<value>.*?))?(?:, input_type=\w+)?\])?$")


class ArgumentCheck:
    """Checks ``tools/call`` argument names against each tool's input schema before the SDK validates them."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self._schemas: dict[str, dict[str, Any]] | None = None

    async def _schema(self, name: str) -> dict[str, Any] | None:
        if self._schemas is None:
            self._schemas = {tool.name: dict(tool.input_schema) for tool in await self._server.list_tools()}
        return self._schemas.get(name)

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params
        if ctx.method != "tools/call" or not isinstance(params, Mapping):
            return await call_next(ctx)
        name = params.get("name")
        arguments = params.get("arguments") or {}
        schema = await self._schema(name) if isinstance(name, str) else None
        if schema is None or not isinstance(name, str) or not isinstance(arguments, Mapping):
            return await call_next(ctx)  # unknown tool or odd shape: the SDK answers as usual
        accepted = list((schema.get("properties") or {}).keys())
        renamed = rename_aliases(dict(arguments), accepted)
        if problem := argument_problem(name, renamed, accepted, list(schema.get("required") or [])):
            return CallToolResult(content=[TextContent(type="text", text=problem)], is_error=True)
        if renamed != arguments:
            ctx = replace(ctx, params={**params, "arguments": renamed})
        return one_line_validation(await call_next(ctx))


def rename_aliases(arguments: dict[str, Any], accepted: list[str]) -> dict[str, Any]:
    """Arguments with older names (``ALIASES``) given their current name, where the tool has that name."""
    renamed = {}
    for key, value in arguments.items():
        target = ALIASES.get(key)
        if key not in accepted and target in accepted and target not in arguments:
            key = target
        renamed[key] = value
    return renamed


def argument_problem(tool: str, arguments: Mapping[str, Any], accepted: list[str], required: list[str]) -> str:
    """One line saying which argument names are wrong or missing, and which are accepted ("" when all is well)."""
    unknown = [key for key in arguments if key not in accepted]
    missing = [key for key in required if key not in arguments]
    if not unknown and not missing:
        return ""
    said = []
    for key in unknown:
        close = difflib.get_close_matches(key, [a for a in accepted if a not in arguments], n=1, cutoff=0.6)
        said.append(f"unknown argument {key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    if missing and not any("did you mean" in part for part in said):
        said.append("missing required argument" + ("s " if len(missing) > 1 else " ") + ", ".join(map(repr, missing)))
    return f"{tool}: {'; '.join(said)}. Accepted arguments: {', '.join(accepted) or '(none)'}."


def one_line_validation(result: HandlerResult) -> HandlerResult:
    """The SDK's pydantic message for refused arguments, as one short line per argument."""
    if not isinstance(result, dict) or not result.get("isError"):
        return result
    content = result.get("content") or []
    if len(content) != 1 or not isinstance(content[0], dict):
        return result
    match = _VALIDATION.match(str(content[0].get("text", "")))
    if match is None:
        return result
    lines = match.group("errors").split("\n")
    said: list[str] = []
    for where, detail in itertools.pairwise(lines):
        if where.startswith(" ") or not detail.startswith("  ") or detail.startswith("    "):
            continue
        found = _DETAIL.match(detail.strip())
        message = found.group("message") if found else detail.strip()
        value = found.group("value") if found else None
        got = f" (got {value})" if value and not value.startswith("{") else ""
        said.append(f"argument {where.strip()!r}: {message}{got}")
    if not said:
        return result
    text = f"{match.group('tool')}: {'; '.join(said)}."
    return {**result, "content": [{**content[0], "text": text}]}
