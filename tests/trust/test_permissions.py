"""The tool -> (action, resource) mapping: complete for every tool, consistent with read-only mode, and
asked of sync and async authorizers alike."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from jmcp_ext import permissions
from jmcp_ext.permissions import (
    EXECUTE_KERNELS,
    READ_CONTENTS,
    START_KERNEL,
    TOOLS,
    WRITE_CONTENTS,
    WRITE_KERNELS,
    WRITE_SESSIONS,
    Pair,
    denial_message,
    denied,
)
from tests.trust.authorizers import AsyncDenyWrite, DenyExecute, DenyReadContents, DenyWrite

PLANNED: set[str] = set()
ACTIONS = {"read", "write", "execute"}
RESOURCES = {"contents", "kernels", "sessions", "kernelspecs"}


def registered_tools() -> set[str]:
    """The names of the tools the server registers (registration does not touch the services)."""
    from jmcp_ext.tools import Services, build_server

    server = build_server(Services(notebooks=cast(Any, None), kernels=cast(Any, None), root_dir="/"))
    return {tool.name for tool in asyncio.run(server.list_tools())}


def test_every_registered_tool_has_permissions_and_only_planned_tools_are_extra() -> None:
    tools = registered_tools()
    assert tools - TOOLS.keys() == set(), "a tool without permissions would bypass the authorizer"
    assert TOOLS.keys() - tools == PLANNED


def test_pairs_use_only_the_actions_and_resources_jupyter_server_checks() -> None:
    for name, needs in TOOLS.items():
        assert needs.required, name
        for pair in needs.pairs(starting_kernel=True):
            assert pair.action in ACTIONS and pair.resource in RESOURCES, (name, pair)
        assert needs.rest.strip(), name


def test_read_only_mode_and_the_authorizer_agree_on_what_changes_things() -> None:
    from jmcp_ext.tools.registry import TOOLS as SPECS

    for name in registered_tools():
        changes = {p for p in TOOLS[name].required if p.action != "read"}
        assert bool(changes) == (not SPECS[name].read_only), name


def test_tools_that_run_code_ask_for_execute_and_tools_that_edit_ask_for_write() -> None:
    for name in ("execute_cell", "insert_execute_code_cell", "execute_code", "run_all_cells"):
        assert EXECUTE_KERNELS in TOOLS[name].required
        assert TOOLS[name].pairs(starting_kernel=True) >= START_KERNEL
        assert not TOOLS[name].pairs(starting_kernel=False) >= {WRITE_SESSIONS}
    for name in ("insert_cell", "overwrite_cell_source", "edit_cell_source", "delete_cells", "move_cell"):
        assert TOOLS[name].required == {READ_CONTENTS, WRITE_CONTENTS}
    assert WRITE_CONTENTS not in TOOLS["execute_code"].required  # adds no cell
    assert WRITE_KERNELS in TOOLS["restart_kernel"].required
    assert TOOLS["use_notebook"].required == {READ_CONTENTS}  # start_kernel=False needs no more
    for name in ("read_notebook", "read_cell", "list_files"):
        assert TOOLS[name].required == {READ_CONTENTS}
    assert permissions.RESOURCES_READ.required == {READ_CONTENTS}


@pytest.mark.parametrize(
    ("authorizer", "tool", "refused"),
    [
        (DenyExecute(), "execute_code", [EXECUTE_KERNELS]),
        (DenyExecute(), "insert_cell", []),
        (DenyWrite(), "insert_cell", [WRITE_CONTENTS]),
        (AsyncDenyWrite(), "insert_cell", [WRITE_CONTENTS]),
        (AsyncDenyWrite(), "read_cell", []),
        (DenyWrite(), "restart_kernel", [WRITE_KERNELS]),
        (DenyReadContents(), "read_notebook", [READ_CONTENTS]),
        (DenyReadContents(), "list_kernels", []),
    ],
)
async def test_denied_asks_sync_and_async_authorizers(authorizer: Any, tool: str, refused: list[Pair]) -> None:
    asked: list[tuple[Any, Any]] = []
    original = authorizer.is_authorized

    def spy(handler: Any, user: Any, action: str, resource: str) -> Any:
        asked.append((handler, user))
        return original(handler, user, action, resource)

    authorizer.is_authorized = spy
    assert await denied(authorizer, "the handler", "the user", TOOLS[tool].required) == refused
    assert asked and all(a == ("the handler", "the user") for a in asked)


async def test_starting_a_kernel_needs_write_sessions_only_when_it_happens() -> None:
    run = TOOLS["execute_cell"]
    assert await denied(DenyWrite(), None, None, run.pairs(starting_kernel=False)) == [WRITE_CONTENTS]
    assert await denied(DenyWrite(), None, None, run.pairs(starting_kernel=True)) == [WRITE_CONTENTS, WRITE_SESSIONS]
    assert await denied(DenyWrite(), None, None, TOOLS["use_notebook"].pairs(starting_kernel=True)) == [WRITE_SESSIONS]


def test_the_denial_names_the_permission_and_what_to_do() -> None:
    message = denial_message("execute_code", [EXECUTE_KERNELS], "alice")
    assert "execute_code is not allowed" in message
    assert "'alice'" in message
    assert "execute kernels (run code on kernels)" in message
    assert "administrator" in message


def test_security_md_lists_every_tool_with_exactly_its_pairs() -> None:
    from tests.support import REPO_ROOT

    text = (REPO_ROOT / "SECURITY.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and cells[0].strip("`") in {*TOOLS, "resources/read"}:
            rows[cells[0].strip("`")] = cells
    assert rows.keys() == {*TOOLS, "resources/read"}
    for name, (_, needs, starting, rest) in rows.items():
        tool = permissions.RESOURCES_READ if name == "resources/read" else TOOLS[name]
        assert needs == ", ".join(f"`{pair}`" for pair in sorted(tool.required)), name
        assert starting == ", ".join(f"`{pair}`" for pair in sorted(tool.pairs(starting_kernel=True) - tool.required))
        assert rest == tool.rest, name
