"""Big inputs: thousands of cells, megabytes of output, binary outputs: truncated answers, no crash,
the file on disk intact."""

from __future__ import annotations

import base64
import hashlib
import os

import nbformat

from tests.support import JupyterServer, call, mcp_client


def write_notebook(server: JupyterServer, name: str, cells: list[nbformat.NotebookNode]) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    (server.root / name).write_text(nbformat.writes(nb))
    return hashlib.sha256((server.root / name).read_bytes()).hexdigest()


async def test_five_thousand_cells_are_read_in_pages_and_edited(server: JupyterServer, nb_name: str) -> None:
    # Ids given: nbformat's random 8-hex-digit ids collide about once in 300 notebooks of 5,000 cells, and
    # its duplicate-id warning is an error here.
    write_notebook(server, nb_name, [nbformat.v4.new_code_cell(f"x = {i}", id=f"c{i}") for i in range(5000)])
    async with mcp_client(server.mcp_url, server.token) as client:
        page = await call(client, "read_notebook", path=nb_name)
        assert "5000 cells" in page and len(page) < 20_000
        assert "x = 4999" in await call(client, "read_cell", path=nb_name, cell=4999)
        await call(client, "insert_cell", path=nb_name, source="middle", index=2500)
    on_disk = server.wait_for_disk(nb_name, lambda nb: len(nb["cells"]) == 5001, timeout=30)
    assert "".join(on_disk["cells"][2500]["source"]) == "middle"
    assert "".join(on_disk["cells"][5000]["source"]) == "x = 4999"


async def test_megabytes_and_binary_outputs_are_truncated_and_left_intact(server: JupyterServer, nb_name: str) -> None:
    cell = nbformat.v4.new_code_cell("big")
    png = base64.b64encode(os.urandom(3_000_000)).decode()
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="y" * 5_000_000),
        nbformat.v4.new_output(
            "display_data",
            data={"application/octet-stream": base64.b64encode(os.urandom(100_000)).decode(), "image/png": png},
        ),
    ]
    write_notebook(server, nb_name, [cell])
    async with mcp_client(server.mcp_url, server.token) as client:
        page = await call(client, "read_notebook", path=nb_name)
        full = await client.call_tool("read_cell", {"path": nb_name, "cell": 0})
        assert not full.is_error
        assert sum(len(getattr(b, "text", "") or getattr(b, "data", "")) for b in full.content) < 100_000
        assert len(page) < 30_000
        # Running code that prints megabytes and writes raw bytes.
        await call(client, "insert_cell", path=nb_name, source="print('z' * 3_000_000)")
        text = await call(client, "execute_cell", path=nb_name, cell=1, timeout=60)
        assert len(text) < 30_000
        raw = (
            "from IPython.display import display\nimport os\n"
            "display({'application/octet-stream': os.urandom(1000)}, raw=True)"
        )
        await call(client, "execute_code", path=nb_name, code=raw, timeout=60)
        await call(client, "delete_cells", path=nb_name, cells=[1])
    # Reading and running never rewrote the big cell: once saved, the original outputs are all there.
    on_disk = server.wait_for_disk(nb_name, lambda nb: len(nb["cells"]) == 1, timeout=30)
    outputs = on_disk["cells"][0]["outputs"]
    assert "".join(outputs[0]["text"]) == "y" * 5_000_000
    assert outputs[1]["data"]["image/png"].replace("\n", "") == png
