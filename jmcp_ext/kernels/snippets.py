"""The Python that jmcp runs silently in a kernel to read its state: variables, one variable, widget states.

Each snippet runs through ``exec`` in a namespace of its own, so it leaves no name behind in the person's
namespace, and prints one line: ``MARKER`` followed by JSON. It only reads (``repr``, ``len``, ``shape``,
``dtypes``, ``head``) and bounds its own work: how many names, how long the reprs, how many seconds.
"""

from __future__ import annotations

import json
from typing import Any

#: Starts the one line of JSON a snippet prints (other output, e.g. a warning, may come before it).
MARKER = "\x00jmcp-state\x00"

_COMMON = r"""
import json, sys, time, reprlib
from IPython import get_ipython

ARGS = _jmcp_args
MARKER = ARGS["marker"]
DEADLINE = time.monotonic() + ARGS["seconds"]
_short = reprlib.Repr()
_short.maxstring = _short.maxother = ARGS.get("repr_chars", 80)
_short.maxlist = _short.maxtuple = _short.maxset = _short.maxdict = 6
_short.maxlevel = 2

def emit(value):
    print(MARKER + json.dumps(value, default=str))

def type_name(value):
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module in ("builtins", "__main__") else module.split(".")[0] + "." + kind.__qualname__

def one_line(text, limit):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."

def safe_repr(value, limit):
    if time.monotonic() > DEADLINE:
        return "(not shown: time budget used up)"
    try:
        if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset, int, float, complex, bool)):
            return one_line(_short.repr(value), limit)
        return one_line(repr(value), limit)
    except Exception as exc:
        return "(repr failed: %s)" % type(exc).__name__

def shape_of(value):
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return list(shape)
    return None

def dtype_of(value):
    dtype = getattr(value, "dtype", None)
    if dtype is not None and not callable(dtype):
        return str(dtype)
    dtypes = getattr(value, "dtypes", None)
    counts = getattr(dtypes, "value_counts", None)
    if counts is not None:
        try:
            return ", ".join("%d %s" % (n, kind) for kind, n in counts().items())
        except Exception:
            return None
    return None
"""

_VARIABLES = r"""
import inspect, types

def run():
    shell = get_ipython()
    ns, hidden = shell.user_ns, shell.user_ns_hidden
    names = sorted(n for n in ns if not n.startswith("_") and not (n in hidden and ns[n] is hidden[n]))
    names = [n for n in names if n not in ("In", "Out", "exit", "quit", "get_ipython")]
    found, modules = [], []
    for name in names:
        value = ns[name]
        if isinstance(value, types.ModuleType):
            modules.append(name)
            continue
        entry = {"name": name, "type": type_name(value)}
        if callable(value) and (inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value)):
            entry["type"] = "class" if inspect.isclass(value) else "function"
            try:
                entry["repr"] = one_line(name + str(inspect.signature(value)), ARGS["repr_chars"])
            except (TypeError, ValueError):
                entry["repr"] = name + "(...)"
        else:
            shape = shape_of(value)
            if shape is not None:
                entry["shape"] = shape
            else:
                try:
                    entry["len"] = len(value)
                except Exception:
                    pass
            dtype = dtype_of(value)
            if dtype:
                entry["dtype"] = one_line(dtype, 80)
            if shape is None or len(shape) == 0:  # DataFrames and arrays say enough by shape and dtype
                entry["repr"] = safe_repr(value, ARGS["repr_chars"])
        found.append(entry)
    limit = ARGS["max_names"]
    emit({"variables": found[:limit], "more": max(0, len(found) - limit), "modules": modules})

run()
"""

