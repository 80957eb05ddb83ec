"""Turn notebook outputs into what a model reads: text with ANSI codes stripped, bounded size, images."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp.types import ImageContent, TextContent

Content = TextContent | ImageContent
OutputMode = Literal["none", "brief", "full"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
BRIEF_CHARS = 200


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def truncate(text: str, limit: int, hint: str) -> str:
    """Keep the head and tail of ``text`` within ``limit`` characters, with a marker saying how to see more."""
    if limit <= 0 or len(text) <= limit:
        return text
    head = (limit * 2) // 3
    tail = limit - head
    cut = len(text) - head - tail
    marker = f"\n[... {cut:,} characters truncated; {hint} ...]\n"
    return text[:head] + marker + (text[-tail:] if tail else "")


@dataclass
class Rendered:
    """An output list rendered for the model."""

    text: str = ""
    images: list[ImageContent] = field(default_factory=list)

    def contents(self) -> list[Content]:
        blocks: list[Content] = []
        if self.text:
            blocks.append(TextContent(type="text", text=self.text))
        blocks.extend(self.images)
        return blocks


def _image(output: dict[str, Any], max_image_bytes: int, notes: list[str], hint: str) -> ImageContent | None:
    data = output.get("data", {})
    for mime in _IMAGE_TYPES:
        if mime in data:
            encoded = _text(data[mime]).replace("\n", "")
            size = len(encoded) * 3 // 4
            if size > max_image_bytes:
                notes.append(
                    f"[{mime} image of {size:,} bytes omitted: over the {max_image_bytes:,}-byte limit; "
                    f"{hint} with a larger max_image_bytes to get it]"
                )
                return None
            try:
                base64.b64decode(encoded, validate=True)
            except ValueError:
                notes.append(f"[{mime} image with invalid base64 data omitted]")
                return None
            return ImageContent(type="image", data=encoded, mime_type=mime)
    return None


def output_text(output: dict[str, Any]) -> str:
    """The plain-text form of one output (no images)."""
    kind = output.get("output_type")
    if kind == "stream":
        return strip_ansi(_text(output.get("text", "")))
    if kind == "error":
        traceback = "\n".join(strip_ansi(line) for line in output.get("traceback", []))
        header = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
        return traceback if header in traceback else f"{header}\n{traceback}".rstrip()
    data = output.get("data", {})
    if "text/plain" in data:
        return strip_ansi(_text(data["text/plain"]))
    if "text/markdown" in data:
        return _text(data["text/markdown"])
    kinds = ", ".join(sorted(k for k in data if k not in _IMAGE_TYPES))
    return f"[{kinds} output]" if kinds else ""


def render_outputs(
    outputs: list[dict[str, Any]],
    *,
    mode: OutputMode = "full",
    max_chars: int = 20_000,
    max_image_bytes: int = 1_000_000,
    hint: str = "call read_cell with a larger max_chars",
) -> Rendered:
    """Render a cell's outputs; ``brief`` keeps a short excerpt of text and counts images."""
    rendered = Rendered()
    if mode == "none" or not outputs:
        return rendered
    parts: list[str] = []
    notes: list[str] = []
    image_count = 0
    for output in outputs:
        kind = output.get("output_type")
        if kind == "execute_result":
            count = output.get("execution_count")
            text = output_text(output)
            if text:
                parts.append(f"Out[{count}]: {text}" if count is not None else text)
        else:
            text = output_text(output).rstrip("\n")
            if text:
                parts.append(text)
        if kind in ("display_data", "execute_result") and any(m in output.get("data", {}) for m in _IMAGE_TYPES):
            image_count += 1
            if mode == "full":
                image = _image(output, max_image_bytes, notes, hint)
                if image is not None:
                    rendered.images.append(image)
    text = "\n".join(parts)
    if mode == "brief":
        text = truncate(text, BRIEF_CHARS, "read_cell shows the full output")
        if image_count:
            text += f"\n[{image_count} image(s); read_cell returns them]"
    else:
        text = truncate(text, max_chars, hint)
        if notes:
            text += "\n" + "\n".join(notes)
    rendered.text = text.strip("\n")
    return rendered
