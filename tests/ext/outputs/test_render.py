"""A cell's outputs as one text for the model: order, ``Out[n]``, brief views, truncation with offsets."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from jmcp_ext.outputs import last_line, outputs_text, render_outputs, truncate

from .conftest import bundle, stream


def test_a_multi_line_result_starts_on_its_own_line() -> None:
    frame = pd.DataFrame({"a": [1, 2]})
    text = render_outputs([bundle(frame, "execute_result", 4)]).text
    lines = text.split("\n")
    assert lines[0] == "Out[4]:"
    assert lines[1] == "|  | a |" and lines[2] == "| --- | --- |"  # the header lines up with the rows
    assert render_outputs([bundle(42, "execute_result", 5)]).text == "Out[5]: 42"


def test_outputs_read_in_order_with_terminal_semantics() -> None:
    outputs = [
        stream("loading 10%\rloading 100%\n"),
        bundle(Markdown("**done**")),
        stream("warn\n", "stderr"),
        bundle(3, "execute_result", 7),
    ]
    assert render_outputs(outputs).text == "loading 100%\n**done**\nwarn\nOut[7]: 3"


def test_truncation_keeps_whole_lines_and_says_where_to_page() -> None:
    text = "".join(f"line {i}\n" for i in range(1, 2001))
    cut = truncate(text, 300, "read_cell(3, offset={offset}) reads on")
    head, _, rest = cut.partition("\n[... ")
    marker, _, tail = rest.partition("]\n")
    head_end = text.rfind("\n", 0, 200) + 1  # two thirds of the limit, cut after a whole line
    assert head == text[: head_end - 1]
    assert marker.endswith(f"read_cell(3, offset={head_end}) reads on ...")
    first_left_out = text[head_end:].split("\n", 1)[0]
    assert f"(lines {first_left_out.split()[1]}-" in marker
    assert tail.startswith("line ") and tail.endswith("line 2000\n")
    assert len(cut) < 300 + len(marker) + 10


def test_full_render_truncates_and_the_whole_text_stays_reachable() -> None:
    outputs = [stream("".join(f"row {i}\n" for i in range(10_000)))]
    rendered = render_outputs(outputs, max_chars=2_000, hint="offset={offset}")
    assert len(rendered.text) < 2_300
    whole = outputs_text(outputs)
    assert whole.endswith("row 9999") and len(whole) > 60_000
    offset = int(rendered.text.split("offset=")[1].split(" ")[0])
    assert whole[offset:].startswith("row ")


def test_brief_view_is_short() -> None:
    rendered = render_outputs([stream("x" * 5_000)], mode="brief")
    assert len(rendered.text) < 300 and "read_cell shows the full output" in rendered.text


def test_last_line_is_the_current_progress_line() -> None:
    assert last_line([stream("epoch 1\n 10%\r 50%")]) == "50%"
    assert last_line([stream("a\nb\n\n"), {"output_type": "stream", "name": "stderr", "text": ""}]) == "b"
    assert last_line([stream("x\n"), bundle(Markdown("**done**"))]) == "**done**"
    assert last_line([]) == ""


def test_none_mode_and_no_outputs_render_nothing() -> None:
    assert render_outputs([stream("x")], mode="none").text == ""
    assert render_outputs([]).images == []
