"""HTML tables (pandas DataFrames, Stylers, any ``<table>``) as markdown tables, with a DataFrame's shape."""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bs4 import Tag

#: Body rows kept at each end of a very long table before parsing it (HTML parsing is the costly part).
KEEP_ROWS = 200
OMITTED = "data-jmcp-omitted"
TIMES = "\N{MULTIPLICATION SIGN}"  # pandas writes "100 rows \N{MULTIPLICATION SIGN} 3 columns"
SHAPE = re.compile(rf"^\s*([\d,]+) rows {TIMES} ([\d,]+) columns\s*$")
_TR = re.compile(r"<tr\b")


def trim_long_tables(html: str, keep: int = KEEP_ROWS) -> str:
    """Cut the middle rows of every ``<tbody>`` longer than ``2 * keep`` rows, leaving a marker row.

    A Styler or ``to_html()`` of a big frame can hold 100,000 rows; only the ends can be shown anyway.
    Generators of such tables write lowercase tags, which is all this looks for.
    """
    if html.count("<tr") <= 2 * keep + 1:
        return html
    pieces: list[str] = []
    position = 0
    while (opened := html.find("<tbody", position)) >= 0 and (closed := html.find("</tbody>", opened)) >= 0:
        starts = [m.start() for m in _TR.finditer(html, opened, closed)]
        if len(starts) > 2 * keep + 1:
            pieces.append(html[position : starts[keep]])
            pieces.append(f'<tr {OMITTED}="{len(starts) - 2 * keep}"></tr>')
            position = starts[-keep]
        end = closed + len("</tbody>")
        pieces.append(html[position:end])
        position = end
    pieces.append(html[position:])
    return "".join(pieces)


@dataclass(slots=True)
class Cell:
    """One ``<td>``/``<th>``: its text and spans."""

    text: str
    header: bool
    colspan: int = 1
    rowspan: int = 1


@dataclass(slots=True)
class Row:
    """One ``<tr>``; ``omitted`` counts the rows a trimmed table's marker row stands for."""

    cells: list[Cell]
    head: bool
    omitted: int = 0


@dataclass
class Grid:
    """A table with row and column spans expanded: header rows, body rows, and how many index columns lead."""

    header: list[list[str]] = field(default_factory=list)
    body: list[list[str]] = field(default_factory=list)
    index_columns: int = 0
    omitted_rows: int = 0
    body_rows: int = 0  # rows of data, counting omitted ones, not counting "..." truncation rows


def clean_text(text: str) -> str:
    """A cell's text on one line, with pipes escaped for markdown."""
    text = " ".join(text.split())
    return text.replace("|", "\\|") if "|" in text else text


def _span(value: object) -> int:
    if value is None:
        return 1
    text = str(value).strip('"')
    return max(1, min(1000, int(text))) if text.isdigit() else 1


def rows_from_tag(table: Tag) -> list[Row]:
    """The rows of a bs4 ``<table>`` (not those of tables nested in it)."""
    rows: list[Row] = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        if tr.has_attr(OMITTED):
            rows.append(Row([], head=False, omitted=_span(tr[OMITTED])))
            continue
        cells = [
            Cell(clean_text(c.get_text(" ")), c.name == "th", _span(c.get("colspan")), _span(c.get("rowspan")))
            for c in tr.find_all(["td", "th"], recursive=False)
        ]
        rows.append(Row(cells, head=tr.parent is not None and tr.parent.name == "thead"))
    return rows


_ROW = re.compile(r"<tr\b([^>]*)>(.*?)</tr\s*>", re.DOTALL)
_CELL = re.compile(r"<(t[hd])\b([^>]*)>(.*?)</\1\s*>", re.DOTALL)
_ATTR = re.compile(r"""\b(colspan|rowspan|data-jmcp-omitted)\s*=\s*["']?(\d+)""")
_TAG = re.compile(r"<[^>]*>")


