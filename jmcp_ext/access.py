"""Jupyter's authorizer asked before MCP acts: each tool call, a kernel start, ``tools/list`` and resources.

Each request is asked for the (action, resource) pairs of the REST calls it stands for
(``permissions.py``), for the user and tornado handler of the request (``caller.py``), so ``/mcp`` never
grants more than JupyterLab's own API grants the same user.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_REQUEST
from pydantic import BaseModel

from .caller import Caller, caller_of
from .errors import JmcpError
from .permissions import RESOURCES_READ, START_KERNEL, TOOLS, Pair, ToolPermissions, denial_message

#: Resource requests: reading one is GET /api/contents/{path}; listing them names files, as
#: GET /api/contents does, so a caller who may not read contents gets empty listings.
RESOURCE_READ = "resources/read"
RESOURCE_LISTINGS = {
    "resources/list": ("resources", "resources"),
    "resources/templates/list": ("resource_templates", "resourceTemplates"),
}

# The caller and tool of the call running in this task. A contextvar because the place that starts a
# kernel (``Kernels.kernel_for``) is shared by several tools and knows nothing of requests.
_acting: ContextVar[tuple[Caller, str] | None] = ContextVar("jmcp_acting", default=None)


def _permissions(tool: str) -> ToolPermissions:
    permissions = TOOLS.get(tool)
    if permissions is None:  # a tool without an entry would bypass the authorizer: refuse it instead
        raise JmcpError(f"{tool} has no entry in jmcp's permission table, so it is refused; report this to jmcp.")
    return permissions


@contextlib.asynccontextmanager
async def tool_call(request: Any, tool: str) -> AsyncIterator[None]:
    """Run a tool call as its caller: refused with a tool error naming the permission before anything happens
    if the authorizer refuses a pair the tool needs. Requests from in-process clients have no caller."""
    try:
        caller = caller_of(request)
    except PermissionError as exc:
        raise JmcpError(f"{tool} is refused: {exc}.") from None
    if caller is None:
        yield
        return
    refused = await caller.refused(_permissions(tool).required)
    if refused:
        raise JmcpError(denial_message(tool, refused, caller.name))
    token = _acting.set((caller, tool))
    try:
        yield
    finally:
        _acting.reset(token)


async def authorize_kernel_start() -> None:
    """Just before a tool starts a notebook's kernel: what JupyterLab's POST /api/sessions needs."""
    acting = _acting.get()
    if acting is None:
        return
    caller, tool = acting
    refused = await caller.refused(START_KERNEL)
    if refused:
        raise JmcpError(denial_message(f"Starting the notebook's kernel (for {tool})", refused, caller.name))


async def usable_tools(caller: Caller, names: list[str]) -> set[str]:
    """The tools whose required pairs the caller is granted (each distinct pair asked once)."""
    known = [name for name in names if name in TOOLS]
    pairs: set[Pair] = set()
    for name in known:
        pairs |= TOOLS[name].required
    refused = set(await caller.refused(pairs))
    return {name for name in known if TOOLS[name].required.isdisjoint(refused)}


async def authorize_requests(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Server middleware: ``tools/list`` leaves out the tools the caller can never use; ``resources/read`` is
    refused with a JSON-RPC error naming the permission, and resource listings are empty, for a caller who
    may not read contents. Everything else passes untouched (tool calls are asked in ``tool_call``)."""
    method = ctx.method
    if method != "tools/list" and method != RESOURCE_READ and method not in RESOURCE_LISTINGS:
        return await call_next(ctx)
    try:
        caller = caller_of(ctx.request)
    except PermissionError as exc:
        raise MCPError(INVALID_REQUEST, f"{method} is refused: {exc}.") from None
    if caller is None:
        return await call_next(ctx)
    if method == "tools/list":
        result = await call_next(ctx)
        names = [str(_name(tool)) for tool in _items(result, "tools", "tools")]
        usable = await usable_tools(caller, names)
        return _keep(result, "tools", "tools", lambda tool: _name(tool) in usable)
    refused = await caller.refused(RESOURCES_READ.required)
    if method == RESOURCE_READ:
        if refused:
            raise MCPError(INVALID_REQUEST, denial_message(method, refused, caller.name))
        return await call_next(ctx)
    result = await call_next(ctx)
    field, alias = RESOURCE_LISTINGS[method]
    return _keep(result, field, alias, lambda _: False) if refused else result


def _name(item: Any) -> str | None:
    return item.get("name") if isinstance(item, dict) else getattr(item, "name", None)


def _items(result: HandlerResult, field: str, alias: str) -> list[Any]:
    """The listed items of a result, whether the handler returned a model or a dict."""
    items = result.get(alias, []) if isinstance(result, dict) else getattr(result, field, [])
    return list(items) if isinstance(items, list) else []


def _keep(result: HandlerResult, field: str, alias: str, keep: Callable[[Any], bool]) -> HandlerResult:
    """The result with only the listed items ``keep`` accepts."""
    kept = [item for item in _items(result, field, alias) if keep(item)]
    if isinstance(result, BaseModel):
        return result.model_copy(update={field: kept})
    if isinstance(result, dict):
        return {**result, alias: kept}
    return result
