"""What each tool needs from Jupyter's authorizer: the (action, resource) pairs of the equivalent REST calls.

A tool must never grant more than JupyterLab's own REST API grants the same user, so each tool asks
for exactly the pairs jupyter_server's handlers check for the calls it stands for (read from
jupyter_server 2.21: ``@authorized`` maps GET to ``read`` and POST/PUT/PATCH/DELETE to ``write`` on the
handler's ``auth_resource``; the kernel websocket checks ``execute`` on ``kernels``).
SECURITY.md has the same table in prose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from jupyter_core.utils import ensure_async


class Pair(NamedTuple):
    """One authorizer question: may the user do ``action`` on ``resource``?"""

    action: str
    resource: str

    def __str__(self) -> str:
        return f"{self.action} {self.resource}"


READ_CONTENTS = Pair("read", "contents")  # GET /api/contents/{path}
WRITE_CONTENTS = Pair("write", "contents")  # PUT/POST/PATCH/DELETE /api/contents/{path}
READ_KERNELS = Pair("read", "kernels")  # GET /api/kernels
WRITE_KERNELS = Pair("write", "kernels")  # POST /api/kernels/{id}/interrupt|restart, POST/DELETE /api/kernels
EXECUTE_KERNELS = Pair("execute", "kernels")  # WS /api/kernels/{id}/channels
READ_SESSIONS = Pair("read", "sessions")  # GET /api/sessions
WRITE_SESSIONS = Pair("write", "sessions")  # POST /api/sessions (starts the notebook's kernel)
READ_KERNELSPECS = Pair("read", "kernelspecs")  # GET /api/kernelspecs

#: Starting a notebook's kernel is what JupyterLab does with POST /api/sessions (only ``write sessions``
#: is checked there); asked only when a call would start one.
START_KERNEL = frozenset({READ_SESSIONS, WRITE_SESSIONS})


@dataclass(frozen=True)
class ToolPermissions:
    """The pairs a tool needs, and the REST calls it is equivalent to."""

    required: frozenset[Pair]
    rest: str
    #: Tools that may start the notebook's kernel also need START_KERNEL when they do.
    may_start_kernel: bool = False

    def pairs(self, *, starting_kernel: bool = False) -> frozenset[Pair]:
        return self.required | (START_KERNEL if starting_kernel and self.may_start_kernel else frozenset())


def _needs(*pairs: Pair, rest: str, may_start_kernel: bool = False) -> ToolPermissions:
    return ToolPermissions(frozenset(pairs), rest, may_start_kernel)


_EDIT = _needs(READ_CONTENTS, WRITE_CONTENTS, rest="GET + PUT /api/contents/{path}")
_RUN = _needs(
    READ_CONTENTS,
    WRITE_CONTENTS,
    READ_SESSIONS,
    EXECUTE_KERNELS,
    rest="GET + PUT /api/contents/{path}, GET /api/sessions, WS /api/kernels/{id}/channels",
    may_start_kernel=True,
)

#: Every tool jmcp offers or plans, by name.
TOOLS: dict[str, ToolPermissions] = {
    "list_files": _needs(READ_CONTENTS, rest="GET /api/contents/{dir}"),
    "list_notebooks": _needs(READ_SESSIONS, READ_CONTENTS, rest="GET /api/sessions, GET /api/contents"),
    "create_notebook": _needs(
        READ_CONTENTS, WRITE_CONTENTS, READ_KERNELSPECS, rest="GET /api/kernelspecs, GET + PUT /api/contents/{path}"
    ),
    "use_notebook": _needs(
        READ_CONTENTS, rest="GET /api/contents/{path}, GET + POST /api/sessions", may_start_kernel=True
    ),
    "read_notebook": _needs(READ_CONTENTS, rest="GET /api/contents/{path}"),
    "read_cell": _needs(READ_CONTENTS, rest="GET /api/contents/{path}"),
    "insert_cell": _EDIT,
    "overwrite_cell_source": _EDIT,
    "edit_cell_source": _EDIT,
    "delete_cells": _EDIT,
    "move_cell": _EDIT,
    "clear_outputs": _EDIT,
    "execute_cell": _RUN,
    "insert_execute_code_cell": _RUN,
    "run_all_cells": _RUN,
    "execute_code": _needs(
        READ_CONTENTS,
        READ_SESSIONS,
        EXECUTE_KERNELS,
        rest="GET /api/contents/{path}, GET /api/sessions, WS /api/kernels/{id}/channels",
        may_start_kernel=True,
    ),
    "list_kernels": _needs(
        READ_KERNELS, READ_KERNELSPECS, READ_SESSIONS, rest="GET /api/kernels, GET /api/kernelspecs, GET /api/sessions"
    ),
    "restart_kernel": _needs(WRITE_KERNELS, READ_SESSIONS, rest="GET /api/sessions, POST /api/kernels/{id}/restart"),
    "interrupt_kernel": _needs(
        WRITE_KERNELS, READ_SESSIONS, rest="GET /api/sessions, POST /api/kernels/{id}/interrupt"
    ),
    # Planned tools.
    "undo": _needs(READ_CONTENTS, WRITE_CONTENTS, rest="PUT /api/collaboration/undo_redo/{room}"),
    "redo": _needs(READ_CONTENTS, WRITE_CONTENTS, rest="PUT /api/collaboration/undo_redo/{room}"),
    "list_variables": _needs(READ_SESSIONS, EXECUTE_KERNELS, rest="GET /api/sessions, WS /api/kernels/{id}/channels"),
    "inspect_variable": _needs(READ_SESSIONS, EXECUTE_KERNELS, rest="GET /api/sessions, WS /api/kernels/{id}/channels"),
}

#: MCP requests other than tool calls.
RESOURCES_READ = _needs(READ_CONTENTS, rest="GET /api/contents/{path}")

#: What an action on a resource lets a person do, for messages.
MEANING = {
    READ_CONTENTS: "read files",
    WRITE_CONTENTS: "change files",
    READ_KERNELS: "list kernels",
    WRITE_KERNELS: "interrupt or restart kernels",
    EXECUTE_KERNELS: "run code on kernels",
    READ_SESSIONS: "see which notebooks have kernels",
    WRITE_SESSIONS: "start a notebook's kernel",
    READ_KERNELSPECS: "list kernel specs",
}


async def denied(authorizer: Any, handler: Any, user: Any, pairs: Iterable[Pair]) -> list[Pair]:
    """The pairs the authorizer refuses to ``user`` for this request (sync or async authorizers)."""
    refused = []
    for pair in sorted(set(pairs)):
        if not await ensure_async(authorizer.is_authorized(handler, user, pair.action, pair.resource)):
            refused.append(pair)
    return refused


def denial_message(tool: str, refused: Iterable[Pair], username: str | None = None) -> str:
    """The tool error for a call the authorizer refused: which permission, and what to do."""
    who = f"user {username!r}" if username else "this user"
    pairs = sorted(refused)
    missing = "; ".join(f"{pair} ({MEANING.get(pair, 'no description')})" for pair in pairs)
    noun = "permission" if len(pairs) == 1 else "permissions"
    return (
        f"{tool} is not allowed: this Jupyter server does not grant {who} the {noun} {missing}, and "
        f"JupyterLab would refuse it too. Use tools that need only what is granted, or ask the server's "
        f"administrator for the {noun}."
    )
