"""Terminal and display semantics in a real kernel: the result, the live cell and the saved file show what
JupyterLab shows (``\\r``, ``\\b``, display updates within and across cells, ``clear_output(wait=True)``)."""

from __future__ import annotations

import time
from typing import Any

from tests.support import JupyterServer, call, collaboration_client, mcp_client, text_of, wait_for_cells

TQDM_LOOP = "from tqdm import tqdm\nfor _ in tqdm(range(50), desc='train', mininterval=0):\n    pass"  # unicode blocks


def texts(cell: dict[str, Any]) -> list[str]:
    """What each output of a cell (as a peer or the file holds it) shows, as one string each."""
    shown = []
    for output in cell.get("outputs") or []:
        if output.get("output_type") == "stream":
            text = output["text"]
            shown.append("".join(text) if isinstance(text, list) else str(text))
        else:
            value = (output.get("data") or {}).get("text/plain", "")
            shown.append("".join(value) if isinstance(value, list) else str(value))
    return shown


async def test_a_display_update_shows_its_last_value_in_the_result_the_cell_and_the_file(
    server: JupyterServer, nb_name: str
) -> None:
    code = "h = display('starting', display_id=True)\nprint('x')\nh.update('progress 3/3')"
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        async with collaboration_client(server, nb_name) as peer:
            text = await call(client, "insert_execute_code_cell", source=code)
            cells = await wait_for_cells(peer, lambda c: texts(c[0]) == ["'progress 3/3'", "x\n"], what="the update")
    assert "'progress 3/3'" in text and "starting" not in text
    assert cells[0]["outputs"][0]["output_type"] == "display_data"
    server.wait_for_disk(nb_name, lambda nb: texts(nb["cells"][0]) == ["'progress 3/3'", "x\n"])


async def test_a_tqdm_loop_leaves_one_line_in_the_result_and_no_carriage_return_in_the_cell(
    server: JupyterServer, nb_name: str
) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        async with collaboration_client(server, nb_name) as peer:
            seen: list[str] = []  # every piece of text the peer received for the cell's outputs

            def watch(events: list[Any]) -> None:
                for event in events:
                    for op in getattr(event, "delta", None) or []:
                        if isinstance(op, dict) and isinstance(op.get("insert"), str):
                            seen.append(op["insert"])

            peer.ycells.observe_deep(watch)
            text = await call(client, "insert_execute_code_cell", source=TQDM_LOOP)
            # tqdm ends its last frame with a newline of its own, a later stream message: the peer may see the
            # frame a moment before it, so wait for the whole of it.
            cells = await wait_for_cells(peer, lambda c: _ends_line(texts(c[0]), "50/50"), what="the last frame")
    result_lines = [line for line in text.splitlines() if line.startswith("train:")]
    assert len(result_lines) == 1 and "100%" in result_lines[0] and "50/50" in result_lines[0], text
    shown = texts(cells[0])
    assert len(shown) == 1 and shown[0].count("\n") == 1 and shown[0].startswith("train: 100%"), shown
    assert seen and not any("\r" in piece for piece in seen), "a carriage return reached the live cell"
    on_disk = server.wait_for_disk(nb_name, lambda nb: "50/50" in "".join(texts(nb["cells"][0])))
    assert "\r" not in "".join(texts(on_disk["cells"][0]))


def _ends_line(pieces: list[str], needle: str) -> bool:
    """Whether the outputs' text holds ``needle`` and ends a line."""
    text = "".join(pieces)
    return needle in text and text.endswith("\n")


async def test_backspaces_and_clear_output_wait_show_the_final_frame(server: JupyterServer, nb_name: str) -> None:
    code = (
        "import sys, time\nfrom IPython.display import clear_output\nprint('abc\\b\\bX')\n"
        "for i in range(5):\n    clear_output(wait=True)\n    print(f'frame {i}')\n    time.sleep(0.02)"
    )
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        text = await call(client, "insert_execute_code_cell", source=code)
        assert text.endswith("frame 4") and "aX" not in text and "frame 3" not in text, text
        await call(client, "insert_execute_code_cell", source="print('abc\\b\\bX')")
        cell = await call(client, "read_cell", cell=1)
        assert cell.endswith(">>> output:\naX"), cell
    on_disk = server.wait_for_disk(nb_name, lambda nb: len(nb["cells"]) == 2 and nb["cells"][1].get("outputs"))
    assert texts(on_disk["cells"][0]) == ["frame 4\n"]
    assert texts(on_disk["cells"][1]) == ["aX\n"]


