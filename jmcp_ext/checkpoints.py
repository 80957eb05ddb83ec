"""Make JupyterLab's File > Revert Notebook to Checkpoint work while the notebook is open with collaboration on.

JupyterLab reverts by asking the server to restore the checkpoint (the file is copied back, keeping the
checkpoint's older mtime) and then reloading the document, which collaborative JupyterLab answers from the room.
The room reloads only on a newer mtime, so the tab keeps the old content and the next autosave writes it back over
the restored file: the revert is silently lost. Jupyter emits no event for a restore, so this server's contents
manager has its ``restore_checkpoint`` wrapped: once the file is restored, the checkpoint is applied to the open
room's document in one transaction (cells reused by id, sources changed with small edits), which every tab shows
at once and autosave keeps.
"""

from __future__ import annotations

import inspect
from logging import Logger
from typing import Any

from jupyter_core.utils import ensure_async

from .collab.identity import AgentOrigin

#: Marks the wrapper, so installing twice is harmless.
WRAPPED = "_jmcp_live_revert"
#: The origin of the revert's transaction: agents' change digests name it like a collaborator.
REVERT_ORIGIN = AgentOrigin("jupyterlab:revert", "JupyterLab's Revert to Checkpoint")


def install_live_revert(serverapp: Any, log: Logger) -> bool:
    """Wrap the server's ``contents_manager.restore_checkpoint``; False if it is synchronous or already wrapped."""
    contents_manager = serverapp.contents_manager
    original = contents_manager.restore_checkpoint
    if getattr(original, WRAPPED, False):
        return False
    if not inspect.iscoroutinefunction(original):
        # A synchronous contents manager has synchronous callers: an async wrapper would break them.
        log.info("jmcp: %s is synchronous; reverting an open notebook stays as Jupyter does it", contents_manager)
        return False

    async def restore_checkpoint(checkpoint_id: str, path: str) -> None:
        await original(checkpoint_id, path)
        try:
            await show_restored(serverapp, path)
        except Exception:  # the file is restored either way; the open tabs just do not show it
            log.exception("jmcp could not apply the restored checkpoint of %s to its open room", path)

    setattr(restore_checkpoint, WRAPPED, True)
    contents_manager.restore_checkpoint = restore_checkpoint
    return True


async def show_restored(serverapp: Any, path: str) -> bool:
    """Apply the restored file to the notebook's open room; False if no room is open (nothing to do)."""
    path = path.strip("/")  # the REST handler passes the URL's path, with its leading slash
    if not path.endswith(".ipynb"):
        return False
    # Imported here: the extension installs this wrapper at load, and the notebooks package reaches the MCP SDK
    # (its tool error type), which a plain `jupyter lab` must not import until /mcp is used (runtime.py).
    from .notebooks.rooms import restored_room, update_lock

    found = await restored_room(serverapp, path)
    if found is None:
        return False
    room, document = found
    model = await ensure_async(serverapp.contents_manager.get(path, content=True, type="notebook"))
    async with update_lock(room):
        pass  # let a reload from disk under way finish first; nothing awaits between here and the change
    from .collab.checkpoint import apply_notebook
    from .collab.undo import drop_notebook

    drop_notebook(document)  # agents' undo steps would interleave with the revert's edits
    apply_notebook(document, model["content"], REVERT_ORIGIN)
    return True
