"""Cells as the model reads them: a header, the source, the outputs; or one outline line; within one result's size."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..notebooks import Notebook
from ..outputs import (
    MAX_RESULT_BYTES,
    Content,
    OutputMode,
    WidgetStates,
    error_headline,
    last_line,
    output_text,
    truncate,
)
from ..outputs.images import BLOCK_OVERHEAD, RASTER
from ..outputs.render import MAX_IMAGES
from .runs import render

#: Below this many bytes left, later cells show brief outputs only.
_BRIEF_BELOW = 60_000
OUTLINE_CHARS = 80


@dataclass
class Budget:
    """What is left of one result: JSON bytes (text and pictures together) and pictures."""

    bytes: int = MAX_RESULT_BYTES
    images: int = MAX_IMAGES

    def spend(self, text: str, images: list[Content]) -> None:
        self.bytes -= len(json.dumps(text, ensure_ascii=False).encode()) + 16
        for image in images:
            self.bytes -= len(getattr(image, "data", "")) + BLOCK_OVERHEAD
        self.images -= len(images)

    def fits(self, text: str) -> bool:
        return len(json.dumps(text, ensure_ascii=False).encode()) + 16 <= self.bytes


def cell_header(notebook: Notebook, index: int, cell: dict[str, Any]) -> str:
    kind = cell.get("cell_type", "code")
    parts = [f"cell {index}", kind, f"id={cell.get('id') or notebook.cell_id(index)}"]
    if kind == "code":
        count = cell.get("execution_count")
        parts.append(f"execution_count={count if count is not None else '-'}")
    return "--- " + " · ".join(parts)


def source_of(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


async def format_cell(
    notebook: Notebook,
    index: int,
    cell: dict[str, Any],
    *,
    outputs: OutputMode,
    max_source: int,
    max_output: int,
    max_image: int,
    budget: Budget,
    widget_states: WidgetStates | None = None,
) -> tuple[str, list[Content]]:
    """One cell as text (header, source, outputs) plus its pictures, within what is left of ``budget``."""
    lines = [
        cell_header(notebook, index, cell),
        truncate(source_of(cell), max_source, f"read_cell({index}) shows it all"),
    ]
    images: list[Content] = []
    if cell.get("cell_type") == "code" and outputs != "none" and cell.get("outputs"):
        mode: OutputMode = "brief" if outputs == "full" and budget.bytes < _BRIEF_BELOW else outputs
        rendered = await render(
            cell["outputs"],
            mode=mode,
            max_chars=max_output,
            max_image_bytes=max_image,
            hint=(
                f"read the rest with read_cell({index}, offset={{offset}}) or search it with "
                f"read_cell({index}, pattern=...)"
            ),
            max_result_bytes=max(1_000, budget.bytes - 2 * len("\n".join(lines)) - 1_000),
            max_images=max(0, budget.images),
            widget_states=widget_states,
        )
        if rendered.text:
            lines.append(">>> output:")
            lines.append(rendered.text)
        images.extend(rendered.images)
    text = "\n".join(lines)
    budget.spend(text, images)
    return text, images


def _one_line(text: str, limit: int = OUTLINE_CHARS) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def output_summary(outputs: list[dict[str, Any]], widget_states: WidgetStates | None = None) -> str:
    """A few words on a cell's outputs: the error; else the last line printed, a display's first line or a
    table's shape; and how many pictures."""
    if not outputs:
        return ""
    pictures = sum(1 for o in outputs if any(mime in (o.get("data") or {}) for mime in RASTER))
    error = next((o for o in outputs if o.get("output_type") == "error"), None)
    if error is not None:
        said = error_headline(error)
    elif outputs[-1].get("output_type") == "stream":
        said = last_line(outputs, widget_states=widget_states)
    else:
        lines = [line for line in output_text(outputs[-1], widget_states=widget_states).splitlines() if line.strip()]
        said = (lines[-1] if lines[0].startswith("|") else lines[0]) if lines else last_line(outputs)
    parts = [_one_line(said, 100)] if said else []
    if pictures:
        parts.append(f"{pictures} image{'s' if pictures > 1 else ''}")
    return "; ".join(parts) or f"{len(outputs)} output(s)"


def outline_line(
    notebook: Notebook, index: int, cell: dict[str, Any], widget_states: WidgetStates | None = None
) -> str:
    """One line: index, id, type (and execution count), the source's first line, what the outputs say."""
    kind = cell.get("cell_type", "code")
    cell_id = cell.get("id") or notebook.cell_id(index)
    tag = kind
    if kind == "code":
        count = cell.get("execution_count")
        tag = f"code [{count if count is not None else ' '}]"
    source = source_of(cell)
    first = _one_line(source) or "(empty)"
    more = source.count("\n") + 1 if source else 0
    first += f" (+{more - 1} lines)" if more > 1 else ""
    said = output_summary(cell.get("outputs") or [], widget_states) if kind == "code" else ""
    return f"{index:>3} {cell_id} {tag}: {first}" + (f"  => {said}" if said else "")


def edited_region(source: str, spans: list[tuple[int, int]], *, around: int = 2, max_regions: int = 3) -> str:
    """The lines around each edited span (start, end offsets in ``source``), numbered, edited lines marked ``>``."""
    blocks: list[tuple[int, int, set[int]]] = []  # first line, last line, edited lines (0-based)
    for start, end in spans:
        first = source.count("\n", 0, start)
        last = source.count("\n", 0, max(start, end - 1)) if end > start else first
        edited = set(range(first, last + 1))
        low, high = max(0, first - around), last + around
        if blocks and low <= blocks[-1][1] + 1:
            previous = blocks[-1]
            blocks[-1] = (previous[0], max(previous[1], high), previous[2] | edited)
        else:
            blocks.append((low, high, edited))
    lines = source.split("\n")
    width = len(str(min(len(lines), max((b[1] for b in blocks), default=0) + 1)))
    out: list[str] = []
    for number, (low, high, edited) in enumerate(blocks):
        if number == max_regions:
            out.append(f"[{len(blocks) - max_regions} more edited region(s)]")
            break
        if out:
            out.append("...")
        for line in range(low, min(high, len(lines) - 1) + 1):
            mark = ">" if line in edited else " "
            out.append(f"{mark}{line + 1:>{width}}| {lines[line]}")
    return "\n".join(out)
