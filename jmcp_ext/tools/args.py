"""Argument types and annotation presets shared by the tool modules."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.types import ToolAnnotations
from pydantic import Field

# --- annotations: what a client may assume about a tool (read-only mode keeps only read_only_hint=True) ---

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
#: Changes session state or starts a kernel, but no file: offered in read-only mode.
ATTACH = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
CREATE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
EDIT = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)
RUN = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=True)
CONTROL = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
#: Runs jmcp's own code on the kernel, only to read its state (nothing changes, nothing is written). Not
#: read-only: read-only mode promises that no code runs, and Jupyter counts any request as executing code.
INSPECT = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

# --- arguments ----------------------------------------------------------------------------------------

PathArg = Annotated[
    str | None,
    Field(description="Notebook path relative to the Jupyter root; omit to use this session's active notebook."),
]
CellArg = Annotated[
    int | str,
    Field(description="Cell index (0-based; negative counts from the end) or the cell's id (stable across moves)."),
]
CellType = Literal["code", "markdown", "raw"]
CellTypeArg = Annotated[CellType, Field(description="'code', 'markdown' or 'raw'.")]
IndexArg = Annotated[int | None, Field(description="Position of the new cell (0 = top, -1 = end); default: the end.")]
AfterCellArg = Annotated[str | None, Field(description="Insert right after the cell with this id.")]
TimeoutArg = Annotated[
    float | None,
    Field(gt=0, description="Seconds before the kernel is interrupted (default set by the server)."),
]
KernelArg = Annotated[
    str | None, Field(description="Kernel id (see list_kernels); default: the kernel of the notebook.")
]
ForceArg = Annotated[
    bool,
    Field(description="Do it even though someone else changed the cell since you last read it (their change is lost)."),
]
