"""Tools that find, open and read notebooks and files."""

from __future__ import annotations

import fnmatch
from typing import Annotated, Any

from jupyter_core.utils import ensure_async
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from ..errors import JMCPError
from ..notebooks import Notebook, empty_notebook
from ..outputs import Content, OutputMode, render_outputs, truncate
from .context import Services, resolve_cell

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
MAX_LISTED = 500

PathArg = Annotated[
    str | None,
    Field(description="Notebook path relative to the Jupyter root; omit to use this session's active notebook."),
]
CellArg = Annotated[
    int | str,
    Field(description="Cell index (0-based; negative counts from the end) or the cell's id (stable across moves)."),
]


def shown_name(name: str) -> str:
    """A file name as text that can go out as JSON: undecodable bytes (surrogates) become ``\\udcXX``."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def cell_header(notebook: Notebook, index: int, cell: dict[str, Any]) -> str:
    kind = cell.get("cell_type", "code")
    parts = [f"cell {index}", kind, f"id={cell.get('id') or notebook.cell_id(index)}"]
    if kind == "code":
        count = cell.get("execution_count")
        parts.append(f"execution_count={count if count is not None else '-'}")
    return "--- " + " · ".join(parts)


def format_cell(
    notebook: Notebook, index: int, *, outputs: OutputMode, max_source: int, max_output: int, max_image: int
) -> tuple[str, list[Content]]:
    cell = notebook.cell(index)
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    lines = [
        cell_header(notebook, index, cell),
        truncate(source, max_source, f"read_cell({index}) shows it all"),
    ]
    images: list[Content] = []
    if cell.get("cell_type") == "code" and outputs != "none" and cell.get("outputs"):
        rendered = render_outputs(
            cell["outputs"],
            mode=outputs,
            max_chars=max_output,
            max_image_bytes=max_image,
            hint=f"call read_cell({index}, max_chars=...) for more",
        )
        if rendered.text:
            lines.append(">>> output:")
            lines.append(rendered.text)
        images.extend(rendered.images)
    return "\n".join(lines), images


def register(server: MCPServer, services: Services) -> None:
    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def list_files(
        path: Annotated[str, Field(description="Folder relative to the Jupyter root ('' for the root).")] = "",
        pattern: Annotated[
            str | None, Field(description="Glob on names or relative paths, e.g. '*.ipynb' or 'data/*.csv'.")
        ] = None,
        depth: Annotated[int, Field(ge=1, le=10, description="How many folder levels to descend.")] = 1,
    ) -> str:
        """List files and folders under a folder of the Jupyter root, optionally filtered by a glob."""
        api_path = services.api_path(path)
        cm = services.notebooks.contents_manager
        if not await ensure_async(cm.dir_exists(api_path)):
            raise JMCPError(f"Folder {path!r} does not exist under the Jupyter root; try list_files('').")
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
                    size = entry.get("size")
                    kind = entry["type"]
                    suffix = "/" if kind == "directory" else ""
                    detail = f"{kind}" + (f", {size:,} bytes" if isinstance(size, int) else "")
                    rows.append(
                        f"{shown_name(rel)}{suffix}  ({detail}, modified {str(entry.get('last_modified', ''))[:19]})"
                    )
                if entry["type"] == "directory" and level < depth:
                    await walk(entry["path"], level + 1)

        await walk(api_path, 1)
        if not rows:
            return f"No entries in {api_path or '/'}" + (f" matching {pattern!r}." if pattern else ".")
        if truncated:
            rows.append(f"[listing stopped at {MAX_LISTED} entries; narrow it with path or pattern]")
        return "\n".join(rows)

    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def list_notebooks(ctx: Context) -> str:
        """List notebooks that are open (a kernel session or a live room) and this session's active notebook."""
        sessions = await services.kernels.session_manager.list_sessions()
        by_path: dict[str, list[str]] = {}
        for session in sessions:
            if session.get("type") == "notebook" or str(session.get("path", "")).endswith(".ipynb"):
                kernel = session.get("kernel") or {}
                by_path.setdefault(session["path"], []).append(
                    f"kernel {kernel.get('name')} {kernel.get('id')} ({kernel.get('execution_state')})"
                )
        for path in services.notebooks.open_rooms():
            by_path.setdefault(path, [])
        active = services.active_for(ctx)
        lines = []
        for path in sorted(by_path):
            mark = "  <- active" if path == active else ""
            lines.append(f"{path}: {', '.join(by_path[path]) or 'no kernel'}{mark}")
        if active and active not in by_path:
            lines.append(f"{active}: no kernel  <- active")
        if not lines:
            return "No open notebooks. Use list_files to find one, then use_notebook."
        header = f"Active notebook: {active}" if active else "No active notebook (call use_notebook)."
        return header + "\n" + "\n".join(lines)

    @server.tool(annotations=ToolAnnotations(destructive_hint=False, open_world_hint=False), structured_output=False)
    async def create_notebook(
        path: Annotated[str, Field(description="New notebook path relative to the Jupyter root, ending in .ipynb.")],
        ctx: Context,
        kernel_name: Annotated[
            str | None,
            Field(description="Kernel spec name (see list_kernels); default: the server's default."),
        ] = None,
    ) -> str:
        """Create an empty notebook and make it this session's active notebook."""
        api_path = services.api_path(path)
        if not api_path.endswith(".ipynb"):
            raise JMCPError(f"{path!r} does not end in .ipynb; notebooks need that extension.")
        if await services.notebooks.exists(api_path):
            raise JMCPError(f"{api_path!r} already exists; call use_notebook to work on it.")
        parent = api_path.rsplit("/", 1)[0] if "/" in api_path else ""
        if parent and not await ensure_async(services.notebooks.contents_manager.dir_exists(parent)):
            raise JMCPError(f"Folder {parent!r} does not exist; create it first or choose another path.")
        specs = await services.kernels.kernel_specs()
        name = kernel_name or services.kernels.kernel_manager.default_kernel_name
        if name not in specs:
            raise JMCPError(f"Unknown kernel {name!r}; available: {', '.join(sorted(specs))}.")
        await services.notebooks.create(api_path, empty_notebook(name, specs[name]))
        if services.notebooks.rtc_available:
            # Loading an empty notebook into a room adds one blank cell; take it out so the agent's first
            # insert_cell becomes cell 0.
            async with services.notebooks.editing(api_path) as notebook:
                if len(notebook) == 1 and not notebook.cell(0).get("source"):
                    notebook.delete([0])
        services.set_active(ctx, api_path)
        return f"Created {api_path} (kernel {name}); it is now this session's active notebook."

    @server.tool(annotations=ToolAnnotations(destructive_hint=False, open_world_hint=False), structured_output=False)
    async def use_notebook(
        path: Annotated[str, Field(description="Notebook path relative to the Jupyter root.")],
        ctx: Context,
        kernel_name: Annotated[
            str | None, Field(description="Kernel spec to start if the notebook has no kernel yet.")
        ] = None,
        start_kernel: Annotated[bool, Field(description="Attach to or start the notebook's kernel now.")] = True,
    ) -> str:
        """Make a notebook this session's active one (later calls may omit path) and attach to its kernel."""
        api_path = services.notebook_path(ctx, path)
        notebook = await services.notebooks.open(api_path)
        remembered = services.set_active(ctx, api_path)
        lines = [
            f"Active notebook: {api_path} ({len(notebook)} cells)."
            if remembered
            else f"Notebook {api_path} ({len(notebook)} cells). This connection has no session: "
            "pass path on every call."
        ]
        if start_kernel:
            existing = await services.kernels.session_for(api_path)
            spec = notebook.metadata().get("kernelspec", {}).get("name")
            kernel_id = await services.kernels.kernel_for(api_path, kernel_name=kernel_name or spec)
            how = "attached to the kernel JupyterLab uses" if existing else "started a new kernel"
            lines.append(f"Kernel {kernel_id}: {how}.")
        lines.append(services.notebooks.rtc_detail().capitalize() + ".")
        return "\n".join(lines)

    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def read_notebook(
        ctx: Context,
        path: PathArg = None,
        start: Annotated[int, Field(ge=0, description="Index of the first cell to return.")] = 0,
        limit: Annotated[int, Field(ge=1, le=500, description="How many cells to return.")] = 20,
        outputs: Annotated[
            OutputMode, Field(description="'none', 'brief' (short excerpt, image count) or 'full'.")
        ] = "brief",
    ) -> list[Content]:
        """Read a page of a notebook's cells: ids, sources and outputs (read further pages with start)."""
        api_path = services.notebook_path(ctx, path)
        notebook = await services.notebooks.open(api_path)
        total = len(notebook)
        end = min(total, start + limit)
        limits = services.limits
        blocks: list[Content] = []
        texts = [
            f"{api_path}: {total} cells; showing {start}-{end - 1 if end else start}."
            if start < total
            else f"{api_path}: {total} cells; start={start} is past the end."
        ]
        for index in range(start, end):
            text, images = format_cell(
                notebook,
                index,
                outputs=outputs,
                max_source=limits.max_source_chars,
                max_output=limits.max_output_chars,
                max_image=limits.max_image_bytes,
            )
            texts.append(text)
            blocks.extend(images)
        if end < total:
            texts.append(f"[{total - end} more cells: call read_notebook(start={end})]")
        from mcp.types import TextContent

        return [TextContent(type="text", text="\n".join(texts)), *blocks]

    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def read_cell(
        cell: CellArg,
        ctx: Context,
        path: PathArg = None,
        max_chars: Annotated[int, Field(ge=100, description="Limit for source and for output text.")] = 20_000,
        max_image_bytes: Annotated[int | None, Field(description="Images larger than this are omitted.")] = None,
    ) -> list[Content]:
        """Read one cell: its source and all its outputs, with images as image content."""
        api_path = services.notebook_path(ctx, path)
        notebook = await services.notebooks.open(api_path)
        index = resolve_cell(notebook, cell)
        text, images = format_cell(
            notebook,
            index,
            outputs="full",
            max_source=max_chars,
            max_output=max_chars,
            max_image=max_image_bytes or services.limits.max_image_bytes,
        )
        from mcp.types import TextContent

        return [TextContent(type="text", text=text), *images]
