"""The most informative representation of a mime bundle; HTML and tables as markdown."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.display import HTML, JSON, Latex, Markdown, Math

from jmcp_ext.outputs import output_text
from jmcp_ext.outputs.html import html_to_markdown
from jmcp_ext.outputs.mime import bundle_text, is_placeholder
from jmcp_ext.outputs.tables import TIMES

from .conftest import bundle


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"city": ["Oslo", "Lima", "Pune"], "temp": [3.5, 19.25, 31.0]}).rename_axis("id")


def test_placeholders_never_win_over_a_better_representation() -> None:
    assert output_text(bundle(Markdown("**bold**"))) == "**bold**"
    assert output_text(bundle(Latex(r"$\alpha^2$"))) == r"$\alpha^2$"
    assert output_text(bundle(Math(r"x^2"))) == r"$\displaystyle x^2$"
    assert output_text(bundle(JSON({"a": [1, 2]}))) == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert output_text(bundle(HTML("<h3>Report</h3><p>All <b>good</b></p>"))) == "### Report\n\nAll **good**"
    for obj in (Markdown("x"), HTML("<b>x</b>"), JSON({})):
        assert is_placeholder(bundle(obj)["data"]["text/plain"])


def test_a_real_repr_beats_html_without_a_table() -> None:
    # xarray and sklearn write both; their HTML is an interactive version of the same content.
    data = {"text/plain": "Dataset(x=3)", "text/html": "<div><pre>Dataset(x=3)</pre><input type='checkbox'></div>"}
    assert bundle_text(data) == "Dataset(x=3)"


def test_dataframe_reads_as_a_markdown_table_with_its_shape(frame: pd.DataFrame) -> None:
    text = output_text(bundle(frame, "execute_result", 4))
    assert text == (
        "| id | city | temp |\n"
        "| --- | --- | --- |\n"
        "| 0 | Oslo | 3.50 |\n"
        "| 1 | Lima | 19.25 |\n"
        "| 2 | Pune | 31.00 |\n"
        "\n"
        f"3 rows {TIMES} 2 columns"
    )


def test_a_truncated_dataframe_keeps_pandas_truncation_row_and_shape() -> None:
    frame = pd.DataFrame({"n": range(1000), "square": [i * i for i in range(1000)]})
    lines = output_text(bundle(frame)).split("\n")
    assert lines[:3] == ["|  | n | square |", "| --- | --- | --- |", "| 0 | 0 | 0 |"]
    assert "| ... | ... | ... |" in lines
    assert lines[-3] == "| 999 | 999 | 998001 |"
    assert lines[-1] == f"1000 rows {TIMES} 2 columns"


def test_a_styler_reads_as_the_same_table(frame: pd.DataFrame) -> None:
    styled = bundle(frame.style.format(precision=1).set_caption("Weather"))
    assert is_placeholder(styled["data"]["text/plain"])  # <pandas.io.formats.style.Styler at 0x...>
    assert output_text(styled) == (
        "Weather\n\n"
        "| id | city | temp |\n"
        "| --- | --- | --- |\n"
        "| 0 | Oslo | 3.5 |\n"
        "| 1 | Lima | 19.2 |\n"
        "| 2 | Pune | 31.0 |\n"
        "\n"
        f"3 rows {TIMES} 2 columns"
    )


def test_multiindex_rows_and_columns_expand_their_spans() -> None:
    index = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)], names=["k", "n"])
    columns = pd.MultiIndex.from_product([["x", "y"], ["lo", "hi"]])
    frame = pd.DataFrame([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], index=index, columns=columns)
    assert output_text(bundle(frame)).split("\n") == [
        "| k | n | x / lo | x / hi | y / lo | y / hi |",
        "| --- | --- | --- | --- | --- | --- |",
        "| a | 1 | 1 | 2 | 3 | 4 |",
        "| a | 2 | 5 | 6 | 7 | 8 |",
        "| b | 1 | 9 | 10 | 11 | 12 |",
        "",
        f"3 rows {TIMES} 4 columns",
    ]


def test_a_huge_styler_is_read_from_its_ends_only() -> None:
    frame = pd.DataFrame({"v": range(1_000)})
    text = output_text(bundle(frame.style))
    lines = text.split("\n")
    assert lines[2] == "| 0 | 0 |" and "| 999 | 999 |" in lines
    assert "| ... | ... |" in lines
    assert "[600 rows in the middle of this table were not read]" in text
    assert lines[-1] == f"1,000 rows {TIMES} 1 columns"


def test_general_html_with_a_table_uses_markdownify_and_the_same_grid() -> None:
    html = (
        "<h2>Scores</h2><p>Top <i>three</i>:</p>"
        "<table><tr><th>name</th><th>score</th></tr><tr><td>ann|e</td><td>9</td></tr>"
        "<tr><td colspan='2'>tie</td></tr></table><ul><li>one</li><li>two</li></ul><script>x()</script>"
    )
    assert html_to_markdown(html) == (
        "## Scores\n\nTop *three*:\n\n| name | score |\n| --- | --- |\n| ann\\|e | 9 |\n| tie |  |\n\n- one\n- two"
    )


def test_unknown_mime_types_are_named() -> None:
    assert bundle_text({"application/vnd.custom+json": {}}) == "[application/vnd.custom+json output]"
