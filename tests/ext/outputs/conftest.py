"""Realistic outputs made by the real libraries (IPython's formatter, pandas, matplotlib, ...), no kernel or server."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest

Output = dict[str, Any]

# IPython's own traceback formatting, run once in a child process (an InteractiveShell in the test process would
# take over sys.displayhook and friends). ipykernel raises StdinNotImplementedError with this text for input().
_ERRORS_SCRIPT = r"""
import builtins, json, sys
from IPython.core.error import StdinNotImplementedError
from IPython.core.interactiveshell import InteractiveShell

def no_input(prompt=""):
    raise StdinNotImplementedError("raw_input was called, but this frontend does not support input requests.")

shell = InteractiveShell.instance(colors="linux")
errors = []
shell._showtraceback = lambda etype, evalue, stb: errors.append(
    {"output_type": "error", "ename": etype.__name__, "evalue": str(evalue), "traceback": stb}
)
for code in sys.argv[1:]:
    builtins.input = no_input
    shell.run_cell(code, store_history=True)
json.dump(errors, sys.stdout)
"""
ERROR_CELLS = {
    "value": "x = 1\nraise ValueError('bad value in cell 3')",
    "nested": "def f(a):\n    return 1 / a\n\nf(0)",
    "library": "import json\njson.loads('{')",
    "syntax": "def g(:\n    pass",
    "input": "name = input('name? ')",
}


@pytest.fixture(scope="session")
def ipython_errors() -> dict[str, Output]:
    """Error outputs exactly as IPython formats them (ANSI colours included), by name."""
    result = subprocess.run(
        [sys.executable, "-c", _ERRORS_SCRIPT, *ERROR_CELLS.values()],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return dict(zip(ERROR_CELLS, json.loads(result.stdout), strict=True))


def bundle(obj: object, kind: str = "display_data", count: int | None = None) -> Output:
    """The nbformat output ipykernel would store for displaying ``obj`` (IPython's own formatter)."""
    from IPython.core.formatters import DisplayFormatter

    data, metadata = DisplayFormatter().format(obj)
    output: Output = {"output_type": kind, "data": data, "metadata": metadata}
    if kind == "execute_result":
        output["execution_count"] = count
    return output


def stream(text: str, name: str = "stdout") -> Output:
    return {"output_type": "stream", "name": name, "text": text}


def png_output(raw: bytes, mime: str = "image/png", text: str = "<Figure size 640x480 with 1 Axes>") -> Output:
    import base64

    return {"output_type": "display_data", "data": {mime: base64.b64encode(raw).decode(), "text/plain": text}}


@pytest.fixture(scope="session")
def scatter_png() -> bytes:
    """The issue's figure: figsize=(10, 10), dpi=300, 20,000 points: a 3000x3000 PNG of about 1.5 MB."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rng = np.random.default_rng(0)
    fig, ax = plt.subplots(figsize=(10, 10), dpi=300)
    ax.scatter(rng.normal(size=20_000), rng.normal(size=20_000), s=3, alpha=0.5)
    ax.set_title("20,000 points")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def line_png() -> bytes:
    """A small default matplotlib figure (640x480)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 3, 2, 4])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
