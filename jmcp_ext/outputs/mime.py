"""Pick the most informative text a model can read from an output's mime bundle."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .html import has_table, html_to_markdown
from .images import RASTER, SVG
from .plots import PLOTLY, plotly_summary
from .terminal import strip_ansi
from .widgets import WIDGET, WidgetStates, widget_text

MARKDOWN = "text/markdown"
LATEX = "text/latex"
JSON = "application/json"
HTML = "text/html"
PLAIN = "text/plain"

# IPython's default repr: "<IPython.core.display.Markdown object>", "<pandas...Styler at 0x7f...>".
_PLACEHOLDER = re.compile(r"\A<[^\n<>]*(?: object(?: at 0x[0-9a-fA-F]+)?| at 0x[0-9a-fA-F]+)>\Z")
_BARE_REPR = re.compile(r"\A<[^\n]*>\Z")


def joined(value: Any) -> str:
    """nbformat stores multi-line strings as lists of lines."""
    return "".join(value) if isinstance(value, list) else str(value)


def is_placeholder(text: str) -> bool:
    """Whether a text/plain is Python's default repr (``<... object>``, ``<... at 0x...>``): it says nothing."""
    return bool(_PLACEHOLDER.match(text.strip()))


def is_bare_repr(text: str) -> bool:
    """A one-line ``<...>`` repr, such as matplotlib's ``<Figure size 640x480 with 1 Axes>`` beside its picture."""
    return bool(_BARE_REPR.match(text.strip()))


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def bundle_text(
    data: Mapping[str, Any],
    *,
    widget_states: WidgetStates | None = None,
    render_output: Callable[[dict[str, Any]], str] | None = None,
) -> str:
    """The text of a mime bundle (pictures aside): the most informative representation a model can read.

    Order: a plotly summary, a widget's current state, markdown, LaTeX, JSON, then HTML converted to markdown
    when it holds a table or the plain text is only a ``<... object>`` placeholder, then plain text. HTML
    whose plain text is a real repr (an sklearn estimator, an xarray Dataset) keeps the plain text: those
    libraries write both, and their HTML is the interactive version of the same content.
    """
    if PLOTLY in data:
        return plotly_summary(data[PLOTLY])
    plain = strip_ansi(joined(data.get(PLAIN, "")))
    if WIDGET in data:
        view = data[WIDGET]
        model_id = str(view.get("model_id", "")) if isinstance(view, Mapping) else ""
        return widget_text(model_id, widget_states, fallback=plain, render_output=render_output)
    for mime in (MARKDOWN, LATEX):
        if mime in data and joined(data[mime]).strip():
            return joined(data[mime]).strip("\n")
    if JSON in data:
        return _json_text(data[JSON])
    html = joined(data.get(HTML, ""))
    if html.strip() and (not plain.strip() or is_placeholder(plain) or has_table(html)):
        converted = html_to_markdown(html)
        if converted.strip():
            return converted
    if plain.strip():
        return plain
    others = sorted(m for m in data if m not in RASTER and m != SVG and m != PLAIN)
    return f"[{', '.join(others)} output]" if others else ""
