"""Errors lead with ``ename: evalue`` and where; the traceback follows without ANSI codes or IPython's banner."""

from __future__ import annotations

from typing import Any

from jmcp_ext.outputs import error_headline, render_outputs
from jmcp_ext.outputs.errors import STDIN_MESSAGE


def test_headline_then_plain_traceback(ipython_errors: dict[str, Any]) -> None:
    error = ipython_errors["value"]
    assert "\x1b[" in "".join(error["traceback"])  # IPython colours it
    assert render_outputs([error]).text.split("\n") == [
        "ValueError: bad value in cell 3 (at Cell In[1], line 2)",
        "Traceback (most recent call last):",
        "Cell In[1], line 2",
        "      1 x = 1",
        "----> 2 raise ValueError('bad value in cell 3')",
    ]


def test_brief_view_shows_the_headline_not_the_banner(ipython_errors: dict[str, Any]) -> None:
    brief = render_outputs([ipython_errors["value"]], mode="brief").text
    assert brief == "ValueError: bad value in cell 3 (at Cell In[1], line 2)"


def test_where_names_the_innermost_cell_frame_and_the_library_line(ipython_errors: dict[str, Any]) -> None:
    assert (
        error_headline(ipython_errors["nested"]) == "ZeroDivisionError: division by zero (at Cell In[2], line 2, in f)"
    )
    headline = error_headline(ipython_errors["library"])
    assert headline.startswith("JSONDecodeError: Expecting property name enclosed in double quotes")
    assert headline.endswith("(at Cell In[3], line 2; raised in .../json/decoder.py:353, in JSONDecoder.raw_decode)")


def test_syntax_error_loses_ipythons_compiled_file_name(ipython_errors: dict[str, Any]) -> None:
    text = render_outputs([ipython_errors["syntax"]]).text
    assert text.split("\n")[0] == "SyntaxError: invalid syntax (at Cell In[4], line 1)"
    assert "ipython-input" not in text and text.count("SyntaxError") == 1


def test_input_gets_one_line_saying_what_to_do(ipython_errors: dict[str, Any]) -> None:
    error = ipython_errors["input"]
    assert error["ename"] == "StdinNotImplementedError" and len("".join(error["traceback"])) > 300
    assert render_outputs([error]).text == STDIN_MESSAGE
    assert render_outputs([error], mode="brief").text == STDIN_MESSAGE
    assert "through MCP" in STDIN_MESSAGE and "in the code" in STDIN_MESSAGE


def test_errors_from_other_kernels_keep_their_traceback() -> None:
    error = {"output_type": "error", "ename": "Error", "evalue": "boom", "traceback": ['File "x.jl", line 3', "boom"]}
    assert render_outputs([error]).text == 'Error: boom (at x.jl:3)\nFile "x.jl", line 3\nboom'
