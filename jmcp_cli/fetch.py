"""Small blocking HTTP helper (stdlib only, so the CLI stays fast to import)."""

import json
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from .errors import JmcpError

if TYPE_CHECKING:
    import urllib.request


@cache
def _opener() -> "urllib.request.OpenerDirector":
    import urllib.request  # lazily: it costs ~30 ms, too much for `jmcp --help`

    # Local servers only: never route them through a proxy from the environment.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


class UnreachableError(JmcpError):
    """No HTTP answer at all (refused, timed out, DNS)."""


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def request(
    url: str,
    *,
    method: str = "GET",
    token: str | None = None,
    timeout: float = 5.0,
    json_body: Any = None,
) -> Response:
    """One HTTP request; HTTP error statuses are returned, not raised."""
    import urllib.error
    import urllib.request

    headers = {"Accept": "application/json"}
    data = None
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        data = json.dumps(json_body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _opener().open(req, timeout=timeout) as resp:
            return Response(resp.status, resp.read(), {k.lower(): v for k, v in resp.headers.items()})
    except urllib.error.HTTPError as e:
        body = e.read() if e.fp is not None else b""
        return Response(e.code, body, {k.lower(): v for k, v in (e.headers or {}).items()})
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", e)
        raise UnreachableError(f"no answer from {url}: {reason}") from e
