"""A notebook resource's content: a compact markdown view of its cells and outputs, as the tools render them.

It is read from the live document when the notebook's collaboration room is open (what the person sees,
unsaved typing included) and from the file otherwise; reading never opens a room.
"""

from __future__ import annotations

import re
from typing import Any

from jupyter_core.utils import ensure_async

from ..notebooks import FileNotebook, LiveNotebook, Notebook
from ..options import Limits
from ..tools.cell_text import Budget, format_cell

MIME_TYPE = "text/markdown"
#: Characters of cell text in one view (~15k tokens): enough for most notebooks, never a flood.
MAX_VIEW_CHARS = 60_000

_BACKTICKS = re.compile(r"`{3,}")


async def open_for_reading(services: Any, path: str) -> Notebook | None:
    """The notebook at ``path``: its room's live document if a room is open, else its file; None if missing."""
    store = services.notebooks
    ext = store.rooms.extension
    if ext is not None and path in store.open_rooms():  # asked first: a lookup by path would index the path
        document = await ext.get_document(
            path=path, content_type="notebook", file_format="json", copy=False, create=False
        )
        if document is not None:
            return LiveNotebook(path, document)
    cm = store.contents_manager
    if not await ensure_async(cm.file_exists(path)):
        return None
    model = await ensure_async(cm.get(path, content=True, type="notebook"))
    return FileNotebook(path, dict(model["content"]), cm)


def _fence(text: str) -> str:
    """``text`` in a code fence longer than any backtick run inside it."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=2)
    bar = "`" * max(3, longest + 1)
    return f"{bar}\n{text}\n{bar}"


async def render(notebook: Notebook, limits: Limits, max_chars: int = MAX_VIEW_CHARS) -> str:
    """The markdown view: a title, one line about the notebook, then each cell as the tools show it, fenced."""
    total = len(notebook)
    kernel = (notebook.metadata().get("kernelspec") or {}).get("name")
    where = "live document (includes unsaved changes)" if notebook.live else "saved file"
    about = [f"{total} cell" + ("" if total == 1 else "s"), where]
    if kernel:
        about.append(f"kernel {kernel}")
    parts = [
        f"# {notebook.path}",
        " · ".join(about) + f'. Cell ids work with the notebook tools (pass path="{notebook.path}").',
    ]
    used = 0
    budget = Budget()
    for index in range(total):
        text, _images = await format_cell(
            notebook,
            index,
            notebook.cell(index),
            outputs="brief",
            max_source=limits.max_source_chars,
            max_output=limits.max_output_chars,
            max_image=limits.max_image_bytes,
            budget=budget,
        )
        if used and used + len(text) > max_chars:
            parts.append(
                f"[cells {index}-{total - 1} not shown: call read_notebook with "
                f'path="{notebook.path}" and start={index}]'
            )
            break
        used += len(text)
        parts.append(_fence(text))
    return "\n\n".join(parts) + "\n"
