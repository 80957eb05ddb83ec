"""Where each person is in a notebook: the cell their cursor or selection is in, read from the room's awareness.

JupyterLab publishes no "active cell"; a person's state in the notebook's room gets ``cursors`` after their first
click into an editor and follows clicks and selections (not typing). The cursor's ``head.type`` is the Yjs ID of
the cell's source text, which maps it to a cell.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pycrdt import Map, Text

from .identity import is_agent_state
from .positions import resolve, text_type_id


@dataclass(frozen=True)
class Focus:
    """One person's place in the notebook (offsets are code points into the cell's source)."""

    display_name: str
    username: str
    client_id: int
    cell_id: str
    cell_index: int
    offset: int | None
    selection: tuple[int, int] | None
    line: int | None
    column: int | None
    elsewhere: str | None = None

    def describe(self) -> str:
        """One line for a tool result."""
        where = f"cell {self.cell_id} (index {self.cell_index})"
        if self.selection is not None:
            start, end = self.selection
            text = f"{self.display_name} has characters {start}-{end} of {where} selected"
        elif self.line is not None:
            text = f"{self.display_name} is in {where}, line {self.line} column {self.column}"
        else:
            text = f"{self.display_name} is in {where}"
        if self.elsewhere:
            text += f" (but is now looking at {self.elsewhere})"
        return text


def _display_name(state: Mapping[str, Any]) -> tuple[str, str]:
    user = state.get("user")
    if not isinstance(user, dict):
        return "someone", ""
    name = user.get("display_name") or user.get("name") or user.get("username") or "someone"
    return str(name), str(user.get("username") or "")


def _key(type_id: Any) -> tuple[int, int] | None:
    if isinstance(type_id, dict) and isinstance(type_id.get("client"), int) and isinstance(type_id.get("clock"), int):
        return (type_id["client"], type_id["clock"])
    return None


def _line_column(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1


def people_focus(
    cells: Any,
    states: Mapping[int, Any],
    exclude: Collection[int] = (),
    *,
    path: str | None = None,
    current: Mapping[str, str] | None = None,
    ids: Sequence[str] | None = None,
) -> list[Focus]:
    """The focus of every person with a cursor in the notebook whose cells array is ``cells`` (``ynb.ycells``).

    ``states`` are the notebook room's awareness states; agents (and ``exclude`` ids) are skipped. With the
    notebook's ``path`` and ``current`` (``current_documents`` of the global room), a person whose front
    document is another one is marked ``elsewhere``: their cursor here is where they left it. Pass the notebook's
    cell ``ids`` in order (``LiveNotebook.ids()``) to avoid a scan of all cells on every call.
    """
    wanted: dict[tuple[int, int], list[tuple[int, Mapping[str, Any], dict[str, Any]]]] = {}
    for client_id, state in states.items():
        if client_id in exclude or not isinstance(state, Mapping) or is_agent_state(state):
            continue
        cursors = state.get("cursors")
        if not isinstance(cursors, list) or not cursors or not isinstance(cursors[0], dict):
            continue
        head = cursors[0].get("head")
        key = _key(head.get("type")) if isinstance(head, dict) else None
        if key is not None:
            wanted.setdefault(key, []).append((client_id, state, cursors[0]))
    if not wanted:
        return []
    found: list[Focus] = []
    for key, (index, ycell, source) in _locate(cells, set(wanted), ids).items():
        for client_id, state, entry in wanted[key]:
            found.append(_focus_in(index, ycell, source, client_id, state, entry, _elsewhere(state, path, current)))
    return sorted(found, key=lambda f: (f.cell_index, f.display_name))


Located = tuple[int, Map, Text]

# Per cells array, the source-text ID of every cell id: with the notebook's id list, finding the cell a cursor is
# in reads one cell instead of scanning them all (reading item i of a pycrdt Array walks from the start, so a scan
# costs about a second at 10,000 cells).
_SOURCE_IDS: weakref.WeakKeyDictionary[Any, dict[tuple[int, int], str]] = weakref.WeakKeyDictionary()


def _locate(cells: Any, keys: set[tuple[int, int]], ids: Sequence[str] | None) -> dict[tuple[int, int], Located]:
    found: dict[tuple[int, int], Located] = {}
    if ids is not None:
        known = _SOURCE_IDS.get(cells, {})
        for key in keys:
            hit = _cached(cells, key, known.get(key), ids)
            if hit is not None:
                found[key] = hit
    missing = keys - found.keys()
    if not missing:
        return found
    table = _SOURCE_IDS.setdefault(cells, {}) if ids is not None else {}
    for index, ycell in enumerate(cells):
        source = ycell.get("source") if isinstance(ycell, Map) else None
        if not isinstance(source, Text):
            continue
        text_key = _key(text_type_id(source))
        if text_key is None:
            continue
        table[text_key] = str(ycell.get("id", ""))
        if text_key in missing:
            found[text_key] = (index, ycell, source)
            missing.discard(text_key)
            if not missing:
                break
    return found


def _cached(cells: Any, key: tuple[int, int], cell_id: str | None, ids: Sequence[str]) -> Located | None:
    if cell_id is None or cell_id not in ids:
        return None
    index = ids.index(cell_id)
    if index >= len(cells):
        return None
    ycell = cells[index]
    source = ycell.get("source") if isinstance(ycell, Map) else None
    # The cache may be stale (a cell re-created under the same id): trust it only if the text still matches.
    if isinstance(source, Text) and _key(text_type_id(source)) == key:
        return (index, ycell, source)
    return None


def _elsewhere(state: Mapping[str, Any], path: str | None, current: Mapping[str, str] | None) -> str | None:
    _, username = _display_name(state)
    if path is None or current is None or not current.get(username):
        return None
    front = current[username]
    if front == f"notebook:{path}":
        return None
    return front.partition(":")[2] or front


def _focus_in(
    index: int,
    ycell: Map,
    source: Text,
    client_id: int,
    state: Mapping[str, Any],
    entry: dict[str, Any],
    elsewhere: str | None,
) -> Focus:
    name, username = _display_name(state)
    text = str(source)
    head = resolve(entry.get("head"), source)
    anchor = resolve(entry.get("anchor"), source)
    selection = None
    if head is not None and anchor is not None and head != anchor:
        selection = (min(head, anchor), max(head, anchor))
    line, column = _line_column(text, head) if head is not None else (None, None)
    return Focus(
        display_name=name,
        username=username,
        client_id=client_id,
        cell_id=str(ycell.get("id", "")),
        cell_index=index,
        offset=head,
        selection=selection,
        line=line,
        column=column,
        elsewhere=elsewhere,
    )


def current_documents(global_states: Mapping[int, Any]) -> dict[str, str]:
    """username -> the document each person has in front (``current`` in the global room), people only."""
    found: dict[str, str] = {}
    for state in global_states.values():
        if not isinstance(state, Mapping) or is_agent_state(state):
            continue
        _, username = _display_name(state)
        current = state.get("current")
        if username and isinstance(current, str):
            found[username] = current
    return found


def describe_focus(focus: list[Focus]) -> str:
    """A short sentence for tool results, empty when nobody has a cursor in the notebook."""
    return "; ".join(f.describe() for f in focus)
