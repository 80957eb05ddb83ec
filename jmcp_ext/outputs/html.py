"""HTML outputs as markdown: tables as markdown tables (with a DataFrame's shape), other HTML as readable text."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .tables import SHAPE, Grid, build_grid, grid_markdown, grid_shape, rows_from_html, rows_from_tag, trim_long_tables

if TYPE_CHECKING:
    from markdownify import MarkdownConverter

_BLANK_LINES = re.compile(r"\n{3,}")
# Elements with nothing for a reader: code, styling, embedded media and drawings.
_DROPPED = frozenset(("script", "style", "noscript", "template", "iframe", "object", "embed", "head", "svg", "canvas"))
# A document that is one table, as pandas writes a DataFrame (``<div><style scoped>..</style><table ..>..
# </table><p>(shape)</p></div>``) or a Styler (``<style>..</style><table id="T_..">..</table>``).
_NOISE = re.compile(r"<style\b.*?</style\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE)
_LONE_TABLE = re.compile(
    r"\A\s*(?:<div\b[^>]*>\s*)?(<table\b([^>]*)>(.*)</table\s*>)\s*(?:<p>([^<]*)</p>\s*)?(?:</div>\s*)?\Z", re.DOTALL
)
_CAPTION = re.compile(r"<caption\b[^>]*>(.*?)</caption\s*>", re.DOTALL)


@lru_cache(maxsize=1)
def _converter() -> MarkdownConverter:
    """One markdownify converter (imported on first use: bs4 and markdownify cost tens of ms to import)."""
    from markdownify import ATX, MarkdownConverter

    class Converter(MarkdownConverter):
        """markdownify, with tables converted by our grid (row and column spans, pandas' header rows)."""

        def process_tag(self, node: Any, parent_tags: Any = None) -> str:
            if node.name == "table":
                return "\n\n" + _tag_table(node) + "\n\n"
            if node.name in _DROPPED:
                return ""
            return str(super().process_tag(node, parent_tags=parent_tags))  # type: ignore[misc]

    # Underscores and asterisks stay as they are: variable names read better than escaped markdown.
    return Converter(
        heading_style=ATX, bullets="-", escape_underscores=False, escape_asterisks=False, escape_misc=False
    )


def _with_shape(text: str, grid: Grid, *, dataframe: bool, stated: bool) -> str:
    """Add the shape line under a pandas table when pandas did not write it (it does when truncating)."""
    if grid.omitted_rows:
        text += f"\n\n[{grid.omitted_rows:,} rows in the middle of this table were not read]"
    if dataframe and not stated:
        text += "\n\n" + grid_shape(grid)
    return text


def _is_dataframe(attributes: str, inner: str) -> bool:
    return "dataframe" in attributes or 'class="col_heading' in inner


def _tag_table(table: Any) -> str:
    grid = build_grid(rows_from_tag(table))
    text = grid_markdown(grid)
    if not text:
        return ""
    caption = table.find("caption", recursive=False)
    if caption is not None:
        text = caption.get_text(" ", strip=True) + "\n\n" + text
    following = table.find_next_sibling()
    stated = bool(following is not None and following.name == "p" and SHAPE.match(following.get_text()))
    dataframe = "dataframe" in (table.get("class") or []) or table.find("th", class_="col_heading") is not None
    return _with_shape(text, grid, dataframe=dataframe, stated=stated)


def _lone_table(html: str) -> str | None:
    """Markdown for a document that is a single table with no nested table, read without an HTML parser."""
    match = _LONE_TABLE.match(_NOISE.sub("", html))
    if match is None or "<table" in match.group(3):
        return None
    _, attributes, inner, after = match.groups()
    grid = build_grid(rows_from_html(inner))
    text = grid_markdown(grid)
    if not text:
        return None
    if caption := _CAPTION.search(inner):
        text = re.sub(r"<[^>]*>", "", caption.group(1)).strip() + "\n\n" + text
    stated = bool(after and SHAPE.match(after))
    text = _with_shape(text, grid, dataframe=_is_dataframe(attributes, inner), stated=stated)
    if after and after.strip():
        text += "\n\n" + after.strip()
    return text


def html_to_markdown(html: str) -> str:
    """Convert HTML to markdown a model reads: tables as markdown tables, the rest as text."""
    html = trim_long_tables(html)
    fast = _lone_table(html)
    if fast is not None:
        return fast
    from bs4 import BeautifulSoup

    text = _converter().convert_soup(BeautifulSoup(html, "html.parser"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def has_table(html: str) -> bool:
    """Whether the HTML holds a table (then it says more than any text/plain beside it)."""
    return "<table" in html or "<TABLE" in html
