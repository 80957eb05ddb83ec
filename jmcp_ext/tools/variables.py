"""Tools that read the kernel's state without adding a cell: its variables, and one variable in detail."""

from __future__ import annotations

import re
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from ..errors import JmcpError
from ..kernels.inspection import inspect_variable as read_variable
from ..kernels.inspection import list_variables as read_variables
from ..outputs import truncate
from ..outputs.html import html_to_markdown
from .args import INSPECT, PathArg
from .context import Services, services_of
from .registry import tool

_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


async def _kernel(services: Services, ctx: Context, path: str | None) -> tuple[str, str]:
    api_path = services.notebook_path(ctx, path)
    return api_path, await services.kernels.kernel_for(api_path, start=False)


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _size(entry: dict[str, Any]) -> str:
    if "shape" in entry:
        return " x ".join(f"{n:,}" for n in entry["shape"]) or "scalar"
    return f"len {entry['len']:,}" if "len" in entry else ""


@tool(INSPECT)
async def list_variables(
    ctx: Context,
    path: PathArg = None,
    max_names: Annotated[int, Field(ge=1, le=1_000, description="List at most this many names.")] = 200,
) -> str:
    """List the kernel's variables (type, shape or length, dtype, short value); runs silently, adds no cell."""
    # A small read-only snippet runs as a silent request: no execution count, no history, nothing in the notebook.
    services = services_of(ctx)
    api_path, kernel_id = await _kernel(services, ctx, path)
    found = await read_variables(services.kernels, kernel_id, max_names=max_names)
    variables = found.get("variables") or []
    modules = found.get("modules") or []
    head = f"{len(variables)} variable(s) in the kernel of {api_path}"
    if modules:
        head += f" (modules: {', '.join(modules[:30])}{', ...' if len(modules) > 30 else ''})"
    if not variables:
        return head + ". Nothing defined yet."
    lines = [head + ":", "| name | type | shape/len | dtype | value |", "|---|---|---|---|---|"]
    # Data first, then the functions and classes defined or imported (each group by name).
    for entry in sorted(variables, key=lambda e: e.get("type") in ("function", "class")):
        row = [entry["name"], entry.get("type", ""), _size(entry), entry.get("dtype", ""), entry.get("repr", "")]
        lines.append("| " + " | ".join(_cell(part) for part in row) + " |")
    if found.get("more"):
        lines.append(f"[{found['more']} more: raise max_names to see them]")
    lines.append("inspect_variable(name) shows one in detail (for a DataFrame: dtypes, nulls, the first rows).")
    return truncate("\n".join(lines), services.limits.max_output_chars, "raise max_chars or lower max_names")


def _frame(info: dict[str, Any]) -> list[str]:
    rows, columns = info["shape"]
    lines = [f"{rows:,} rows x {columns:,} columns" + (f", {info['memory']:,} bytes" if "memory" in info else "")]
    lines.append(f"index: {info.get('index', '')}")
    lines += ["| column | dtype | nulls |", "|---|---|---|"]
    lines += [f"| {_cell(c['name'])} | {c['dtype']} | {c['nulls']:,} |" for c in info.get("columns", [])]
    if info.get("more_columns"):
        lines.append(f"[{info['more_columns']} more columns]")
    if info.get("head_html"):
        lines += ["first rows:", html_to_markdown(info["head_html"])]
    return lines


def _series(info: dict[str, Any]) -> list[str]:
    lines = [f"length {info['shape'][0]:,}, dtype {info['dtype']}, {info['nulls']:,} nulls, name {info['name']}"]
    lines += ["first values:", info.get("head", "")]
    if "describe" in info:
        lines += ["summary:", info["describe"]]
    if "top_values" in info:
        lines += ["most frequent:", info["top_values"]]
    return lines


def _other(info: dict[str, Any]) -> list[str]:
    kind = info.get("kind")
    if kind == "ndarray":
        lines = [f"shape {tuple(info['shape'])}, dtype {info['dtype']}, {info['size']:,} elements"]
        if "mean" in info:
            lines.append(f"min {info['min']:g}, max {info['max']:g}, mean {info['mean']:g} (NaN ignored)")
        return [*lines, info.get("repr", "")]
    if kind in ("function", "class"):
        return [info.get("signature", ""), info.get("doc", "") or "(no docstring)"]
    lines = [f"length {info['len']:,}"] if "len" in info else []
    lines.append(info.get("repr", "") + (" [...cut]" if info.get("repr_cut") else ""))
    if info.get("attributes"):
        lines.append("public attributes: " + ", ".join(info["attributes"]))
    return lines


@tool(INSPECT)
async def inspect_variable(
    ctx: Context,
    name: Annotated[str, Field(description="A variable name, or a dotted attribute path such as model.coef_.")],
    path: PathArg = None,
    rows: Annotated[int, Field(ge=1, le=100, description="Rows of a DataFrame or Series to show.")] = 5,
) -> str:
    """Show one kernel variable (DataFrame: shape, dtypes, nulls, first rows; else a bounded repr); adds no cell."""
    if not _NAME.match(name):
        raise JmcpError(
            f"{name!r} is not a variable name or dotted attribute path (such as df or model.coef_); "
            "use execute_code to evaluate an expression."
        )
    services = services_of(ctx)
    _, kernel_id = await _kernel(services, ctx, path)
    info = await read_variable(services.kernels, kernel_id, name, rows=rows)
    if "missing" in info:
        raise JmcpError(f"No variable {name!r} in the kernel ({info.get('error')}); list_variables shows the names.")
    lines = [f"{name}: {info.get('type', '?')}"]
    kind = info.get("kind")
    lines += _frame(info) if kind == "dataframe" else _series(info) if kind == "series" else _other(info)
    if info.get("error"):
        lines.append(f"[reading it failed part way: {info['error']}]")
    hint = f"page it with execute_code, e.g. print({name}[...])"
    return truncate("\n".join(line for line in lines if line), services.limits.max_output_chars, hint)
