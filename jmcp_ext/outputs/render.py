"""A cell's outputs rendered for a model: one text (bounded, pageable) and pictures that fit the client's limits."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp.types import ImageContent, TextContent

from .display import OutputList
from .errors import error_headline, error_text
from .images import RASTER, SVG, Picture, fit_pictures, read_picture, svg_text
from .mime import bundle_text, is_bare_repr, joined
from .terminal import strip_ansi
from .widgets import WidgetStates

Content = TextContent | ImageContent
OutputMode = Literal["none", "brief", "full"]

BRIEF_CHARS = 200
#: JSON bytes a whole result may take: the MCP Python SDK client refuses a server-sent event over 1 MiB
#: (1,048,576 bytes); the rest is margin for the caller's header, the JSON-RPC envelope and SSE framing.
MAX_RESULT_BYTES = 900_000
MAX_IMAGES = 20
DEFAULT_HINT = "page with offset={offset} or search with pattern"
_NOTES_RESERVE = 4_000


def truncate(text: str, limit: int, hint: str) -> str:
    """Keep the head and tail of ``text`` within ``limit`` characters, cut at line ends where possible.

    The marker says which characters and lines were left out and ``hint`` (where ``{offset}`` becomes the
    offset of the first character left out) says how to read them.
    """
    if limit <= 0 or len(text) <= limit:
        return text
    head = (limit * 2) // 3
    tail = limit - head
    head_end = text.rfind("\n", head // 2, head) + 1 or head
    tail_start = len(text) - tail
    newline = text.find("\n", tail_start, tail_start + tail // 2)
    tail_start = newline + 1 if newline >= 0 else tail_start
    first = text.count("\n", 0, head_end) + 1
    last = first + text.count("\n", head_end, tail_start - 1)
    lines = f"line {first:,}" if first == last else f"lines {first:,}-{last:,}"
    marker = (
        f"[... {tail_start - head_end:,} characters omitted ({lines}); {hint.replace('{offset}', str(head_end))} ...]"
    )
    before = "" if head_end == 0 or text[head_end - 1] == "\n" else "\n"
    after = "" if tail_start >= len(text) or text[tail_start - 1] == "\n" else "\n"
    return f"{text[:head_end]}{before}{marker}\n{after}{text[tail_start:]}"


@dataclass
class Rendered:
    """An output list rendered for the model."""

    text: str = ""
    images: list[ImageContent] = field(default_factory=list)


def output_text(output: dict[str, Any], *, widget_states: WidgetStates | None = None) -> str:
    """The text form of one output; a picture-only output gives ""."""
    kind = output.get("output_type")
    if kind == "stream":
        return strip_ansi(joined(output.get("text", "")))
    if kind == "error":
        return error_text(output)
    data = output.get("data") or {}

    def nested(inner: dict[str, Any]) -> str:  # the outputs an Output widget holds
        return output_text(inner, widget_states=widget_states)

    text = bundle_text(data, widget_states=widget_states, render_output=nested)
    if any(mime in data for mime in RASTER):
        return "" if is_bare_repr(text) else text
    if SVG in data and (not text.strip() or is_bare_repr(text)):
        return svg_text(joined(data[SVG]))
    return text


def _with_count(output: dict[str, Any], text: str) -> str:
    count = output.get("execution_count")
    if output.get("output_type") != "execute_result" or count is None:
        return text
    # A multi-line result (a table) starts on its own line so its header lines up with its rows.
    return f"Out[{count}]:\n{text}" if "\n" in text else f"Out[{count}]: {text}"


def _raster(output: dict[str, Any]) -> str | None:
    data = output.get("data") or {}
    return next((mime for mime in RASTER if mime in data), None)


def _full_pieces(outputs: list[dict[str, Any]], widget_states: WidgetStates | None) -> tuple[list[str], list[Picture]]:
    pieces: list[str] = []
    pictures: list[Picture] = []
    for output in OutputList.from_outputs(outputs).outputs:
        text = output_text(output, widget_states=widget_states).rstrip("\n")
        mime = _raster(output)
        if mime is not None:
            picture = read_picture(mime, output["data"][mime])
            if isinstance(picture, Picture):
                pictures.append(picture)
                marker = f"[image {len(pictures)}: {picture.describe()}]"
            else:
                marker = picture
            text = marker + ("\n" + text if text else "")
        if text:
            pieces.append(_with_count(output, text))
    return pieces, pictures


def outputs_text(outputs: list[dict[str, Any]], *, widget_states: WidgetStates | None = None) -> str:
    """The whole text of a cell's outputs, as ``render_outputs`` shows it before truncation (page or search it)."""
    return "\n".join(_full_pieces(outputs, widget_states)[0])


