"""Reading the kernel's state without cells: list_variables and inspect_variable in a real kernel."""

from __future__ import annotations

import json
import re

import anyio

from tests.support import JupyterServer, call, call_error, mcp_client

SETUP = (
    "import numpy as np, pandas as pd\n"
    "df = pd.DataFrame({'city': ['Oslo', 'Lima', None, 'Pune'], 'temp': [3.5, 19.0, 25.1, None]})\n"
    "arr = np.arange(12.0).reshape(3, 4)\nn = 42\nwords = ['alpha'] * 500\n"
    "def area(r: float) -> float:\n    return 3.14 * r * r\n"
    "_hidden = 1"
)


async def test_variables_are_listed_and_inspected_without_touching_the_notebook(
    server: JupyterServer, nb_name: str
) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        await call(client, "insert_execute_code_cell", source=SETUP)
        listing = await call(client, "list_variables")
        rows = {line.split(" | ")[0].lstrip("| "): line for line in listing.splitlines() if line.startswith("| ")}
        assert set(rows) >= {"df", "arr", "n", "words", "area"} and "_hidden" not in rows, listing
        assert "modules: np, pd" in listing
        # (pandas 3 calls its string columns "str", pandas 2 "object")
        assert re.search(r"pandas.DataFrame \| 4 x 2 \| 1 (object|str), 1 float64 \|", rows["df"]), rows["df"]
        assert "numpy.ndarray | 3 x 4 | float64 |" in rows["arr"]
        assert rows["n"].endswith("| int |  |  | 42 |")
        assert "len 500" in rows["words"] and "..." in rows["words"]  # a short repr, not 500 items
        assert "area(r: float) -> float" in rows["area"]

        shown = await call(client, "inspect_variable", name="df", rows=3)
        assert shown.startswith("df: pandas.DataFrame\n4 rows x 2 columns")
        assert re.search(r"\| city \| (object|str) \| 1 \|", shown) and "| temp | float64 | 1 |" in shown, shown
        assert "| Oslo |" in shown and "| Pune |" not in shown  # the first 3 rows only
        array = await call(client, "inspect_variable", name="arr")
        assert "shape (3, 4), dtype float64" in array and "min 0, max 11, mean 5.5" in array
        assert "No variable 'nope'" in await call_error(client, "inspect_variable", name="nope")
        assert "dotted attribute path" in await call_error(client, "inspect_variable", name="df[0]")
        assert "shape (4,)" in await call(client, "inspect_variable", name="df.index.values")

        # Nothing was run as a cell: the next cell gets count 2, no names leaked, the notebook is unchanged.
        after = await call(client, "insert_execute_code_cell", source="sorted(k for k in dir() if 'jmcp' in k)")
        assert "execution_count=2" in after and "Out[2]: []" in after
    on_disk = server.wait_for_disk(nb_name, lambda nb: len(nb["cells"]) == 2 and nb["cells"][1].get("outputs"))
    assert [c["execution_count"] for c in on_disk["cells"]] == [1, 2]


async def test_a_busy_kernel_gets_a_clear_answer_not_a_queued_request(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        await call(client, "execute_code", source="import time")
        messages: list[str] = []

        async def run_long() -> None:
            await call(client, "execute_code", source="time.sleep(3)")

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run_long)
            await anyio.sleep(0.8)
            messages.append(await call_error(client, "list_variables"))
        assert "busy running code" in messages[0] and "interrupt_kernel" in messages[0]
        assert "No kernel is running" in await call_error(client, "list_variables", path="other-" + nb_name)


async def test_a_kernel_that_is_not_python_gets_a_clear_message(server: JupyterServer, nb_name: str) -> None:
    # A kernel spec that says another language (it runs ipykernel underneath, which does not matter here).
    spec_dir = server.home / "jupyter-data" / "kernels" / "otherlang"
    spec_dir.mkdir(parents=True, exist_ok=True)
    import sys

    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Other", "language": "otherlang"}  # fmt: skip
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name, kernel_name="otherlang")
        await call(client, "use_notebook", path=nb_name)
        message = await call_error(client, "list_variables")
        assert re.search(r"list_variables reads Python kernels; this notebook's kernel runs otherlang", message)
        await call(client, "restart_kernel")  # (frees nothing special; the kernel stays for the server's life)
