"""Agents as collaborators, through the MCP SDK's client and real collaboration peers: digests that name who changed
what, per-session undo, stale-write refusals, a checkpoint before the first change, presence and focus."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx2
from mcp.types import Implementation

from tests.collab_peers import person_in, watching_collaborators
from tests.polling import poll_async
from tests.support import JupyterServer, call, call_error, mcp_client, wait_for_cells

WAIT = 15.0


def agent(server: JupyterServer, title: str, **kwargs: Any) -> Any:
    """An MCP client that introduces itself as ``title``."""
    info = Implementation(name=title.lower().replace(" ", "-"), title=title, version="1.0")
    return mcp_client(server.mcp_url, server.token, client_info=info, **kwargs)


def write_notebook(root: Path, name: str, sources: list[str]) -> None:
    cells = [
        {"cell_type": "code", "id": f"cell{i}", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
        for i, s in enumerate(sources)
    ]
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    (root / name).write_text(json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}))


def disk_sources(server: JupyterServer, name: str, predicate: Any) -> list[str]:
    notebook = server.wait_for_disk(name, lambda nb: predicate([_joined(c["source"]) for c in nb["cells"]]))
    return [_joined(c["source"]) for c in notebook["cells"]]


def _joined(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


async def test_each_session_undoes_only_its_own_changes_in_a_shared_cell(server: JupyterServer, nb_name: str) -> None:
    write_notebook(server.root, nb_name, ["p = 1\nq = 2"])
    async with agent(server, "Agent A") as a, agent(server, "Agent B") as b:
        await call(a, "use_notebook", path=nb_name, start_kernel=False)
        await call(b, "use_notebook", path=nb_name, start_kernel=False)
        await call(a, "edit_cell_source", cell=0, old="p = 1", new="p = 100")
        await call(b, "edit_cell_source", cell=0, old="q = 2", new="q = 200")
        await call(a, "insert_cell", source="from_a = True")

        undone = await call(a, "undo")
        assert "Undid one step" in undone and "1 more step(s)" in undone, undone
        assert "from_a" not in await call(b, "read_notebook")
        undone = await call(a, "undo")
        assert "restored the source of cell cell0" in undone, undone
        assert "p = 1\nq = 200" in await call(b, "read_cell", cell=0)
        assert "Nothing to undo" in await call(a, "undo")

        await call(b, "undo")
        assert "p = 1\nq = 2" in await call(a, "read_cell", cell=0)
        await call(a, "redo")
        assert "p = 100\nq = 2" in await call(b, "read_cell", cell=0)
    disk_sources(server, nb_name, lambda s: s == ["p = 100\nq = 2"])


async def test_undo_keeps_what_a_person_typed_in_the_same_cell(server: JupyterServer, nb_name: str) -> None:
    write_notebook(server.root, nb_name, ["total = 0"])
    async with agent(server, "Agent A") as a, person_in(server, nb_name) as ana:
        await call(a, "use_notebook", path=nb_name, start_kernel=False)
        await call(a, "overwrite_cell_source", cell=0, source="total = 0\nagent_line = 1")
        await wait_for_cells(ana.notebook, lambda cells: "agent_line" in cells[0]["source"], what="the agent's line")
        ana.type(0, "  # Ana was here", at=len("total = 0"))
        await poll_async(
            lambda: call(a, "read_cell", cell=0), lambda t: "Ana was here" in t, timeout=WAIT, what="the typing"
        )
        assert "Undid one step" in await call(a, "undo")
        expected = "total = 0  # Ana was here"
        await wait_for_cells(ana.notebook, lambda cells: cells[0]["source"] == expected, what="the undo, live")
    disk_sources(server, nb_name, lambda s: s == [expected])


async def test_undoing_a_cell_others_typed_into_needs_force(server: JupyterServer, nb_name: str) -> None:
    write_notebook(server.root, nb_name, ["x = 1"])
    async with agent(server, "Agent A") as a, agent(server, "Agent B") as b:
        await call(a, "use_notebook", path=nb_name, start_kernel=False)
        await call(b, "use_notebook", path=nb_name, start_kernel=False)
        await call(a, "insert_cell", source="made_by_a = 1")
        await call(b, "edit_cell_source", cell=1, old="= 1", new="= 2  # B's fix")
        refusal = await call_error(a, "undo")
        assert "Agent B" in refusal and "force=true" in refusal, refusal
        assert "Undid one step" in await call(a, "undo", force=True)
        assert "made_by_a" not in await call(b, "read_notebook")


async def test_redoing_a_delete_of_a_cell_a_person_typed_into_needs_force(server: JupyterServer, nb_name: str) -> None:
    write_notebook(server.root, nb_name, ["keep = 1", "scratch = 2"])
    async with agent(server, "Agent A") as a, person_in(server, nb_name) as ana:
        await call(a, "use_notebook", path=nb_name, start_kernel=False)
        await call(a, "delete_cells", cells=[1])
        await wait_for_cells(ana.notebook, lambda cells: len(cells) == 1, what="the delete, live")
        await call(a, "undo")  # the cell is back, and the person goes on working in it
        await wait_for_cells(ana.notebook, lambda cells: len(cells) == 2, what="the cell back, live")
        ana.type(1, "  # Ana keeps this", at=len("scratch = 2"))
        await poll_async(
            lambda: call(a, "read_cell", cell=1), lambda t: "Ana keeps" in t, timeout=WAIT, what="the typing"
        )
        refusal = await call_error(a, "redo")
        assert "cell1" in refusal and "force=true" in refusal, refusal
        assert "Ana keeps" in await call(a, "read_cell", cell=1)  # nothing was deleted
        assert "Redid one step" in await call(a, "redo", force=True)
        await wait_for_cells(ana.notebook, lambda cells: len(cells) == 1, what="the forced redo, live")


async def test_digests_name_the_other_session_and_the_person(server: JupyterServer, nb_name: str) -> None:
    write_notebook(server.root, nb_name, ["a = 1", "b = 2"])
    async with agent(server, "Agent A") as a, agent(server, "Agent B") as b, person_in(server, nb_name) as ana:
        first = await call(a, "use_notebook", path=nb_name, start_kernel=False)
        assert "Changed by others" not in first
        await call(b, "use_notebook", path=nb_name, start_kernel=False)
        await call(b, "insert_cell", source="c = 3")
        await call(b, "edit_cell_source", cell=0, old="1", new="10")
        ana.type(1, "  # Ana")
        await poll_async(
            lambda: call(b, "read_cell", cell=1), lambda t: "# Ana" in t, timeout=WAIT, what="Ana's typing"
        )
        text = await call(a, "read_cell", cell=0)
        head = text.splitlines()[0]
        assert head.startswith("Changed by others since your last call:"), text
        assert "Agent B added cell" in head and "Agent B edited cell cell0 (index 0)" in head, head
        assert "Ana edited cell cell1 (index 1)" in head, head
        assert "Changed by others" not in await call(a, "read_cell", cell=0)  # silent when nothing changed
        # B's own changes are not reported back to B.
        assert "Agent B" not in (await call(b, "read_cell", cell=0)).splitlines()[0]


async def test_a_stale_overwrite_is_refused_with_the_current_source(server: JupyterServer, nb_name: str) -> None:
    write_notebook(server.root, nb_name, ["a = 1"])
    async with agent(server, "Agent A") as a, person_in(server, nb_name) as ana:
        await call(a, "use_notebook", path=nb_name, start_kernel=False)
        assert "a = 1" in await call(a, "read_cell", cell=0)
        ana.type(0, "  # person edit and more")
        await poll_async(
            lambda: _cell_source(server, nb_name), lambda s: "more" in s, timeout=WAIT, what="the person's edit"
        )
        refusal = await call_error(a, "overwrite_cell_source", cell=0, source="a = 100")
        assert "Refused to overwrite cell cell0: Ana edited it" in refusal, refusal
        assert "a = 1  # person edit and more" in refusal and "force=true" in refusal
        assert "Refused to delete cell cell0" in await call_error(a, "delete_cells", cells=[0])
        # After a re-read the overwrite goes through; force skips the check.
        await call(a, "read_cell", cell=0)
        await call(a, "overwrite_cell_source", cell=0, source="a = 100")
        ana.type(0, "  # again")
        await poll_async(lambda: _cell_source(server, nb_name), lambda s: "again" in s, timeout=WAIT, what="again")
        await call(a, "overwrite_cell_source", cell=0, source="a = 200", force=True)
    disk_sources(server, nb_name, lambda s: s == ["a = 200"])


async def _cell_source(server: JupyterServer, name: str) -> str:
    """Cell 0's source as the server has it, read by another session (so the agent under test has not read it)."""
    async with mcp_client(server.mcp_url, server.token) as other:
        text = await call(other, "read_cell", cell=0, path=name)
    return text.split("\n", 1)[1]


