"""The in-flight request id guard on its own."""

from __future__ import annotations

import json

import pytest

from jmcp_ext.request_ids import INVALID_REQUEST, InFlightRequests, duplicate_error, parse_json, request_of


def request_id_of(body: bytes) -> str | None:
    """The id the guard keys a body's request by (None: not a single request)."""
    message = request_of(parse_json(body))  # as the session manager reads a POST
    return str(message["id"]) if message is not None else None


def test_an_id_in_flight_is_refused_until_it_ends() -> None:
    ids = InFlightRequests()
    assert ids.begin("s", 42)
    assert not ids.begin("s", 42)
    assert not ids.begin("s", "42")  # the SDK names both streams "42"
    assert ids.begin("s", 43)
    assert ids.begin("other", 42)  # ids are per session
    ids.end("s", 42)
    assert ids.begin("s", "42")
    assert ids.in_flight("s") == frozenset({"42", "43"})


def test_end_and_release_are_idempotent_and_leave_nothing_behind() -> None:
    ids = InFlightRequests()
    ids.begin("s", 1)
    ids.end("s", 1)
    ids.end("s", 1)
    ids.end("never", 1)
    assert ids.session_count == 0
    ids.begin("s", 2)
    ids.begin("s", 3)
    ids.release("s")
    ids.release("s")
    assert ids.session_count == 0
    assert ids.begin("s", 2)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"jsonrpc": "2.0", "id": 42, "method": "ping"}, "42"),
        ({"jsonrpc": "2.0", "id": "abc", "method": "tools/call", "params": {}}, "abc"),
        ({"jsonrpc": "2.0", "id": 42.0, "method": "ping"}, "42"),
        ({"jsonrpc": "2.0", "method": "notifications/initialized"}, None),  # a notification
        ({"jsonrpc": "2.0", "id": 42, "result": {}}, None),  # a response to the server
        ([{"jsonrpc": "2.0", "id": 1, "method": "ping"}], None),  # a batch: the SDK refuses it (400)
        ({"jsonrpc": "2.0", "id": True, "method": "ping"}, None),
        ({"jsonrpc": "2.0", "id": None, "method": "ping"}, None),
        ({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}, None),
        ({"jsonrpc": "2.0", "id": 1, "method": 7}, None),
    ],
)
def test_request_id_of_picks_out_single_requests_only(body: object, expected: str | None) -> None:
    assert request_id_of(json.dumps(body).encode()) == expected


@pytest.mark.parametrize("raw", [b"", b"{not json", b"\xff\xfe", b"null", b'"text"'])
def test_request_id_of_leaves_bodies_the_sdk_refuses_alone(raw: bytes) -> None:
    assert request_id_of(raw) is None


@pytest.mark.parametrize("request_id", [42, "42", "call-7"])
def test_the_refusal_is_a_json_rpc_error_for_that_id_saying_what_to_do(request_id: int | str) -> None:
    error = json.loads(duplicate_error(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "ping"}).encode()))
    assert error["jsonrpc"] == "2.0"
    assert error["id"] == request_id
    assert error["error"]["code"] == INVALID_REQUEST == -32600
    assert f"Request id {json.dumps(request_id)} is already in use" in error["error"]["message"]
    assert "new id" in error["error"]["message"]
