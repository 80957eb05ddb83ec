"""Jupyter's authorizer in front of the real MCP server (in process, no network): tool calls, tools/list,
resources and kernel starts are asked for the caller's pairs, and a refusal acts on nothing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from jupyter_server.auth.authorizer import AllowAllAuthorizer, Authorizer
from jupyter_server.auth.identity import IdentityProvider
from starlette.requests import Request

from jmcp_ext import auth
from jmcp_ext.access import authorize_kernel_start, authorize_requests, tool_call
from jmcp_ext.caller import Caller, attach, caller_of
from jmcp_ext.errors import JmcpError
from jmcp_ext.event_store import EventBuffers
from jmcp_ext.session_manager import SessionManager
from jmcp_ext.tools import Services, build_server
from jmcp_ext.tools.registry import TOOLS
from tests.trust.asgi import Client
from tests.trust.authorizers import AsyncDenyWrite, DenyExecute, DenyReadContents, DenyWrite

EDITING = {"insert_cell", "edit_cell_source", "delete_cells", "move_cell", "overwrite_cell_source", "clear_outputs"}
RUNNING = {"execute_cell", "insert_execute_code_cell", "run_all_cells", "execute_code"}
INSPECTING = {"list_variables", "inspect_variable"}  # they run (silent) code on the kernel to read it


class Asked:
    """Records what a wrapped authorizer was asked, and by which handler for which user."""

    def __init__(self, authorizer: Authorizer) -> None:
        self.authorizer = authorizer
        self.questions: list[tuple[Any, Any, str, str]] = []

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> Any:
        self.questions.append((handler, user, action, resource))
        return self.authorizer.is_authorized(handler, user, action, resource)


def handler_with(authorizer: Authorizer) -> Any:
    """What a Caller reads of its tornado handler: the server's authorizer and identity provider."""
    return SimpleNamespace(authorizer=Asked(authorizer), identity_provider=IdentityProvider())


@contextlib.asynccontextmanager
async def mcp(authorizer: Authorizer | None) -> AsyncIterator[tuple[Client, Any]]:
    """jmcp's real server and session manager, each request carrying a caller as MCPHandler attaches it
    (none at all when ``authorizer`` is None). The services are absent: a tool that acts crashes."""
    server = build_server(Services(notebooks=None, kernels=None, root_dir="/"))  # type: ignore[arg-type]
    server.middleware.append(authorize_requests)
    manager = SessionManager(server._lowlevel_server, events=EventBuffers())
    handler = handler_with(authorizer) if authorizer is not None else None

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if handler is not None:
            attach(scope, Caller(handler, SimpleNamespace(username="alice")))
        await manager.handle_request(scope, receive, send)

    async with manager.run(), anyio.create_task_group() as tg:
        client = Client(app, tg)
        await client.initialize()
        yield client, handler
        tg.cancel_scope.cancel()


