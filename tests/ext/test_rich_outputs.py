"""What the model reads of real outputs, through the SDK's own client over HTTP: the best representation,
pictures that always fit, errors led by their headline, big outputs paged and searched, an outline."""

from __future__ import annotations

import base64
import io
import re

from tests.support import JupyterServer, call, call_error, mcp_client, text_of

NOISE_PNG = (
    "import io, numpy as np\nfrom PIL import Image as PILImage\nfrom IPython.display import Image, display\n"
    "pixels = np.random.default_rng(0).integers(0, 256, (560, 560, 3), dtype=np.uint8)\n"
    "buffer = io.BytesIO(); PILImage.fromarray(pixels).save(buffer, 'PNG')\n"
    "print(len(buffer.getvalue()))\ndisplay(Image(data=buffer.getvalue()))"
)
SCATTER = (
    "import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')\n"
    "import matplotlib.pyplot as plt, numpy as np\nrng = np.random.default_rng(1)\n"
    "fig, ax = plt.subplots(figsize=(10, 10), dpi=300)\n"
    "ax.scatter(rng.normal(size=20_000), rng.normal(size=20_000), s=2, c=rng.random(20_000))\n"
    "ax.set_title('20,000 points'); plt.show()"
)
FRAME = (
    "import pandas as pd, numpy as np\n"
    "df = pd.DataFrame({'city': ['Oslo', 'Lima', 'Pune'] * 100, 'temp': np.arange(300) / 10, "
    "'rain': [None, 1.5, 2.0] * 100})\n"
)


def _sizes(result: object) -> list[tuple[int, int, int]]:
    from PIL import Image

    sizes = []
    for block in result.content:  # type: ignore[attr-defined]
        if block.type == "image":
            raw = base64.b64decode(block.data)
            with Image.open(io.BytesIO(raw)) as image:
                sizes.append((image.width, image.height, len(raw)))
    return sizes


async def test_big_pictures_come_back_as_pictures_within_what_the_sdk_client_accepts(
    server: JupyterServer, nb_name: str
) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        noise = await client.call_tool("insert_execute_code_cell", {"source": NOISE_PNG})
        assert not noise.is_error, text_of(noise)
        original = int(after_summary(text_of(noise)))
        assert 900_000 < original < 1_000_000  # the ~940 KB PNG that broke the call before
        assert len(_sizes(noise)) == 1 and "original is PNG 560x560" in text_of(noise)
        scatter = await client.call_tool("insert_execute_code_cell", {"source": SCATTER, "timeout": 120})
        assert not scatter.is_error, text_of(scatter)
        # The inline backend crops the 3000x3000 figure to its content (bbox_inches='tight').
        note = re.search(r"the original is PNG (2\d\d\dx2\d\d\d) \(([\d,]+) bytes\)", text_of(scatter))
        assert note and int(note.group(2).replace(",", "")) > 1_000_000, text_of(scatter)
        [(width, height, size)] = _sizes(scatter)
        assert max(width, height) <= 1568 and size < 700_000
        # Following the old hint (a larger limit) still works: the limit is the whole result's.
        again = await client.call_tool("read_cell", {"cell": 1, "max_image_bytes": 5_000_000})
        assert not again.is_error and len(_sizes(again)) == 1
        both = await client.call_tool("read_notebook", {"outputs": "full"})
        assert not both.is_error and len(_sizes(both)) == 2
    print(f"noise PNG {original:,} bytes -> {_sizes(noise)}; scatter {note.group(2)} bytes -> {_sizes(scatter)}")


