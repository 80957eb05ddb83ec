"""The cell writer mirrors a run's output changes into a live YNotebook (and a file notebook) exactly.

No server: a local jupyter_ydoc ``YNotebook`` and the real ``OutputList``; what a collaboration peer would
receive is checked through a second document kept in sync by updates.
"""

from __future__ import annotations

from typing import Any

import pytest
from jupyter_ydoc import YNotebook

from jmcp_ext.kernels import Displays, DisplayUpdate
from jmcp_ext.notebooks import new_cell
from jmcp_ext.notebooks.files import FileNotebook
from jmcp_ext.notebooks.live import LiveNotebook
from jmcp_ext.outputs import OutputList
from jmcp_ext.outputs.display import display_id_of, output_from_message
from jmcp_ext.tools.cell_writer import CellWriter

Message = tuple[str, dict[str, Any]]


def stream(text: str, name: str = "stdout") -> Message:
    return "stream", {"name": name, "text": text}


def display(text: str, display_id: str | None = None, kind: str = "display_data") -> Message:
    content: dict[str, Any] = {"data": {"text/plain": text}, "metadata": {}}
    if display_id:
        content["transient"] = {"display_id": display_id}
    return kind, content


def clear(wait: bool = False) -> Message:
    return "clear_output", {"wait": wait}


class Counting(LiveNotebook):
    """A live notebook that counts full rewrites, to check that redraws stay edits of the last line."""

    rewrites = 0

    def replace_outputs(self, index: int, start: int, outputs: list[dict[str, Any]]) -> None:
        self.rewrites += 1
        super().replace_outputs(index, start, outputs)


def live_notebook(cells: int = 1) -> Counting:
    ynb = YNotebook()
    notebook = Counting("t.ipynb", ynb)
    for index in range(cells):
        notebook.insert(index, new_cell("code", f"cell {index}"))
    return notebook


def feed(writer: CellWriter, messages: list[Message]) -> None:
    """What the execution loop does per message: update the model, hand the events to the writer."""
    for msg_type, content in messages:
        events: list[Any] = []
        display_id = display_id_of(content)
        if display_id and msg_type in ("display_data", "update_display_data"):
            events.append(DisplayUpdate(display_id, output_from_message("update_display_data", content) or {}))
        events += writer.model.apply(msg_type, content)
        writer.write(events)


def stored(notebook: Any, index: int = 0) -> list[dict[str, Any]]:
    outputs = notebook.cell(index).get("outputs") or []
    for output in outputs:
        if isinstance(output.get("text"), list):
            output["text"] = "".join(output["text"])
    return outputs


PROGRESS = [stream(f"\rtrain: {i:3d}%|{'█' * (i // 10):<10}| ünïcode") for i in range(0, 101, 5)] + [stream("\n")]


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param(PROGRESS, id="a progress bar redrawn with carriage returns"),
        pytest.param([stream("abc\b\bX\n"), stream("a\rb"), stream("\bcd\n")], id="backspaces"),
        pytest.param(
            [display("'start'", "d"), stream("x\n"), display("'3/3'", "d", "update_display_data"), stream("y\n")],
            id="a display updated in the middle",
        ),
        pytest.param(
            [*(m for i in range(4) for m in (clear(wait=True), display(f"'{i}'"), stream(f"{i}\n")))],
            id="clear_output(wait=True) in a loop",
        ),
        pytest.param([display("'a'", "d"), display("'b'", "d"), stream("é\n"), clear()], id="a display shown twice"),
        pytest.param([stream("out\n"), stream("err\n", "stderr"), stream("more\n")], id="streams by name"),
    ],
)
def test_the_live_cell_holds_what_the_output_list_holds_after_every_message(messages: list[Message]) -> None:
    notebook = live_notebook()
    writer = CellWriter(notebook, 0, OutputList())
    for message in messages:
        feed(writer, [message])
        assert stored(notebook) == writer.model.outputs, message


def test_a_redrawn_progress_bar_is_edited_in_place_not_rewritten() -> None:
    notebook = live_notebook()
    writer = CellWriter(notebook, 0, OutputList())
    feed(writer, PROGRESS)
    assert notebook.rewrites == 0
    assert stored(notebook) == [
        {"output_type": "stream", "name": "stdout", "text": "train: 100%|██████████| ünïcode\n"}
    ]


def test_a_peer_applying_the_updates_in_order_ends_with_the_same_text() -> None:
    # What JupyterLab does with a stream change: remove N characters at the end, then append (in delta order).
    # (pycrdt counts UTF-8 bytes where Yjs in the browser counts UTF-16 units: the peer here works on bytes.)
    notebook = live_notebook()
    peer = YNotebook()
    forwarding = notebook._nb.ydoc.observe(lambda event: peer.ydoc.apply_update(event.update))
    peer.ydoc.apply_update(notebook._nb.ydoc.get_update())
    shown: list[bytes] = []

    def on_text(events: list[Any]) -> None:
        for event in events:
            path = list(getattr(event, "path", []))
            if path[1:] == ["outputs", 0, "text"]:
                for op in event.delta:
                    if "delete" in op:
                        shown[-1] = shown[-1][: len(shown[-1]) - op["delete"]]
                    if "insert" in op:
                        shown[-1] += str(op["insert"]).encode()

    watching = peer.ycells.observe_deep(on_text)
    writer = CellWriter(notebook, 0, OutputList())
    feed(writer, PROGRESS[:1])
    shown.append(stored(LiveNotebook("t.ipynb", peer))[0]["text"].encode())
    feed(writer, PROGRESS[1:])
    assert [text.decode() for text in shown] == [stored(notebook)[0]["text"]]
    del forwarding, watching  # (kept referenced until here: a dropped subscription stops)


def test_a_person_clearing_the_cell_mid_run_gets_the_outputs_back_whole() -> None:
    notebook = live_notebook()
    writer = CellWriter(notebook, 0, OutputList())
    feed(writer, [stream("step 1\n")])
    notebook.set_outputs(0, [])  # the person pressed "clear outputs" in the browser
    feed(writer, [stream("\rstep 2\n")])
    assert stored(notebook) == writer.model.outputs


def test_updates_reach_the_displays_of_earlier_cells_until_they_change() -> None:
    notebook = live_notebook(cells=2)
    displays = Displays()
    first = CellWriter(notebook, 0, OutputList(), displays)
    feed(first, [display("'step 0'", "h"), stream("below\n")])
    displays.remember("t.ipynb", first.cell_id, first.model.outputs, first.model.display_ids())
    second = CellWriter(notebook, 1, OutputList(), displays)
    feed(second, [display("'step 1'", "h", "update_display_data")])
    assert [o.get("data", {}).get("text/plain") or o.get("text") for o in stored(notebook, 0)] == [
        "'step 1'",
        "below\n",
    ]
    assert stored(notebook, 1) == []
    notebook.set_outputs(0, [])  # cleared: the display is gone, later updates must not bring it back
    feed(second, [display("'step 2'", "h", "update_display_data")])
    assert stored(notebook, 0) == []
    displays.forget_cell("t.ipynb", first.cell_id)
    assert len(displays) == 0


def test_a_file_notebook_follows_the_same_changes(tmp_path: Any) -> None:
    content = {"cells": [new_cell("code", "x")], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    notebook = FileNotebook("t.ipynb", content, contents_manager=None)
    writer = CellWriter(notebook, 0, OutputList())
    feed(writer, [*PROGRESS, display("'a'", "d"), stream("z"), display("'b'", "d", "update_display_data")])
    assert stored(notebook) == writer.model.outputs
