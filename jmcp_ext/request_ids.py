"""Which JSON-RPC request ids are in flight in each MCP session, so a reused one can be refused.

The SDK (2.3) lets a second request with an id still in flight take over the first one's response
stream: the first request then never gets an answer while keepalives hold its connection open.
Upstream: https://github.com/modelcontextprotocol/python-sdk/issues/3060 and
https://github.com/modelcontextprotocol/python-sdk/issues/2655. Drop this guard once the SDK refuses
duplicates itself.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic_core

#: JSON-RPC "Invalid Request".
INVALID_REQUEST = -32600


class InFlightRequests:
    """Request ids being served, per session. Ids are compared as the SDK routes them: ``42`` is ``"42"``."""

    def __init__(self) -> None:
        self._ids: dict[str, set[str]] = {}

    def begin(self, session_id: str, request_id: str | int) -> bool:
        """Mark the id in flight; False if it already is (the caller refuses the request)."""
        ids = self._ids.setdefault(session_id, set())
        key = str(request_id)
        if key in ids:
            return False
        ids.add(key)
        return True

    def end(self, session_id: str, request_id: str | int) -> None:
        """The request was answered (or never reached the SDK); its id may be used again."""
        ids = self._ids.get(session_id)
        if ids is not None:
            ids.discard(str(request_id))
            if not ids:
                del self._ids[session_id]

    def release(self, session_id: str) -> None:
        """The session ended: forget its ids."""
        self._ids.pop(session_id, None)

    def in_flight(self, session_id: str) -> frozenset[str]:
        return frozenset(self._ids.get(session_id, ()))

    @property
    def session_count(self) -> int:
        return len(self._ids)


def parse_json(body: bytes) -> Any:
    """A POST body's JSON value, None if it is not JSON. Parsed as the SDK parses (``pydantic_core``, which
    refuses lone surrogates that ``json`` lets by)."""
    try:
        return pydantic_core.from_json(body)
    except ValueError:
        return None


def request_of(message: Any) -> dict[str, Any] | None:
    """``message`` (a parsed POST body) if it is a single JSON-RPC request, its id as the SDK keys it (``42.0`` is
    ``42``); None otherwise.

    Notifications, responses, batches and bodies the SDK will refuse anyway (bad JSON, odd id types)
    give None.
    """
    if not isinstance(message, dict) or not isinstance(message.get("method"), str) or "id" not in message:
        return None
    request_id: Any = message["id"]
    if isinstance(request_id, float) and request_id.is_integer():
        message["id"] = request_id = int(request_id)  # the SDK's validation turns 42.0 into 42
    if isinstance(request_id, bool) or not isinstance(request_id, int | str):
        return None
    return message


def duplicate_error(body: bytes) -> bytes:
    """The JSON-RPC error refusing a request whose id is in flight (it echoes the id as sent)."""
    request_id = json.loads(body)["id"]
    message = (
        f"Request id {json.dumps(request_id)} is already in use by a request of this session that is still "
        "running; send this request with a new id (ids must be unique among a session's requests in flight)."
    )
    error = {"jsonrpc": "2.0", "id": request_id, "error": {"code": INVALID_REQUEST, "message": message}}
    return json.dumps(error).encode()
