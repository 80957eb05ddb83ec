"""Where the displays that jmcp ran cells to show are, so that later updates of a display id reach them.

JupyterLab's kernel connection remembers which execute requests showed each display id and hands them every
later ``update_display_data`` (or ``display_data`` with that id) from any request, for as long as the cell's
request lives: until the cell runs again. Outputs in the notebook do not carry their display ids (nbformat
drops ``transient``), so this keeps, per kernel, the cells and output positions jmcp wrote each id to, with
the output as written: an update is applied only while that output is still there unchanged (a person who
cleared or re-ran the cell in the browser ends the link, as the output area forgets its ids when cleared).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Output = dict[str, Any]


@dataclass
class Shown:
    """One output showing a display id: the notebook, the cell (by id), the output's position, what it holds."""

    path: str
    cell_id: str
    index: int
    output: Output


def same_output(a: Output, b: Output) -> bool:
    """Whether two outputs show the same thing (the fields a live document may round-trip differently aside)."""
    return a.get("output_type") == b.get("output_type") and a.get("data") == b.get("data")


class Displays:
    """The displays of one kernel that jmcp's runs showed, by display id."""

    def __init__(self) -> None:
        self._by_id: dict[str, list[Shown]] = {}

    def __len__(self) -> int:
        return sum(len(shown) for shown in self._by_id.values())

    def forget_cell(self, path: str, cell_id: str) -> None:
        """The cell runs again: its earlier displays no longer follow updates (JupyterLab disposes its request)."""
        for display_id in list(self._by_id):
            kept = [s for s in self._by_id[display_id] if (s.path, s.cell_id) != (path, cell_id)]
            if kept:
                self._by_id[display_id] = kept
            else:
                del self._by_id[display_id]

    def remember(self, path: str, cell_id: str, outputs: list[Output], display_ids: dict[str, list[int]]) -> None:
        """Record the displays a finished run of a cell left in its outputs."""
        for display_id, indices in display_ids.items():
            shown = self._by_id.setdefault(display_id, [])
            for index in indices:
                if 0 <= index < len(outputs):
                    shown.append(Shown(path, cell_id, index, dict(outputs[index])))

    def shown(self, display_id: str, path: str, *, besides: str | None = None) -> list[Shown]:
        """The outputs showing ``display_id`` in the notebook ``path``, except in the cell ``besides``."""
        return [s for s in self._by_id.get(display_id, []) if s.path == path and s.cell_id != besides]

    def clear(self) -> None:
        """The kernel restarted: no earlier display can be updated any more."""
        self._by_id.clear()
