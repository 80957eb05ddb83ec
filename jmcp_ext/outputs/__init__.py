"""Turn notebook outputs into what a model reads, as JupyterLab shows them.

Modules: ``render`` (a cell's outputs as text and pictures), ``display`` (outputs under iopub messages),
``terminal`` (``\\r``/``\\b``), ``mime`` (which representation), ``html``/``tables``, ``plots``, ``widgets``,
``images``, ``errors``, ``paging``.
"""

from .display import Append, Change, Clear, OutputList, Replace, StreamEdit, output_from_message
from .errors import error_headline, error_text
from .paging import PatternError, page_text, search_text
from .render import (
    BRIEF_CHARS,
    MAX_RESULT_BYTES,
    Content,
    OutputMode,
    Rendered,
    last_line,
    output_text,
    outputs_text,
    render_outputs,
    truncate,
)
from .terminal import apply_terminal, strip_ansi
from .widgets import WidgetStates, widget_text

__all__ = [
    "BRIEF_CHARS",
    "MAX_RESULT_BYTES",
    "Append",
    "Change",
    "Clear",
    "Content",
    "OutputList",
    "OutputMode",
    "PatternError",
    "Rendered",
    "Replace",
    "StreamEdit",
    "WidgetStates",
    "apply_terminal",
    "error_headline",
    "error_text",
    "last_line",
    "output_from_message",
    "output_text",
    "outputs_text",
    "page_text",
    "render_outputs",
    "search_text",
    "strip_ansi",
    "truncate",
    "widget_text",
]
