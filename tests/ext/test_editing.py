"""Notebook tools: create, use, read, insert, edit, delete, move, clear; live in the room and on disk."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from tests.polling import poll_async
from tests.support import (
    JupyterServer,
    call,
    call_error,
    collaboration_client,
    mcp_client,
    text_of,
    wait_for_cells,
)


def sources(notebook: dict) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in notebook["cells"]]


async def test_create_insert_edit_move_delete_reach_the_file(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        assert "active notebook" in await call(client, "create_notebook", path=nb_name)
        await call(client, "insert_cell", source="a = 1")
        await call(client, "insert_cell", source="# Title", cell_type="markdown", index=0)
        await call(client, "insert_cell", source="raw text", cell_type="raw")
        await call(client, "insert_cell", source="b = 2", index=-1)
        on_disk = server.wait_for_disk(nb_name, lambda nb: len(nb["cells"]) == 4)
        assert sources(on_disk) == ["# Title", "a = 1", "raw text", "b = 2"]
        assert [c["cell_type"] for c in on_disk["cells"]] == ["markdown", "code", "raw", "code"]
        ids = [c["id"] for c in on_disk["cells"]]

        await call(client, "edit_cell_source", cell=ids[1], old="1", new="10")
        await call(client, "overwrite_cell_source", cell=3, source="b = 20")
        await call(client, "move_cell", cell=ids[2], to_index=0)
        await call(client, "delete_cells", cells=[ids[0]])
        await call(client, "insert_cell", source="c = 3", after_cell_id=ids[1])
        on_disk = server.wait_for_disk(nb_name, lambda nb: sources(nb) == ["raw text", "a = 10", "c = 3", "b = 20"])
        # Ids are stable across the move.
        assert on_disk["cells"][0]["id"] == ids[2] and on_disk["cells"][1]["id"] == ids[1]
        assert on_disk["nbformat"] == 4


async def test_read_notebook_pages_and_read_cell(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        for i in range(30):
            await call(client, "insert_cell", source=f"x{i} = {i}")
        page = await call(client, "read_notebook", start=25, limit=10, outputs="none")
        assert "30 cells" in page and "x25 = 25" in page and "x29 = 29" in page and "x24" not in page
        first = await call(client, "read_notebook", limit=5)
        assert "x4 = 4" in first and "x5 =" not in first and "read_notebook(start=5)" in first
        assert "x7 = 7" in await call(client, "read_cell", cell=7)
        assert "x29 = 29" in await call(client, "read_cell", cell=-1)
        assert "out of range" in await call_error(client, "read_cell", cell=30)
        assert "No cell with id" in await call_error(client, "read_cell", cell="no-such-id")


async def test_edit_cell_source_refuses_ambiguous_or_missing_snippets(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        await call(client, "insert_cell", source="x = 1\ny = 1\n")
        assert "occurs 2 times" in await call_error(client, "edit_cell_source", cell=0, old="1", new="2")
        assert "not found" in await call_error(client, "edit_cell_source", cell=0, old="zzz", new="2")
        await call(client, "edit_cell_source", cell=0, old="1", new="2", replace_all=True)
        assert "x = 2\ny = 2" in await call(client, "read_cell", cell=0)
        # Multi-byte text before the snippet: offsets must not drift.
        await call(client, "overwrite_cell_source", cell=0, source="s = 'héllo😀'\nt = 'x'")
        await call(client, "edit_cell_source", cell=0, old="'x'", new="'y'")
        assert "s = 'héllo😀'\nt = 'y'" in await call(client, "read_cell", cell=0)


async def test_edits_reach_a_second_collaboration_client_live(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        await call(client, "insert_cell", source="first")
        async with collaboration_client(server, nb_name) as peer:
            await wait_for_cells(peer, lambda cells: len(cells) == 1, what="the first cell")
            await call(client, "insert_cell", source="print('live')")
            cells = await wait_for_cells(peer, lambda cells: len(cells) == 2, timeout=2, what="the inserted cell")
            assert cells[1]["source"] == "print('live')"
            await call(client, "execute_cell", cell=1)
            # The output streams in while the cell runs; its prompt number is written as the run ends, and may
            # reach the peer's websocket a moment after the call's answer.
            cells = await wait_for_cells(
                peer,
                lambda cells: len(cells[1]["outputs"]) == 1 and cells[1]["execution_count"] is not None,
                timeout=5,
                what="the output and the prompt number",
            )
            output = cells[1]["outputs"][0]
            assert output["output_type"] == "stream" and output["text"] == "live\n"
            assert cells[1]["execution_count"] == 1
            # The person types in the browser; the agent reads it.
            typed = peer.ycells[0]["source"]
            typed += " typed by a person"
            await poll_async(
                lambda: call(client, "read_cell", cell=0),
                lambda text: "typed by a person" in text,
                timeout=10,
                what="read_cell to see the peer's typing",
            )
        server.wait_for_disk(nb_name, lambda nb: sources(nb)[0] == "first typed by a person")


async def test_snippet_edit_keeps_concurrent_typing_in_the_same_cell(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        await call(client, "insert_cell", source="alpha = 1\nbeta = 2\n")
        async with collaboration_client(server, nb_name) as peer:
            await wait_for_cells(peer, lambda cells: len(cells) == 1 and "beta" in cells[0]["source"], what="the cell")
            # The person appends a line while the agent edits the first line.
            typed = peer.ycells[0]["source"]
            typed += "gamma = 3\n"
            await call(client, "edit_cell_source", cell=0, old="alpha = 1", new="alpha = 100")
            expected = "alpha = 100\nbeta = 2\ngamma = 3\n"
            await wait_for_cells(peer, lambda cells: cells[0]["source"] == expected, timeout=5, what="both edits")
        server.wait_for_disk(nb_name, lambda nb: sources(nb) == [expected])


async def test_clear_outputs_one_and_all(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        await call(client, "insert_execute_code_cell", source="print(1)")
        await call(client, "insert_execute_code_cell", source="print(2)")
        await call(client, "insert_cell", source="text", cell_type="markdown")
        await call(client, "clear_outputs", cell=0)
        assert "output" not in await call(client, "read_cell", cell=0)
        assert "2" in await call(client, "read_cell", cell=1)
        await call(client, "clear_outputs")
        on_disk = server.wait_for_disk(
            nb_name, lambda nb: all(not c.get("outputs") for c in nb["cells"]) and len(nb["cells"]) == 3
        )
        assert on_disk["cells"][1]["execution_count"] is None


async def test_active_notebook_belongs_to_the_session(server: JupyterServer, nb_name: str) -> None:
    a, b = f"a_{nb_name}", f"b_{nb_name}"
    async with mcp_client(server.mcp_url, server.token) as one, mcp_client(server.mcp_url, server.token) as two:
        await call(one, "create_notebook", path=a)
        await call(two, "create_notebook", path=b)
        await call(one, "insert_cell", source="from one")
        await call(two, "insert_cell", source="from two")
        assert f"Active notebook: {a}" in await call(one, "list_notebooks")
        assert f"Active notebook: {b}" in await call(two, "list_notebooks")
    assert sources(server.wait_for_disk(a, lambda nb: len(nb["cells"]) == 1)) == ["from one"]
    assert sources(server.wait_for_disk(b, lambda nb: len(nb["cells"]) == 1)) == ["from two"]


async def test_sessionless_clients_must_name_the_notebook(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token, mode="2026-07-28") as client:
        await call(client, "create_notebook", path=nb_name)
        assert "pass `path`" in await call_error(client, "insert_cell", source="x")
        await call(client, "insert_cell", source="x", path=nb_name)
    assert sources(server.wait_for_disk(nb_name, lambda nb: len(nb["cells"]) == 1)) == ["x"]


async def test_use_notebook_adopts_jupyterlabs_kernel(server: JupyterServer, nb_name: str) -> None:
    (server.root / nb_name).write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [
            {"cell_type": "code", "source": "v = 7", "metadata": {}, "outputs": [], "execution_count": None}
        ]})
    )  # fmt: skip
    # What JupyterLab does when a person opens the notebook.
    session = httpx2.post(
        f"{server.url}api/sessions",
        headers=server.headers,
        json={"path": nb_name, "type": "notebook", "name": nb_name, "kernel": {"name": "python3"}},
        timeout=60,
    ).json()
    async with mcp_client(server.mcp_url, server.token) as client:
        text = await call(client, "use_notebook", path=nb_name)
        assert session["kernel"]["id"] in text and "attached to the kernel JupyterLab uses" in text
        # nbformat 4.4 cells get ids in the live document, so they can be addressed.
        assert "id=" in await call(client, "read_cell", cell=0)
        await call(client, "execute_cell", cell=0)
        assert (await call(client, "execute_code", source="v * 6")).endswith("\n42")
        kernels = await call(client, "list_kernels")
        assert kernels.count(nb_name) == 1  # no second kernel for the same notebook


async def test_list_files_with_glob_and_depth(server: JupyterServer, nb_name: str) -> None:
    folder = server.root / f"dir_{nb_name[:-6]}"
    (folder / "sub").mkdir(parents=True)
    (folder / "data.csv").write_text("a,b\n")
    (folder / "sub" / "deep.ipynb").write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []})
    )
    async with mcp_client(server.mcp_url, server.token) as client:
        shallow = await call(client, "list_files", path=folder.name)
        assert "data.csv" in shallow and "sub/" in shallow and "deep.ipynb" not in shallow
        deep = await call(client, "list_files", path=folder.name, pattern="*.ipynb", depth=3)
        assert "deep.ipynb" in deep and "data.csv" not in deep
        assert "does not exist" in await call_error(client, "list_files", path="no/such/dir")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside.ipynb", "'..'"),
        ("/etc/passwd.ipynb", "outside the Jupyter root"),
        (".hidden/secret.ipynb", "hidden"),
        ("notes.txt", "not a notebook"),
        ("missing.ipynb", "does not exist"),
    ],
)
async def test_bad_paths_give_clear_errors_and_touch_nothing(server: JupyterServer, path: str, message: str) -> None:
    # Where a careless implementation would have written: relative to the root, and as given.
    targets = [
        server.root / path.lstrip("/"),
        Path(path) if path.startswith("/") else server.root.parent / "outside.ipynb",
    ]
    before = {t: t.exists() for t in targets}
    async with mcp_client(server.mcp_url, server.token) as client:
        result = await client.call_tool("insert_cell", {"path": path, "source": "x"})
        assert result.is_error and message in text_of(result), text_of(result)
    assert {t: t.exists() for t in targets} == before


async def test_symlink_out_of_the_root_is_refused(server: JupyterServer, tmp_path, nb_name: str) -> None:
    outside = tmp_path / "outside.ipynb"
    outside.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}))
    (server.root / nb_name).symlink_to(outside)
    async with mcp_client(server.mcp_url, server.token) as client:
        assert "outside the Jupyter root" in await call_error(client, "read_notebook", path=nb_name)
        assert "outside the Jupyter root" in await call_error(client, "insert_cell", path=nb_name, source="x")
    assert json.loads(outside.read_text())["cells"] == []


async def test_invalid_notebook_file_is_reported_and_left_alone(server: JupyterServer, nb_name: str) -> None:
    broken = '{"nbformat": 4, "cells": [tru'
    (server.root / nb_name).write_text(broken)
    async with mcp_client(server.mcp_url, server.token) as client:
        message = await call_error(client, "insert_cell", path=nb_name, source="x")
        assert nb_name in message
    assert (server.root / nb_name).read_text() == broken