async def test_a_checkpoint_is_made_before_the_first_change(server: JupyterServer, nb_name: str) -> None:
    write_notebook(server.root, nb_name, ["before = 1"])
    async with agent(server, "Agent A") as a, person_in(server, nb_name) as ana:
        await call(a, "use_notebook", path=nb_name, start_kernel=False)
        ana.type(0, "  # unsaved typing")  # still in the room only: the checkpoint must flush it first
        await poll_async(
            lambda: call(a, "read_cell", cell=0), lambda t: "unsaved typing" in t, timeout=WAIT, what="the typing"
        )
        first = await call(a, "insert_cell", source="after = 2")
        assert "saved a checkpoint" in first and "Revert Notebook to Checkpoint" in first, first
        assert "saved a checkpoint" not in await call(a, "insert_cell", source="again = 3")
    stem = nb_name[: -len(".ipynb")]
    checkpoint = json.loads((server.root / ".ipynb_checkpoints" / f"{stem}-checkpoint.ipynb").read_text())
    assert [_joined(c["source"]) for c in checkpoint["cells"]] == ["before = 1  # unsaved typing"]


async def test_reverting_to_a_checkpoint_updates_the_open_room(server: JupyterServer, nb_name: str) -> None:
    write_notebook(server.root, nb_name, ["v = 1"])
    async with agent(server, "Agent A") as a, person_in(server, nb_name) as ana:
        await call(a, "use_notebook", path=nb_name, start_kernel=False)
        await call(a, "overwrite_cell_source", cell=0, source="v = 2  # agent")
        await call(a, "insert_cell", source="w = 3")
        disk_sources(server, nb_name, lambda s: s == ["v = 2  # agent", "w = 3"])
        response = httpx2.post(
            f"{server.url}api/contents/{nb_name}/checkpoints/checkpoint", headers=server.headers, timeout=30
        )
        assert response.status_code == 204, response.text
        await wait_for_cells(ana.notebook, lambda cells: [c["source"] for c in cells] == ["v = 1"], what="the revert")
        digest = (await call(a, "read_notebook")).splitlines()[0]
        assert "JupyterLab's Revert to Checkpoint" in digest, digest
        assert "Nothing to undo" in await call(a, "undo")  # its steps would interleave with the revert's edits
        ana.type(0, "  # typed after the revert")
        expected = ["v = 1  # typed after the revert"]
        await wait_for_cells(ana.notebook, lambda cells: [c["source"] for c in cells] == expected, what="typing")
    # The room's autosave keeps the revert and the typing (it used to write the old room back).
    disk_sources(server, nb_name, lambda s: s == expected)


