"""Bad JSON-RPC on the wire: the status and error code the spec gives, never a 5xx, and the server keeps serving.
Includes property-based fuzzing of raw bodies and of tool arguments."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import INIT, JSON_HEADERS, JupyterServer, call, mcp_client

TOOLS_LIST = {"jsonrpc": "2.0", "id": 9, "method": "tools/list"}
#: Requests sent by this module, for the report.
SENT = {"count": 0}


class Session:
    """A raw handshake-era session over plain HTTP."""

    def __init__(self, server: JupyterServer) -> None:
        self.server = server
        self.http = httpx2.Client(timeout=60)
        response = self.post(INIT, session=False)
        assert response.status_code == 200
        self.id = response.headers["mcp-session-id"]
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def headers(self, session: bool = True, **extra: str) -> dict[str, str]:
        headers = {**JSON_HEADERS, **self.server.headers}
        if session:
            headers |= {"mcp-session-id": self.id, "mcp-protocol-version": "2025-11-25"}
        return headers | extra

    def post(self, body: Any, *, session: bool = True, raw: bytes | None = None, **extra: str) -> httpx2.Response:
        SENT["count"] += 1
        content = raw if raw is not None else json.dumps(body).encode()
        return self.http.post(self.server.mcp_url, headers=self.headers(session, **extra), content=content)

    def messages(self, response: httpx2.Response) -> list[dict[str, Any]]:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            # Priming events (an id for Last-Event-ID, empty data) carry no message.
            lines = response.text.splitlines()
            return [json.loads(line[5:]) for line in lines if line.startswith("data:") and line[5:].strip()]
        return [response.json()] if response.content else []

    def still_serving(self) -> None:
        response = self.post(TOOLS_LIST)
        assert response.status_code == 200
        assert "list_files" in response.text


@pytest.fixture(scope="module")
def session(server: JupyterServer) -> Iterator[Session]:
    raw = Session(server)
    yield raw
    raw.http.close()


def rpc(method: str, params: Any = None, id_: Any = 3) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        body["params"] = params
    return body


PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 400, PARSE_ERROR),
        (b"", 400, PARSE_ERROR),
        (b'{"jsonrpc":"2.0","id":3,"method":"tools/list"', 400, PARSE_ERROR),
        (b'{"jsonrpc":"2.0","id":3,"method":"tools/list","x":"\xff\xfe"}', 400, PARSE_ERROR),
        (b"[]", 400, INVALID_PARAMS),
        (b"42", 400, INVALID_PARAMS),
        (b"null", 400, INVALID_PARAMS),
        (b'{"id":3,"method":"tools/list"}', 400, INVALID_PARAMS),
        (b'{"jsonrpc":"1.0","id":3,"method":"tools/list"}', 400, INVALID_PARAMS),
        (b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":[1]}', 400, INVALID_PARAMS),
        (b'{"jsonrpc":"2.0","id":3,"method":7}', 400, INVALID_PARAMS),
    ],
)
def test_malformed_bodies_get_4xx_with_a_json_rpc_error(session: Session, raw: bytes, status: int, code: int) -> None:
    response = session.post(None, raw=raw)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    session.still_serving()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (rpc("no/such/method"), METHOD_NOT_FOUND),
        (rpc("tools/call"), INVALID_PARAMS),
        (rpc("tools/call", {"arguments": {}}), INVALID_PARAMS),
        (rpc("tools/call", {"name": 5}), INVALID_PARAMS),
        (rpc("resources/read", {}), INVALID_PARAMS),
    ],
)
def test_wrong_methods_and_params_get_the_spec_error_code(session: Session, body: dict[str, Any], code: int) -> None:
    response = session.post(body)
    assert response.status_code < 500
    errors = [m["error"] for m in session.messages(response) if "error" in m]
    assert errors and errors[0]["code"] == code
    session.still_serving()


@pytest.mark.parametrize(
    "params",
    [
        {"name": "no_such_tool", "arguments": {}},
        {"name": "read_cell", "arguments": {"path": 5, "cell": [1]}},
        {"name": "read_notebook", "arguments": {"path": "x.ipynb", "start": "zero", "limit": -5}},
        {"name": "list_files", "arguments": {"depth": 10**30}},
        {"name": "insert_cell", "arguments": {"source": {"a": 1}}},
        {"name": "execute_code", "arguments": {"code": None, "timeout": "soon"}},
        {"name": "use_notebook", "arguments": {}},
        {"name": "use_notebook", "arguments": {"path": "x" * 100_000 + ".ipynb"}},
        {"name": "list_files", "arguments": {"path": "\x00"}},
        {"name": "use_notebook", "arguments": "not an object"},
    ],
)
def test_bad_tool_arguments_are_tool_errors(session: Session, params: dict[str, Any]) -> None:
    response = session.post(rpc("tools/call", params))
    assert response.status_code < 500
    (message,) = session.messages(response)
    if "error" in message:  # arguments that are not an object fail validation of the request itself
        assert message["error"]["code"] == INVALID_PARAMS
    else:
        assert message["result"]["isError"] is True
        assert message["result"]["content"][0]["text"]
    session.still_serving()


def test_lone_surrogate_paths_get_a_clear_parse_error_and_create_nothing(session: Session) -> None:
    before = set(os.listdir(session.server.root))
    for tool in ("use_notebook", "create_notebook", "list_files", "read_notebook"):
        raw = (
            b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"' + tool.encode() + b'",'
            b'"arguments":{"path":"caf\\udce9.ipynb"}}}'
        )
        response = session.post(None, raw=raw)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == PARSE_ERROR and "surrogate" in error["message"]
    assert set(os.listdir(session.server.root)) == before
    session.still_serving()


async def test_a_file_with_a_non_utf8_name_is_listed_escaped(server: JupyterServer) -> None:
    folder = server.root / "undecodable"
    folder.mkdir(exist_ok=True)
    (folder / os.fsdecode(b"caf\xe9.ipynb")).write_text("{}")
    async with mcp_client(server.mcp_url, server.token) as client:
        listing = await call(client, "list_files", path="undecodable")
        assert "caf\\udce9.ipynb" in listing
        result = await client.call_tool("use_notebook", {"path": "undecodable/caf\\udce9.ipynb"})
        assert result.is_error
        assert "undecodable/" in await call(client, "list_files")  # the session still works


def test_a_body_over_the_limit_gets_413(session: Session) -> None:
    huge = json.dumps({**TOOLS_LIST, "params": {"pad": "a" * (5 * 1024 * 1024)}}).encode()
    assert session.post(None, raw=huge).status_code == 413
    call_body = rpc("tools/call", {"name": "insert_cell", "arguments": {"source": "x" * (5 * 1024 * 1024)}})
    assert session.post(call_body).status_code == 413
    session.still_serving()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"mcp-protocol-version": "1999-01-01"}, 400),
        ({"mcp-protocol-version": "not-a-version"}, 400),
        ({"Content-Type": "text/plain"}, 400),
        ({"Accept": "text/html"}, 406),
        ({"mcp-session-id": "no-such-session"}, 404),
    ],
)
def test_wrong_transport_headers_get_the_spec_status(session: Session, headers: dict[str, str], status: int) -> None:
    response = session.post(TOOLS_LIST, **headers)
    assert response.status_code == status, response.text
    session.still_serving()


def test_a_request_without_a_session_id_after_initialize_is_400(session: Session) -> None:
    assert session.post(TOOLS_LIST, session=False).status_code == 400
    session.still_serving()


# --- property-based -----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
TOOL_NAMES = [
    "list_files",
    "list_notebooks",
    "use_notebook",
    "read_notebook",
    "read_cell",
    "insert_cell",
    "overwrite_cell_source",
    "edit_cell_source",
    "delete_cells",
    "move_cell",
    "clear_outputs",
    "list_kernels",
]  # fmt: skip (no execution or kernel restarts: the fuzzer must not run arbitrary code or stop kernels)
ARG_NAMES = ["path", "cell", "cells", "source", "index", "start", "limit", "old", "new", "pattern", "depth", "outputs"]
paths = st.sampled_from(["", "fuzz.ipynb", "../x.ipynb", "/etc/passwd", ".hidden.ipynb", "nope/", "a" * 300]) | st.text(
    max_size=40
)
arguments = st.dictionaries(st.sampled_from(ARG_NAMES), json_values | paths, max_size=5)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(tool=st.sampled_from(TOOL_NAMES), args=arguments)
def test_fuzzed_tool_arguments_never_break_the_server(session: Session, tool: str, args: dict[str, Any]) -> None:
    args = {
        k: (v if k != "path" or not isinstance(v, str) or v in ("", "fuzz.ipynb") else f"fuzz/{v}")
        for k, v in args.items()
    }
    response = session.post(rpc("tools/call", {"name": tool, "arguments": args}))
    assert response.status_code < 500, response.text
    for message in session.messages(response):
        assert "result" in message or "error" in message


raw_bodies = (
    st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.fixed_dictionaries(
        {
            "jsonrpc": st.sampled_from(["2.0", "1.0", 2]),
            "method": st.text(max_size=20) | st.sampled_from(["tools/list", "tools/call", "ping", "initialize"]),
        },
        optional={"id": json_values, "params": json_values},
    ).map(lambda v: json.dumps(v).encode())
)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=raw_bodies)
def test_fuzzed_raw_bodies_never_get_a_5xx(session: Session, body: bytes) -> None:
    response = session.post(None, raw=body)
    assert response.status_code < 500, (body, response.status_code, response.text[:300])


def test_after_fuzzing_the_server_still_answers(session: Session) -> None:
    session.still_serving()
    fresh = Session(session.server)
    fresh.still_serving()
    print(f"\nprotocol abuse: {SENT['count']} requests sent")
