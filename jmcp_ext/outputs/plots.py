"""Plotly figures (``application/vnd.plotly.v1+json``) summarised: title, traces with point counts, axis titles."""

from __future__ import annotations

import array
import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

PLOTLY = "application/vnd.plotly.v1+json"

# Typed arrays plotly.py (>= 6) writes for numpy data: {"dtype": "f8", "bdata": base64, "shape": "3, 4"}.
_TYPECODES = {"i1": "b", "u1": "B", "i2": "h", "u2": "H", "i4": "i", "u4": "I", "f4": "f", "f8": "d"}
_ITEMSIZE = {"i1": 1, "u1": 1, "i2": 2, "u2": 2, "i4": 4, "u4": 4, "f4": 4, "f8": 8, "i8": 8, "u8": 8}
# Where a trace's points live, by trace type (first present wins).
_POINT_KEYS = ("x", "y", "values", "labels", "r", "theta", "lat", "lon", "a", "b", "locations", "open", "ids", "text")


def _title(value: Any) -> str:
    if isinstance(value, Mapping):
        value = value.get("text")
    return str(value).strip() if value not in (None, "") else ""


def _typed(value: Mapping[str, Any]) -> tuple[int, list[float] | None, tuple[int, ...]]:
    """Length, numbers (when decodable cheaply) and shape of a plotly typed array."""
    dtype = str(value.get("dtype", "f8"))
    try:
        raw = base64.b64decode(str(value.get("bdata", "")))
    except (binascii.Error, ValueError):
        return 0, None, ()
    count = len(raw) // _ITEMSIZE.get(dtype, 8)
    shape_value = value.get("shape")
    if isinstance(shape_value, str):
        shape = tuple(int(p) for p in shape_value.replace(" ", "").split(",") if p.isdigit())
    elif isinstance(shape_value, Sequence):
        shape = tuple(int(p) for p in shape_value)
    else:
        shape = (count,)
    numbers: list[float] | None = None
    if dtype in _TYPECODES:
        numbers = list(array.array(_TYPECODES[dtype], raw[: count * _ITEMSIZE[dtype]]))
    return count, numbers, shape


def _values(value: Any) -> tuple[int, list[float] | None, tuple[int, ...]]:
    """Length, numeric values (None if not all numbers) and shape of a trace's array attribute."""
    if isinstance(value, Mapping) and "bdata" in value:
        return _typed(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        if value and isinstance(value[0], Sequence) and not isinstance(value[0], str):  # a 2-D grid
            flat = [v for row in value for v in row]
            numbers = [v for v in flat if isinstance(v, int | float) and not isinstance(v, bool)]
            return len(flat), (numbers if len(numbers) == len(flat) else None), (len(value), len(value[0]))
        numbers = [v for v in value if isinstance(v, int | float) and not isinstance(v, bool)]
        return len(value), (numbers if len(numbers) == len(value) else None), (len(value),)
    return 0, None, ()


def _range(numbers: list[float] | None) -> str:
    finite = [n for n in numbers or [] if n == n and n not in (float("inf"), float("-inf"))]
    if not finite:
        return ""
    return f"{min(finite):.6g}..{max(finite):.6g}"


def _trace_line(trace: Mapping[str, Any]) -> str:
    kind = str(trace.get("type") or "scatter")
    parts = [kind]
    if trace.get("name"):
        parts.append(repr(str(trace["name"])))
    if trace.get("mode"):
        parts.append(f"({trace['mode']})")
    line = " ".join(parts)
    if "z" in trace:
        count, numbers, shape = _values(trace["z"])
        if len(shape) > 1:  # a heatmap or surface: a grid of z values
            span = _range(numbers)
            return f"{line}: z {'x'.join(map(str, shape))} grid" + (f", z {span}" if span else "")
    for key in (*_POINT_KEYS, "z"):
        if key in trace:
            count, _, _ = _values(trace[key])
            ranges = [f"{a} {span}" for a in ("x", "y", "z") if a in trace and (span := _range(_values(trace[a])[1]))]
            return f"{line}: {count:,} points" + (f" ({', '.join(ranges)})" if ranges else "")
    return line


def _axis_titles(layout: Mapping[str, Any]) -> list[str]:
    titles: list[str] = []
    holders: list[tuple[str, Mapping[str, Any]]] = [("", layout)]
    for key, value in layout.items():
        if key.startswith("scene") and isinstance(value, Mapping):  # 3-D axes live in scene, scene2, ...
            holders.append((f"{key}.", value))
    for prefix, holder in holders:
        for key in sorted(holder):
            if key.startswith(("xaxis", "yaxis", "zaxis")) and isinstance(holder[key], Mapping):
                title = _title(holder[key].get("title"))
                if title:
                    titles.append(f"{prefix}{key.replace('axis', '')}: {title!r}")
    return titles


def plotly_summary(figure: Any) -> str:
    """A few lines saying what a plotly figure shows (the JSON itself can be megabytes)."""
    if not isinstance(figure, Mapping):
        return "[plotly figure]"
    data = figure.get("data") or []
    layout = figure.get("layout") or {}
    title = _title(layout.get("title")) if isinstance(layout, Mapping) else ""
    traces = [trace for trace in data if isinstance(trace, Mapping)]
    plural = "s" if len(traces) != 1 else ""
    head = "Plotly figure" + (f" {title!r}" if title else "") + f", {len(traces)} trace{plural}:"
    lines = [head, *(f"- {_trace_line(trace)}" for trace in traces[:20])]
    if len(traces) > 20:
        lines.append(f"- ... and {len(traces) - 20} more traces")
    axes = _axis_titles(layout) if isinstance(layout, Mapping) else []
    if axes:
        lines.append("axes: " + ", ".join(axes))
    return "\n".join(lines)
