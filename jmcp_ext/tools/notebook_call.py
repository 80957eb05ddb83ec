"""One tool call on one notebook, as a collaborator: opened with the session's origin, what others changed since its
previous call, stale-write checks, an undo step and a checkpoint before changes, and its cursor where it works.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcp.types import TextContent

from ..collab.changes import CONTENT_KINDS, ChangeTracker, tracker_for
from ..collab.digest import digest_since
from ..collab.guard import StaleCellError, refusal, stale_change
from ..collab.sessions import AgentSession
from ..collab.undo import SessionUndo, existing_undo, session_undo
from ..notebooks import LiveNotebook, Notebook
from ..notebooks.rooms import update_lock
from ..outputs import Content
from .cells import NOT_LIVE
from .context import Services, session_key

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

#: What a refusal checks per action: a person running a cell does not make its source stale, and so on.
SOURCE_KINDS = ("added", "edited")
OUTPUT_KINDS = ("added", "ran")

CHECKPOINT_NOTE = (
    "(jmcp saved a checkpoint of {path} before your first change to it: the person can go back with JupyterLab's "
    "File > Revert Notebook to Checkpoint; `undo` takes back your own changes one call at a time.)"
)
SESSIONLESS_NOTE = (
    "(This request has no MCP session: jmcp treats every sessionless caller named {name!r} as one collaborator, "
    "sharing its presence, change digest, read marks and undo history.)"
)


@dataclass
class NotebookCall:
    """What a tool works with during one call on a notebook."""

    services: Services
    agent: AgentSession
    path: str
    notebook: Notebook
    tracker: ChangeTracker | None
    #: Whether the call may write (a file-backend answer then says the change is not live).
    changing: bool = False
    digest: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def live(self) -> LiveNotebook | None:
        """The live notebook, or None on the file backend (no collaboration features there)."""
        return self.notebook if isinstance(self.notebook, LiveNotebook) else None

    def runner(self) -> Notebook:
        """The notebook as execution writes it: outputs and counts are not the session's undoable edits."""
        return self.notebook.with_origin(self.agent.origin.running())

    # --- stale-write checks ------------------------------------------------------------------------

    def check(self, indices: Iterable[int], action: str, kinds: Iterable[str] = CONTENT_KINDS) -> None:
        """Refuse ``action`` if someone else changed one of these cells after this session last read it."""
        if self.tracker is None:
            return
        kinds = tuple(kinds)
        marks = self.agent.read_marks(self.path)
        stale = []
        for index in indices:
            change = stale_change(self.tracker, marks, self.agent.key, self.notebook.cell_id(index), kinds)
            if change is not None:
                stale.append((index, change))
        if not stale:
            return
        index, change = stale[0]
        message = refusal(change, action, str(self.notebook.cell(index).get("source", "")))
        if len(stale) > 1:
            message += f"\nOther cells changed since you read them: {', '.join(c.cell_id for _, c in stale[1:])}."
        raise StaleCellError(message)

    def saw(self, indices: Iterable[int]) -> None:
        """The session has now seen these cells as they are (it read them, or wrote and was shown them)."""
        self.saw_cell_ids(self.notebook.cell_id(i) for i in indices)

    def saw_cell_ids(self, cell_ids: Iterable[str]) -> None:
        if self.tracker is not None:
            self.agent.read_marks(self.path).saw_cells(cell_ids)

    def saw_everything(self) -> None:
        if self.tracker is not None:
            self.agent.read_marks(self.path).saw_notebook()

    # --- presence ----------------------------------------------------------------------------------

    def point_at(self, index: int, offset: int | None = None) -> None:
        """Put the agent's cursor in cell ``index`` (at ``offset``, default the end of its source)."""
        live = self.live
        if live is None or not 0 <= index < len(live):
            return
        source = live.ynotebook.ycells[index].get("source")
        if source is None:
            return
        self.services.collab.show(self.agent, self.path, (source, len(str(source)) if offset is None else offset))

    def no_cursor(self) -> None:
        self.services.collab.hide_cursor(self.agent, self.path)

    def people(self) -> str:
        """Who else is in the notebook and where (empty on the file backend or when nobody is)."""
        live = self.live
        return self.services.collab.people(live) if live is not None else ""

    # --- undo --------------------------------------------------------------------------------------

    def history(self) -> SessionUndo | None:
        """This session's undo history in the notebook (None if it never changed it, or not live)."""
        live = self.live
        return existing_undo(live.ynotebook, self.agent.key) if live is not None else None

    # --- the answer --------------------------------------------------------------------------------

    def preamble(self) -> str:
        """The lines that open the tool's answer: what others changed, then notes."""
        return "\n".join([p for p in (self.digest, *self.notes) if p])

    def reply(self, text: str) -> str:
        """The tool's answer: the digest first, the text, and a warning when the edit was not live."""
        if self.changing and not self.notebook.live:
            text += NOT_LIVE
        head = self.preamble()
        return f"{head}\n{text}" if head else text

    def reply_blocks(self, blocks: list[Content]) -> list[Content]:
        """``reply`` for answers made of content blocks (the first text block gets the preamble)."""
        head = self.preamble()
        if not head:
            return blocks
        for position, block in enumerate(blocks):
            if isinstance(block, TextContent):
                blocks[position] = TextContent(type="text", text=f"{head}\n{block.text}")
                return blocks
        return [TextContent(type="text", text=head), *blocks]


@contextlib.asynccontextmanager
async def notebook_call(
    services: Services, ctx: Context[Any, Any] | None, path: str, *, change: bool = False, new_step: bool = True
) -> AsyncIterator[NotebookCall]:
    """Open ``path`` for one tool call as the calling session.

    ``change``: the call may write (the room stays open meanwhile); with ``new_step`` the session's first change
    to the notebook is preceded by a checkpoint, and the call's writes become one undo step.
    """
    collab = services.collab
    key = session_key(ctx)
    agent = collab.agent(ctx, key)
    store = services.notebooks
    # Counted as under way from here: an agent running a long cell is not idle.
    with collab.agents.calling(agent):
        opening = store.editing(path, agent.origin) if change else _opened(store.open(path, agent.origin))
        async with opening as notebook:
            yield await _begin(services, agent, key, path, notebook, change=change, new_step=new_step)


async def _begin(
    services: Services,
    agent: AgentSession,
    key: str | None,
    path: str,
    notebook: Notebook,
    *,
    change: bool,
    new_step: bool,
) -> NotebookCall:
    """What happens before the tool's own work: digest, presence, and for a change a checkpoint and an undo step."""
    collab = services.collab
    call = NotebookCall(services, agent, path, notebook, None, changing=change)
    if key is None and agent.calls == 1:
        call.notes.append(SESSIONLESS_NOTE.format(name=agent.who.display_name))
    if isinstance(notebook, LiveNotebook):
        room = services.notebooks.rooms.live_room(path)
        call.tracker = tracker_for(notebook.ynotebook, reload_lock=update_lock(room))
        call.digest = digest_since(call.tracker, agent.key)
        collab.show(agent, path)
    if change and new_step:
        if await collab.checkpoint_before_first_change(agent, path):
            call.notes.append(CHECKPOINT_NOTE.format(path=path))
        if call.tracker is not None and isinstance(notebook, LiveNotebook):
            session_undo(notebook.ynotebook, agent.origin, call.tracker).next_step()
    return call


@contextlib.asynccontextmanager
async def _opened(opening: Any) -> AsyncIterator[Notebook]:
    yield await opening
