"""Reading a kernel's state without a cell: a silent request (no execution count, no history, no notebook).

The snippets (``snippets.py``) only read; this runs them, bounded in time and size, and never queues behind
someone else's code: a busy kernel gets a clear answer instead.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import JmcpError
from ..outputs import error_headline
from .manager import Kernels
from .snippets import MARKER, inspect_code, variables_code, widgets_code

#: Seconds a snippet may take (the request is interrupted after, as it is jmcp's own code running).
SECONDS = 10.0
#: Characters of stdout read back at most.
MAX_STDOUT = 2_000_000
#: Widgets: how many models (children included) and how many bytes of state are read at most.
MAX_WIDGET_MODELS = 200
MAX_WIDGET_BYTES = 500_000
WIDGET_SECONDS = 3.0


class NotPython(JmcpError):
    """The kernel is not a Python kernel: the snippets cannot run there."""


async def require_python(kernels: Kernels, kernel_id: str, tool: str) -> None:
    """Fail with what to do instead when the kernel does not run Python."""
    language = await kernels.language(kernel_id)
    if language and language.lower() != "python":
        raise NotPython(
            f"{tool} reads Python kernels; this notebook's kernel runs {language}. Use execute_code with that "
            "language's own way to list or show values instead."
        )


async def run_silently(kernels: Kernels, kernel_id: str, code: str, what: str, seconds: float = SECONDS) -> Any:
    """Run a snippet silently and return the JSON it printed; a clear error when the kernel cannot answer."""
    if not await kernels.idle(kernel_id):
        raise JmcpError(
            f"The kernel is busy running code, so {what} cannot read it now; try again when the run ends, or "
            "call interrupt_kernel to stop it."
        )
    execution = await kernels.execute(kernel_id, code, timeout=seconds, silent=True, store_history=False)
    text = "".join(
        str(output.get("text", ""))
        for output in execution.outputs
        if output.get("output_type") == "stream" and output.get("name") == "stdout"
    )[:MAX_STDOUT]
    at = text.rfind(MARKER)
    if at >= 0:
        line = text[at + len(MARKER) :].split("\n", 1)[0]
        try:
            return json.loads(line)
        except ValueError:
            pass
    if execution.status == "timeout":
        raise JmcpError(
            f"The kernel did not answer {what} within {seconds:g} s (it may be busy, or a value's repr is slow); "
            "try again, or read the value with execute_code."
        )
    errors = [error_headline(o) for o in execution.outputs if o.get("output_type") == "error"]
    detail = errors[0] if errors else "no answer"
    raise JmcpError(f"{what} could not read the kernel ({detail}); use execute_code to look at the values instead.")


async def list_variables(kernels: Kernels, kernel_id: str, *, max_names: int, repr_chars: int = 80) -> dict[str, Any]:
    """The names in the kernel's namespace with type, shape or length, dtype and a short repr."""
    await require_python(kernels, kernel_id, "list_variables")
    code = variables_code(max_names=max_names, repr_chars=repr_chars, seconds=SECONDS / 2)
    result = await run_silently(kernels, kernel_id, code, "list_variables")
    return dict(result)


async def inspect_variable(
    kernels: Kernels, kernel_id: str, name: str, *, rows: int, max_columns: int = 50, repr_chars: int = 5_000
) -> dict[str, Any]:
    """What one variable (or dotted attribute path) holds, summarised by kind."""
    await require_python(kernels, kernel_id, "inspect_variable")
    code = inspect_code(name, rows=rows, max_columns=max_columns, repr_chars=repr_chars, seconds=SECONDS / 2)
    result = await run_silently(kernels, kernel_id, code, "inspect_variable")
    return dict(result)


async def widget_states(kernels: Kernels, kernel_id: str, model_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The current state of widgets (and of the widgets inside them), by model id; {} when it cannot be read.

    Remembered per kernel, so that reading the cell later shows the states as of this moment.
    """
    known = kernels.widget_states.setdefault(kernel_id, {})
    if not model_ids:
        return known
    try:
        await require_python(kernels, kernel_id, "widgets")
        code = widgets_code(model_ids, max_models=MAX_WIDGET_MODELS, max_bytes=MAX_WIDGET_BYTES, seconds=1.0)
        states = await run_silently(kernels, kernel_id, code, "the widget states", seconds=WIDGET_SECONDS)
    except JmcpError:
        return known  # busy, or not Python: the widgets read as "state not available"
    if isinstance(states, dict):
        if len(known) + len(states) > MAX_WIDGET_MODELS * 10:
            known.clear()  # a bound on what is remembered; the next runs read what they show again
        known.update({str(k): v for k, v in states.items() if isinstance(v, dict)})
    return known