async def test_the_person_focus_is_reported(server: JupyterServer, nb_name: str) -> None:
    write_notebook(server.root, nb_name, ["a = 1", "b = 2", "c = 3"])
    async with agent(server, "Agent A") as a, person_in(server, nb_name, "Ana") as ana:
        opened = await call(a, "use_notebook", path=nb_name, start_kernel=False)
        assert "Ana has it open (no cell selected)" in opened, opened
        await ana.click(1, offset=2)
        await poll_async(
            lambda: call(a, "use_notebook", path=nb_name, start_kernel=False),
            lambda t: "Ana is in cell cell1 (index 1), line 1 column 3" in t,
            timeout=WAIT,
            what="use_notebook to report Ana's cell",
        )
        assert "Ana is in cell cell1 (index 1)" in await call(a, "read_notebook", limit=1)
        listed = await call(a, "list_notebooks")
        assert f"{nb_name}:" in listed and "Ana is in cell cell1 (index 1)" in listed, listed


async def test_agents_show_as_collaborators_and_leave_when_their_session_ends(
    server: JupyterServer, nb_name: str
) -> None:
    write_notebook(server.root, nb_name, ["a = 1"])
    async with watching_collaborators(server) as panel, person_in(server, nb_name) as ana:
        async with agent(server, "Agent A") as a:
            async with agent(server, "Agent B") as b, agent(server, "Agent B") as b2:
                for client in (a, b, b2):
                    await call(client, "use_notebook", path=nb_name, start_kernel=False)
                await call(a, "edit_cell_source", cell=0, old="1", new="10")
                expected = ["Agent A", "Agent B", "Agent B (2)"]
                await poll_async(panel.agents, lambda names: names == expected, timeout=WAIT, what="three agents")
                state = panel.agent_state("Agent A")
                assert state is not None and state["current"] == f"notebook:{nb_name}", state
                assert state["user"]["initials"] == "AA" and state["user"]["color"].startswith("#")
                # In the notebook's room: a cursor in the cell it edited, at the end of its edit.
                await poll_async(
                    lambda: ana.watcher.agent_state("Agent A"),
                    lambda s: s is not None and s.get("cursors"),
                    timeout=WAIT,
                    what="Agent A's cursor in the notebook room",
                )
                started = time.monotonic()
            await poll_async(panel.agents, lambda names: names == ["Agent A"], timeout=WAIT, what="B and B (2) leave")
            print(f"two agents left the collaborators {time.monotonic() - started:.3f} s after their sessions closed")
        await poll_async(panel.agents, lambda names: names == [], timeout=WAIT, what="A leaves")
        # The notebook room hears of it separately from the global room: wait for that one too.
        await poll_async(ana.watcher.agents, lambda names: names == [], timeout=WAIT, what="A leaves the notebook room")
