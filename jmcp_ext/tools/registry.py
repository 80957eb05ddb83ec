"""The ``@tool`` decorator: tools are plain module-level functions, recorded here and registered by build_server."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.context_injection import find_context_parameter
from mcp.shared.exceptions import MCPError
from mcp.types import ToolAnnotations

from ..access import tool_call
from ..errors import JmcpError

log = logging.getLogger(__name__)

ToolFn = Callable[..., Awaitable[Any]]
F = TypeVar("F", bound=ToolFn)


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its function (name and docstring become the tool's) and its annotations."""

    fn: ToolFn
    annotations: ToolAnnotations

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def read_only(self) -> bool:
        return self.annotations.read_only_hint is True


#: Every tool, in the order the modules define them (the order tools/list shows).
TOOLS: dict[str, ToolSpec] = {}


def tool(annotations: ToolAnnotations) -> Callable[[F], F]:
    """Record an async function as an MCP tool; its signature (with ``Field`` descriptions) is its schema."""

    def record(fn: F) -> F:
        TOOLS[fn.__name__] = ToolSpec(fn, annotations)
        return fn

    return record


def selected(*, read_only: bool, disabled: frozenset[str]) -> list[ToolSpec]:
    """The tools a server offers: all but the disabled ones, and only read-only ones in read-only mode."""
    return [spec for spec in TOOLS.values() if spec.name not in disabled and (spec.read_only or not read_only)]


def per_call(spec: ToolSpec) -> ToolFn:
    """The tool's function as every call runs it: Jupyter's authorizer is asked first (``access.tool_call``:
    a refusal is a tool error naming the permission, before the tool acts), and an unexpected exception
    becomes a tool error the model can act on (the SDK would say only "Error executing tool"; the
    traceback goes to the server log)."""
    fn, name = spec.fn, spec.name
    context = find_context_parameter(fn)
    if context is None:
        raise TypeError(f"tool {name} must take a `ctx: Context` argument: its caller is authorized through it")

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        async with tool_call(_request_of(kwargs.get(context)), name):
            try:
                return await fn(*args, **kwargs)
            except (ToolError, MCPError):
                raise
            except Exception as exc:
                log.exception("jmcp tool %s failed", name)
                raise JmcpError(
                    f"Unexpected {type(exc).__name__} in {name}: {exc}. The Jupyter server log has the details; "
                    "retry, or re-open the notebook with use_notebook."
                ) from exc

    return wrapper


def _request_of(ctx: Any) -> Any:
    """The HTTP request a tool call came in, or None (an in-process client has none)."""
    try:
        return ctx.request_context.request if ctx is not None else None
    except ValueError:  # a Context outside a request
        return None
