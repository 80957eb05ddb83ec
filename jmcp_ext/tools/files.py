"""The tool that lists files under the Jupyter root."""

from __future__ import annotations

import fnmatch
from typing import Annotated

from jupyter_core.utils import ensure_async
from mcp.server.mcpserver import Context
from pydantic import Field

from ..errors import JmcpError
from .args import READ_ONLY
from .context import services_of
from .registry import tool

MAX_LISTED = 500


def shown_name(name: str) -> str:
    """A file name as text that can go out as JSON: undecodable bytes (surrogates) become ``\\udcXX``."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


@tool(READ_ONLY)
async def list_files(
    ctx: Context,
    path: Annotated[str, Field(description="Folder relative to the Jupyter root ('' for the root).")] = "",
    pattern: Annotated[
        str | None, Field(description="Glob on names or relative paths, e.g. '*.ipynb' or 'data/*.csv'.")
    ] = None,
    depth: Annotated[int, Field(ge=1, le=10, description="How many folder levels to descend.")] = 1,
) -> str:
    """List files and folders under a folder of the Jupyter root, optionally filtered by a glob."""
    services = services_of(ctx)
    api_path = services.api_path(path)
    cm = services.notebooks.contents_manager
    if not await ensure_async(cm.dir_exists(api_path)):
        raise JmcpError(f"Folder {path!r} does not exist under the Jupyter root; try list_files('').")
    rows: list[str] = []
    truncated = False

    async def walk(folder: str, level: int) -> None:
        nonlocal truncated
        model = await ensure_async(cm.get(folder, content=True, type="directory"))
        for entry in sorted(model["content"], key=lambda e: (e["type"] != "directory", e["name"])):
            rel = entry["path"]
            if pattern is None or fnmatch.fnmatch(entry["name"], pattern) or fnmatch.fnmatch(rel, pattern):
                if len(rows) >= MAX_LISTED:
                    truncated = True
                    return
                rows.append(_row(entry))
            if entry["type"] == "directory" and level < depth:
                await walk(entry["path"], level + 1)

    await walk(api_path, 1)
    if not rows:
        return f"No entries in {api_path or '/'}" + (f" matching {pattern!r}." if pattern else ".")
    if truncated:
        rows.append(f"[listing stopped at {MAX_LISTED} entries; narrow it with path or pattern]")
    return "\n".join(rows)


def _row(entry: dict[str, object]) -> str:
    size = entry.get("size")
    kind = str(entry["type"])
    suffix = "/" if kind == "directory" else ""
    detail = kind + (f", {size:,} bytes" if isinstance(size, int) else "")
    modified = str(entry.get("last_modified", ""))[:19]
    return f"{shown_name(str(entry['path']))}{suffix}  ({detail}, modified {modified})"