_INSPECT = r"""
import inspect

def resolve(path):
    shell = get_ipython()
    parts = path.split(".")
    if parts[0] not in shell.user_ns:
        raise LookupError(parts[0])
    value = shell.user_ns[parts[0]]
    for part in parts[1:]:
        value = getattr(value, part)
    return value

def frame_info(df, rows):
    info = {"kind": "dataframe", "shape": list(df.shape), "index": one_line(repr(df.index), 200)}
    nulls = df.isna().sum()
    columns = []
    for name in list(df.columns)[:ARGS["max_columns"]]:
        columns.append({"name": str(name), "dtype": str(df[name].dtype), "nulls": int(nulls[name])})
    info["columns"] = columns
    info["more_columns"] = max(0, df.shape[1] - len(columns))
    try:
        info["memory"] = int(df.memory_usage(deep=False).sum())
    except Exception:
        pass
    info["head_html"] = df.head(rows).to_html(max_cols=ARGS["max_columns"])
    return info

def series_info(s, rows):
    info = {"kind": "series", "shape": list(s.shape), "dtype": str(s.dtype), "name": str(s.name),
            "nulls": int(s.isna().sum()), "head": s.head(rows).to_string(max_rows=rows)}
    if s.dtype.kind in "biufc" and len(s):
        info["describe"] = s.describe().to_string()
    elif len(s):
        info["top_values"] = s.value_counts(dropna=False).head(5).to_string()
    return info

def array_info(a):
    import numpy as np
    info = {"kind": "ndarray", "shape": list(a.shape), "dtype": str(a.dtype), "size": int(a.size)}
    if a.dtype.kind in "biuf" and 0 < a.size <= 50_000_000:
        info["min"], info["max"], info["mean"] = float(np.nanmin(a)), float(np.nanmax(a)), float(np.nanmean(a))
    info["repr"] = np.array2string(a, threshold=200, edgeitems=3, max_line_width=120)
    return info

def run():
    path = ARGS["name"]
    try:
        value = resolve(path)
    except (LookupError, AttributeError) as exc:
        emit({"missing": path, "error": "%s: %s" % (type(exc).__name__, exc)})
        return
    info = {"name": path, "type": type_name(value)}
    rows = ARGS["rows"]
    module = type(value).__module__.split(".")[0]
    try:
        if module == "pandas" and hasattr(value, "columns") and hasattr(value, "dtypes"):
            info.update(frame_info(value, rows))
        elif module == "pandas" and hasattr(value, "dtype") and hasattr(value, "value_counts"):
            info.update(series_info(value, rows))
        elif module == "numpy" and hasattr(value, "shape") and hasattr(value, "dtype"):
            info.update(array_info(value))
        elif inspect.isfunction(value) or inspect.ismethod(value) or inspect.isclass(value):
            info["kind"] = "class" if inspect.isclass(value) else "function"
            try:
                info["signature"] = path.split(".")[-1] + str(inspect.signature(value))
            except (TypeError, ValueError):
                pass
            info["doc"] = "\n".join((inspect.getdoc(value) or "").splitlines()[:20])
        else:
            info["kind"] = "object"
            try:
                info["len"] = len(value)
            except Exception:
                pass
            long = reprlib.Repr()
            long.maxstring = long.maxother = ARGS["repr_chars"]
            long.maxlist = long.maxtuple = long.maxset = long.maxdict = 50
            long.maxlevel = 3
            builtin = isinstance(value, (str, bytes, list, tuple, dict, set, frozenset))
            text = long.repr(value) if builtin else repr(value)
            info["repr"] = text[: ARGS["repr_chars"]]
            info["repr_cut"] = len(text) > ARGS["repr_chars"]
            if not builtin:
                info["attributes"] = [a for a in dir(value) if not a.startswith("_")][:40]
    except Exception as exc:
        info["error"] = "%s: %s" % (type(exc).__name__, one_line(exc, 300))
    emit(info)

run()
"""

_WIDGETS = r"""
def run():
    states = {}
    module = sys.modules.get("ipywidgets.widgets.widget")
    if module is None:  # widgets were never used in this kernel: nothing to read (and nothing imported)
        emit(states)
        return
    registry = getattr(module, "_instances", None)
    if registry is None:  # ipywidgets 7
        registry = module.Widget.widgets
    queue, size = list(ARGS["ids"]), 0

    def plain(value):
        if isinstance(value, (bytes, bytearray, memoryview)):
            return "<%d bytes>" % len(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    def children(value):
        if isinstance(value, str) and value.startswith("IPY_MODEL_"):
            yield value[10:]
        elif isinstance(value, dict):
            for v in value.values():
                yield from children(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from children(v)

    while queue and len(states) < ARGS["max_models"] and time.monotonic() < DEADLINE:
        model_id = queue.pop(0)
        widget = registry.get(model_id)
        if model_id in states or widget is None:
            continue
        try:
            state = plain(widget.get_state())
        except Exception:
            continue
        size += len(json.dumps(state, default=str))
        if size > ARGS["max_bytes"]:
            break
        states[model_id] = state
        queue.extend(children(state))
    emit(states)

run()
"""


def _code(body: str, args: dict[str, Any]) -> str:
    """The statement sent to the kernel: the snippet, exec'd in a namespace of its own."""
    source = _COMMON + body
    arguments = json.dumps({"marker": MARKER, **args})
    return (
        f"exec(compile({source!r}, '<jmcp>', 'exec'), "
        f"{{'__builtins__': __builtins__, '_jmcp_args': __import__('json').loads({arguments!r})}})"
    )


def variables_code(*, max_names: int, repr_chars: int, seconds: float) -> str:
    return _code(_VARIABLES, {"max_names": max_names, "repr_chars": repr_chars, "seconds": seconds})


def inspect_code(name: str, *, rows: int, max_columns: int, repr_chars: int, seconds: float) -> str:
    args = {"name": name, "rows": rows, "max_columns": max_columns, "repr_chars": repr_chars, "seconds": seconds}
    return _code(_INSPECT, args)


def widgets_code(model_ids: list[str], *, max_models: int, max_bytes: int, seconds: float) -> str:
    args = {"ids": model_ids, "max_models": max_models, "max_bytes": max_bytes, "seconds": seconds}
    return _code(_WIDGETS, args)
