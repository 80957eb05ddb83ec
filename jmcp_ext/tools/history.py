"""Tools that take back this session's own changes to a notebook, one tool call at a time, and put them back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from ..collab.undo import SessionUndo, UndoResult
from ..errors import JmcpError
from .args import DESTRUCTIVE, PathArg
from .context import services_of
from .notebook_call import NotebookCall, notebook_call
from .registry import tool

NOT_LIVE = (
    "Undo needs real-time collaboration (jupyter-collaboration), which is off on this server: jmcp keeps no "
    "history of file edits. Change the cells back with the editing tools instead."
)


@tool(DESTRUCTIVE)
async def undo(
    ctx: Context,
    path: PathArg = None,
    force: Annotated[
        bool, Field(description="Also remove cells you added that others have typed into since (their text goes).")
    ] = False,
) -> str:
    """Take back your own latest change here (one tool call = one step; repeat to go back); others' edits stay."""
    return await _take_step(ctx, path, "Undid", lambda history: history.undo(force))


@tool(DESTRUCTIVE)
async def redo(
    ctx: Context,
    path: PathArg = None,
    force: Annotated[
        bool,
        Field(description="Also delete again cells your undo brought back that others have typed into since."),
    ] = False,
) -> str:
    """Put back the change your last undo took back (repeat to redo further)."""
    return await _take_step(ctx, path, "Redid", lambda history: history.redo(force))


async def _take_step(ctx: Context, path: str | None, verb: str, step: Callable[[SessionUndo], UndoResult]) -> str:
    """Undo or redo one step of the session's own history in the notebook, and say what it did."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path, change=True, new_step=False) as call:
        history = _history(call)
        result = step(history) if history is not None else UndoResult(False, [], 0)
        _point_at_changes(call, result)
        text = result.describe(verb, call.tracker.index_of if call.tracker else lambda _: None)
    return call.reply(text)


def _history(call: NotebookCall) -> SessionUndo | None:
    if call.live is None:
        raise JmcpError(NOT_LIVE)
    return call.history()


def _point_at_changes(call: NotebookCall, result: UndoResult) -> None:
    if call.tracker is None:
        return
    for change in result.changes:
        index = call.tracker.index_of(change.cell_id)
        if index is not None:
            call.point_at(index)
            return