def rows_from_html(table: str) -> list[Row]:
    """The rows of one machine-written table's HTML, without a parser (pandas' and Stylers' tables are regular)."""
    head_spans = [(m.start(), m.end()) for m in re.finditer(r"<thead\b.*?</thead\s*>", table, re.DOTALL)]
    rows: list[Row] = []
    for match in _ROW.finditer(table):
        attrs = dict(_ATTR.findall(match.group(1)))
        if OMITTED in attrs:
            rows.append(Row([], head=False, omitted=int(attrs[OMITTED])))
            continue
        cells = []
        for cell in _CELL.finditer(match.group(2)):
            # Most cells have no spans, tags or entities: skip the work then (a Styler has thousands of cells).
            attributes, text = cell.group(2), cell.group(3)
            spans = dict(_ATTR.findall(attributes)) if "span" in attributes else {}
            if "<" in text:
                text = _TAG.sub(" ", text)
            if "&" in text:
                text = htmllib.unescape(text)
            colspan, rowspan = _span(spans.get("colspan")), _span(spans.get("rowspan"))
            cells.append(Cell(clean_text(text), cell.group(1) == "th", colspan, rowspan))
        head = any(start <= match.start() < end for start, end in head_spans)
        rows.append(Row(cells, head=head))
    return rows


def _take_pending(out: list[str], pending: dict[int, tuple[int, str]]) -> None:
    while len(out) in pending:
        left, text = pending.pop(len(out))
        if left > 1:
            pending[len(out)] = (left - 1, text)
        out.append(text)


def build_grid(rows: list[Row]) -> Grid:
    """Expand spans; without a ``<thead>``, leading rows made only of ``<th>`` are the header."""
    if not any(row.head for row in rows):
        for row in rows:
            if not row.cells or not all(cell.header for cell in row.cells):
                break
            row.head = True
    grid = Grid()
    pending: dict[int, tuple[int, str]] = {}  # column -> (rows still covered, text) of a rowspan
    for row in rows:
        if row.omitted:
            grid.omitted_rows += row.omitted
            grid.body.append(["..."])
            pending.clear()
            continue
        out: list[str] = []
        leading_th = 0
        leading = True  # still in the row's leading <th> cells (the index)
        for cell in row.cells:
            _take_pending(out, pending)
            for k in range(cell.colspan):
                # A header label spans its columns (merged below); a body cell's text goes in its first column.
                value = cell.text if row.head or k == 0 else ""
                if cell.rowspan > 1:
                    pending[len(out)] = (cell.rowspan - 1, value)
                out.append(value)
            leading = leading and cell.header
            if leading:
                leading_th = len(out)
        _take_pending(out, pending)
        if row.head:
            grid.header.append(out)
            continue
        if grid.body_rows == 0:
            grid.index_columns = leading_th
        grid.body.append(out)
        if not all(value in ("...", "…") for value in out[grid.index_columns :] or out):
            grid.body_rows += 1
    grid.body_rows += grid.omitted_rows
    return grid


def _merged_header(grid: Grid, width: int) -> list[str]:
    merged: list[str] = []
    for column in range(width):
        parts: list[str] = []
        for row in grid.header:
            value = row[column] if column < len(row) else ""
            if value and (not parts or parts[-1] != value):
                parts.append(value)
        merged.append(" / ".join(parts))
    return merged


def _line(cells: list[str], width: int) -> str:
    return "| " + " | ".join(cells + [""] * (width - len(cells))) + " |"


def grid_markdown(grid: Grid) -> str:
    """The grid as a markdown table (the first body row is the header when the table has none)."""
    width = max((len(row) for row in grid.header + grid.body), default=0)
    if width == 0:
        return ""
    body = [["..."] * width if row == ["..."] else row for row in grid.body]
    if grid.header:
        header = _merged_header(grid, width)
    else:
        header, body = body[0], body[1:]
    lines = [_line(header, width), _line(["---"] * width, width)]
    lines.extend(_line(row, width) for row in body)
    return "\n".join(lines)


def grid_shape(grid: Grid) -> str:
    """The shape line pandas writes under a truncated frame, counted from the grid (index columns excluded)."""
    width = max((len(row) for row in grid.header + grid.body), default=0)
    return f"{grid.body_rows:,} rows {TIMES} {max(0, width - grid.index_columns):,} columns"