async def request(client: Client, request_id: int, method: str, **params: Any) -> dict[str, Any]:
    exchange = await client.start("POST", {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    with anyio.fail_after(10):
        (answer,) = [m for m in await exchange.messages() if m.get("id") == request_id]
    return answer


async def listed(client: Client) -> set[str]:
    return {tool["name"] for tool in (await request(client, 10, "tools/list"))["result"]["tools"]}


async def test_tools_list_leaves_out_exactly_the_tools_whose_pairs_are_refused() -> None:
    async with mcp(AllowAllAuthorizer()) as (client, _):
        assert await listed(client) == set(TOOLS)
    async with mcp(DenyWrite()) as (client, _):
        names = await listed(client)
    # execute_code adds no cell: running code on a running kernel is `execute`, not `write`.
    writing = EDITING | (RUNNING - {"execute_code"}) | {"create_notebook", "restart_kernel", "interrupt_kernel"}
    writing |= {"undo", "redo"}  # they change the notebook back
    assert names == set(TOOLS) - writing
    async with mcp(DenyExecute()) as (client, _):
        assert await listed(client) == set(TOOLS) - RUNNING - INSPECTING
    async with mcp(DenyReadContents()) as (client, _):
        # Reading a kernel's variables is a kernel operation (sessions and channels), not a contents read.
        assert await listed(client) == {"list_kernels", "restart_kernel", "interrupt_kernel"} | INSPECTING


async def test_a_refused_call_is_a_tool_error_naming_the_permission_and_the_tool_never_runs() -> None:
    async with mcp(AsyncDenyWrite()) as (client, _):
        answer = await request(
            client, 2, "tools/call", name="insert_cell", arguments={"path": "a.ipynb", "source": "x"}
        )
    result = answer["result"]
    text = result["content"][0]["text"]
    assert result["isError"] is True
    assert "insert_cell is not allowed" in text and "write contents (change files)" in text and "this user" in text
    assert "Unexpected" not in text  # the tool itself (whose services are absent) never ran


async def test_an_allowed_call_runs_the_tool() -> None:
    async with mcp(DenyWrite()) as (client, _):
        answer = await request(client, 2, "tools/call", name="list_notebooks", arguments={})
    assert "Unexpected AttributeError in list_notebooks" in answer["result"]["content"][0]["text"]


async def test_the_authorizer_is_asked_with_the_request_handler_and_user() -> None:
    async with mcp(DenyExecute()) as (client, handler):
        await request(client, 2, "tools/call", name="read_cell", arguments={"path": "a.ipynb", "cell": 0})
    questions = handler.authorizer.questions
    assert ("read", "contents") in {(a, r) for _, _, a, r in questions}
    assert all(h is handler and user.username == "alice" for h, user, _, _ in questions)


async def test_an_http_request_without_a_caller_is_refused_not_let_through() -> None:
    async with mcp(None) as (client, _):
        call = await request(client, 2, "tools/call", name="list_notebooks", arguments={})
        listing = await request(client, 3, "tools/list")
    assert call["result"]["isError"] is True
    assert "did not come through jmcp's /mcp handler" in call["result"]["content"][0]["text"]
    assert "did not come through" in listing["error"]["message"]


def fake_request(authorizer: Authorizer) -> Request:
    scope: dict[str, Any] = {"type": "http", "headers": [], "state": {}}
    attach(scope, Caller(handler_with(authorizer), SimpleNamespace(username="bob")))
    return Request(scope)


async def test_a_kernel_start_is_asked_for_write_sessions_only_inside_a_call() -> None:
    await authorize_kernel_start()  # no call running (an in-process client, housekeeping): nothing to ask
    async with tool_call(fake_request(DenyExecute()), "use_notebook"):
        await authorize_kernel_start()
    async with tool_call(fake_request(DenyWrite()), "use_notebook"):
        with pytest.raises(JmcpError) as refused:
            await authorize_kernel_start()
    assert "Starting the notebook's kernel (for use_notebook) is not allowed" in str(refused.value)
    assert "write sessions (start a notebook's kernel)" in str(refused.value)
    await authorize_kernel_start()  # the call is over: its caller is forgotten


async def test_a_tool_missing_from_the_permission_table_is_refused() -> None:
    with pytest.raises(JmcpError, match="no entry in jmcp's permission table"):
        async with tool_call(fake_request(AllowAllAuthorizer()), "format_disk"):
            raise AssertionError("must not run")


def test_callers_of_jupyters_own_providers_are_not_named_and_others_are() -> None:
    user = SimpleNamespace(username="Anonymous Io")
    assert Caller(handler_with(DenyWrite()), user).name is None
    hub = SimpleNamespace(authorizer=DenyWrite(), identity_provider=SimpleNamespace(token="t"))
    assert Caller(hub, SimpleNamespace(username="alice")).name == "alice"
    assert caller_of(None) is None


def test_a_server_without_a_token_is_told_apart() -> None:
    assert auth.has_no_token(IdentityProvider(token=""))
    assert not auth.has_no_token(IdentityProvider(token="secret"))
    assert not auth.has_no_token(SimpleNamespace(token=""))  # JupyterHub's and other providers decide themselves