async def test_an_update_from_a_later_cell_changes_the_display_of_the_earlier_cell(
    server: JupyterServer, nb_name: str
) -> None:
    # As in JupyterLab: a display keeps following updates until its cell runs again or is cleared.
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        await call(client, "insert_execute_code_cell", source="h = display('step 0', display_id=True)\nprint('below')")
        async with collaboration_client(server, nb_name) as peer:
            later = await call(client, "insert_execute_code_cell", source="h.update('step 1')")
            cells = await wait_for_cells(peer, lambda c: texts(c[0])[0] == "'step 1'", what="the earlier display")
            assert texts(cells[0]) == ["'step 1'", "below\n"]  # updated in place, the stream after it kept
            assert texts(cells[1]) == [] and "(no output)" in later
            # A display updated by its own cell's output list and by another cell at once.
            await call(client, "execute_code", source="h.update('step 2 (execute_code)')")
            await call(client, "clear_outputs", cell=0)
            await call(client, "execute_cell", cell=1)  # its display was cleared: nothing comes back
            cells = await wait_for_cells(peer, lambda c: c[1].get("execution_count") is not None, what="the re-run")
            assert texts(cells[0]) == []
            # Running the first cell again makes a new display; the second cell updates that one.
            await call(client, "execute_cell", cell=0)
            await call(client, "execute_cell", cell=1)
            cells = await wait_for_cells(peer, lambda c: texts(c[0]) == ["'step 1'", "below\n"], what="the new one")
    on_disk = server.wait_for_disk(nb_name, lambda nb: texts(nb["cells"][0]) == ["'step 1'", "below\n"])
    assert texts(on_disk["cells"][1]) == []


async def test_execute_code_leaves_displays_of_cells_alone(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        await call(client, "insert_execute_code_cell", source="g = display('kept', display_id=True)")
        text = await call(client, "execute_code", source="g.update('not written')\n'checked'")
        assert "'checked'" in text
        assert "'kept'" in await call(client, "read_cell", cell=0)


async def test_tqdm_auto_shows_the_widget_as_it_is_at_the_end(server: JupyterServer, nb_name: str) -> None:
    code = "from tqdm.auto import tqdm\nfor _ in tqdm(range(50), desc='fit'):\n    pass"
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        text = await call(client, "insert_execute_code_cell", source=code)
        assert "fit: 100%" in text and "[####################] 50/50" in text, text
        assert "state is not available" not in text
        # Reading the cell later shows the state as jmcp last read it.
        assert "50/50" in await call(client, "read_cell", cell=0)
        slider = "import ipywidgets as W\ns = W.IntSlider(value=3, description='n')\ndisplay(s)\ns.value = 7"
        text = await call(client, "insert_execute_code_cell", source=slider)
        assert text.endswith("\nn: 7 (range 0..100)"), text  # its value now, not its repr when displayed


async def test_progress_notifications_carry_the_last_line_printed(server: JupyterServer, nb_name: str) -> None:
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    code = (
        "import time\nfor i in range(8):\n    print(f'epoch {i}: loss {1 / (i + 1):.3f}', flush=True)\n"
        "    time.sleep(0.15)"
    )
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        await call(client, "insert_cell", source=code)
        started = time.monotonic()
        result = await client.call_tool("execute_cell", {"cell": 0}, progress_callback=on_progress)
    assert not result.is_error and "epoch 7" in text_of(result), time.monotonic() - started
    with_lines = [m for m in messages if "last output: epoch " in m]
    assert with_lines, messages
    assert with_lines[-1].split("last output: ")[1].startswith("epoch ")