async def test_rich_outputs_read_as_markdown_tables_and_summaries(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        text = await call(
            client,
            "insert_execute_code_cell",
            source="from IPython.display import Markdown, HTML, display\ndisplay(Markdown('**bold** move'))\n"
            "display(HTML('<p>a <b>b</b></p><ul><li>one</li></ul>'))",
        )
        assert "**bold** move" in text and "<IPython" not in text and "- one" in text
        table = await call(client, "insert_execute_code_cell", source=FRAME + "df")
        assert "Out[2]:\n|" in table, table  # the table starts on its own line
        assert "| Oslo |" in table and "300 rows \u00d7 3 columns" in table
        styled = await call(client, "insert_execute_code_cell", source="df.head(3).style.format(precision=1)")
        assert "| Lima |" in styled and "Styler" not in styled
        plot = await call(
            client,
            "insert_execute_code_cell",
            source="import plotly.express as px\nfig = px.scatter(df, x='temp', y='rain', title='Rain by temp')\n"
            "fig.show(renderer='plotly_mimetype')",
        )
        assert "Rain by temp" in plot and "scatter" in plot and "plotly" not in plot.split("\n", 1)[0]
        assert "[application/vnd.plotly.v1+json output]" not in plot


async def test_errors_lead_with_their_headline_and_brief_views_show_only_that(
    server: JupyterServer, nb_name: str
) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        text = await call(client, "insert_execute_code_cell", source="x = 1\nraise ValueError('bad value in cell 3')")
        assert after_summary(text).startswith("ValueError: bad value in cell 3 (at Cell In[1], line 2)"), text
        assert "-----" not in text and "\x1b[" not in text
        page = await call(client, "read_notebook")
        assert "ValueError: bad value in cell 3 (at Cell In[1], line 2)" in page and "Traceback" not in page
        summary = await call(client, "run_all_cells")
        assert "ValueError: bad value in cell 3" in summary and "Traceback" not in summary
        asked = await call(client, "insert_execute_code_cell", source="name = input('name? ')")
        assert asked.split("\n")[1:] == [
            "input() cannot be answered here: the kernel cannot ask a person for input through MCP; pass the "
            "values in the code instead (e.g. assign them to variables)."
        ], asked


async def test_a_kernel_crash_keeps_what_was_printed_and_the_new_cell_id(server: JupyterServer, nb_name: str) -> None:
    code = "import os, sys, time\nprint('loaded 3 files', flush=True)\ntime.sleep(0.3)\nos._exit(1)"
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        message = await call_error(client, "insert_execute_code_cell", source=code, timeout=60)
        assert re.search(r"New cell 0 \(id=\w+\): The kernel died", message), message
        assert "Output before the crash:\nloaded 3 files" in message
        cell_id = re.search(r"id=(\w+)", message).group(1)  # type: ignore[union-attr]
        assert f"id={cell_id}" in await call(client, "read_cell", cell=cell_id)
        assert "'back'" in await call(client, "execute_code", source="'back'", timeout=60)


async def test_the_middle_of_a_huge_output_is_reachable_by_offset_and_pattern(
    server: JupyterServer, nb_name: str
) -> None:
    code = "for i in range(200_000):\n    print(f'row {i}: value {i * 7 % 1000}')"
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        text = await call(client, "insert_execute_code_cell", source=code, timeout=120)
        marker = re.search(r"\[\.\.\. ([\d,]+) characters omitted \(lines [\d,-]+\); read the rest with "
                           r"read_cell\('(\w+)', offset=(\d+)\) or search it with read_cell\('\w+', pattern=\.\.\.\)",
                           text)  # fmt: skip
        assert marker, text[:3000]
        cell_id, offset = marker.group(2), int(marker.group(3))
        page = await call(client, "read_cell", cell=cell_id, offset=offset, max_chars=2_000)
        first = page.split("\n")[1]
        assert re.match(r"\[characters [\d,]+-[\d,]+ of [\d,]+; lines ([\d,]+)-", first), page[:500]
        assert "read on with read_cell(0, offset=" in page
        found = await call(client, "read_cell", cell=cell_id, pattern=r"^row 123456:", context=1)
        lines = found.split("\n")
        assert lines[1] == "[1 matching line for '^row 123456:']" and "123457: row 123456: value 192" in lines
        assert "123456- row 123455: value 185" in lines
        assert "took too long" in await call_error(client, "read_cell", cell=cell_id, pattern=r"(.|..)+: value [a-z]")


async def test_outline_and_edited_region(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        await call(client, "insert_cell", source="# Title\nSome words", cell_type="markdown")
        await call(client, "insert_execute_code_cell", source="import math\nfor i in range(3):\n    print(i)")
        await call(client, "insert_execute_code_cell", source="1 / 0")
        outline = await call(client, "read_notebook", outline=True)
        lines = outline.split("\n")
        assert re.match(r"^\s+0 \w+ markdown: # Title \(\+1 lines\)$", lines[1]), outline
        assert re.match(r"^\s+1 \w+ code \[1\]: import math \(\+2 lines\)  => 2$", lines[2]), outline
        assert re.match(r"^\s+2 \w+ code \[2\]: 1 / 0  => ZeroDivisionError: division by zero", lines[3]), outline
        edited = await call(client, "edit_cell_source", cell=1, old="print(i)", new="print(i * 2)")
        assert edited.split("\n")[1:] == [" 1| import math", " 2| for i in range(3):", ">3|     print(i * 2)"]


def after_summary(text: str) -> str:
    """The line right after a run's summary line ("New cell 0 (id=...) ran; ..."): where its output starts.

    A note may come first (the checkpoint made before a session's first change, what others changed).
    """
    lines = text.split("\n")
    summary = next(i for i, line in enumerate(lines) if line.startswith(("New cell ", "Cell ", "Code ")))
    return lines[summary + 1]