def _json_bytes(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode())


def _brief(outputs: list[dict[str, Any]], widget_states: WidgetStates | None) -> Rendered:
    pieces: list[str] = []
    images = 0
    for output in OutputList.from_outputs(outputs).outputs:
        if output.get("output_type") == "error":
            text = error_headline(output)
        else:
            text = output_text(output, widget_states=widget_states).rstrip("\n")
        images += _raster(output) is not None
        if text:
            pieces.append(_with_count(output, text))
    text = truncate("\n".join(pieces), BRIEF_CHARS, "read_cell shows the full output")
    if images:
        text += f"\n[{images} image{'s' if images > 1 else ''}; read_cell returns {'them' if images > 1 else 'it'}]"
    return Rendered(text=text.strip("\n"))


def render_outputs(
    outputs: list[dict[str, Any]],
    *,
    mode: OutputMode = "full",
    max_chars: int = 20_000,
    max_image_bytes: int = 1_000_000,
    hint: str = DEFAULT_HINT,
    max_result_bytes: int = MAX_RESULT_BYTES,
    max_images: int = MAX_IMAGES,
    widget_states: WidgetStates | None = None,
) -> Rendered:
    """Render a cell's outputs as JupyterLab shows them, for a model.

    ``brief`` keeps a short excerpt (errors as their headline) and counts pictures. ``full`` keeps up to
    ``max_chars`` of text (head and tail; ``hint`` says how to read the rest, see ``truncate``) and every
    picture (up to ``max_images``), each downscaled and re-encoded as needed so that text and pictures
    together stay within ``max_result_bytes`` of JSON; pictures are never dropped when a smaller one fits.
    ``widget_states`` (model id -> state, from the kernel) shows widgets as they are now.
    """
    if mode == "none" or not outputs:
        return Rendered()
    if mode == "brief":
        return _brief(outputs, widget_states)
    pieces, pictures = _full_pieces(outputs, widget_states)
    whole = "\n".join(pieces)
    text = truncate(whole, max_chars, hint)
    notes: list[str] = []
    if len(pictures) > max_images:
        notes.append(
            f"[images {max_images + 1}-{len(pictures)} left out: at most {max_images} pictures go in one result]"
        )
        pictures = pictures[:max_images]
    # Text first (it is small unless max_chars is huge), the pictures share what is left.
    text_cap = max_result_bytes // (2 if pictures else 1) - _NOTES_RESERVE
    size = _json_bytes(text)
    if size > text_cap:
        text = truncate(whole, max(1_000, int(len(text) * text_cap / size * 0.95)), hint)
        size = _json_bytes(text)
    rendered = Rendered()
    fitted = fit_pictures(pictures, max_result_bytes - size - _NOTES_RESERVE, max_image_bytes)
    for number, (picture, result) in enumerate(zip(pictures, fitted, strict=True), 1):
        if isinstance(result, str):
            notes.append(f"[image {number} ({picture.describe()}) left out: {result}]")
            continue
        rendered.images.append(result.content)
        if note := result.note(number):
            notes.append(note)
    rendered.text = "\n".join([text.strip("\n"), *notes]).strip("\n")
    return rendered


def last_line(outputs: list[dict[str, Any]], *, widget_states: WidgetStates | None = None) -> str:
    """The last line printed (a stream's current line, as a progress bar redraws it), for progress messages."""
    for output in reversed(OutputList.from_outputs(outputs).outputs):
        kind = output.get("output_type")
        if kind == "error":
            return error_headline(output)
        text = output_text(output, widget_states=widget_states)
        end = len(text)
        while end > 0:
            start = text.rfind("\n", 0, end) + 1
            line = text[start:end].strip()
            if line:
                return line[:200]
            end = start - 1
    return ""
