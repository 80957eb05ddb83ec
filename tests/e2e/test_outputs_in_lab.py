"""Display updates and carriage returns run through MCP look, in a real JupyterLab tab and in the saved file,
exactly as the same code run by the browser itself."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.polling import poll_async
from tests.support import call, mcp_client

from .browser import OUTPUT, PROMPT, WAIT_MS, WAIT_S, NotebookTab, not_reloaded

expect = pytest.importorskip("playwright.async_api", reason="pip install -e '.[test]'").expect
expect.set_options(timeout=WAIT_MS)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

UPDATE = "{h} = display('starting', display_id=True)\nprint('x')\n{h}.update('progress 3/3')"
BAR = "from tqdm import tqdm\nfor _ in tqdm(range(50), desc='train', mininterval=0):\n    pass"
# Timing differs between two runs, and so does tqdm's padding (spaces that blank a longer previous frame).
RATE = re.compile(r"\[\d\d:\d\d<\d\d:\d\d, +[\d.]+it/s\] *")


@contextlib.asynccontextmanager
async def agent(tab: NotebookTab) -> AsyncIterator[Any]:
    async with mcp_client(tab.server.mcp_url, tab.server.token) as client:
        await call(client, "use_notebook", path=tab.name, start_kernel=True)
        yield client


async def shown(tab: NotebookTab, index: int) -> list[str]:
    """The text of each output of a cell, as the tab renders it."""
    return [text.rstrip("\n") for text in await tab.cell(index).locator(OUTPUT).all_inner_texts()]


async def run_in_browser(tab: NotebookTab, index: int) -> None:
    """Select a cell and press Shift+Enter, as a person runs it; wait for its prompt number."""
    await tab.cell(index).locator(PROMPT).click()
    await tab.page.keyboard.press("Shift+Enter")
    await expect(tab.cell(index).locator(PROMPT)).to_have_text(re.compile(r"\[\d+\]:"))


def saved_outputs(tab: NotebookTab) -> list[list[str]]:
    cells = json.loads((tab.server.root / tab.name).read_text())["cells"]
    texts = []
    for cell in cells:
        outputs = []
        for output in cell.get("outputs") or []:
            value = output.get("text") or (output.get("data") or {}).get("text/plain", "")
            outputs.append(("".join(value) if isinstance(value, list) else value).rstrip("\n"))
        texts.append(outputs)
    return texts


async def test_display_updates_and_redrawn_lines_match_what_the_browser_shows(notebook: NotebookTab) -> None:
    async with agent(notebook) as client:
        await call(client, "insert_execute_code_cell", source=UPDATE.format(h="h"))  # cell 1, through MCP
        await call(client, "insert_execute_code_cell", source=BAR)  # cell 2, through MCP
        await call(client, "insert_cell", source=UPDATE.format(h="g"))  # cell 3: the browser runs it
        await call(client, "insert_cell", source=BAR)  # cell 4: the browser runs it
        await expect(notebook.cells).to_have_count(5)
        await run_in_browser(notebook, 3)
        await run_in_browser(notebook, 4)
        await expect(notebook.cell(4).locator(OUTPUT)).to_contain_text("50/50")

        assert await shown(notebook, 1) == await shown(notebook, 3) == ["'progress 3/3'", "x"]
        ours, theirs = await shown(notebook, 2), await shown(notebook, 4)
        assert [RATE.sub("[rate]", t) for t in ours] == [RATE.sub("[rate]", t) for t in theirs], (ours, theirs)
        assert len(ours) == 1 and ours[0].startswith("train: 100%|██████████| 50/50") and "\n" not in ours[0]

        # A later cell updates the display of cell 1, as JupyterLab does for its own cells.
        await call(client, "insert_execute_code_cell", source="h.update('done, from a later cell')")
        await expect(notebook.cell(1).locator(OUTPUT).first).to_have_text("'done, from a later cell'")
        assert await shown(notebook, 1) == ["'done, from a later cell'", "x"]
    assert await not_reloaded(notebook)

    def final(saved: list[list[str]]) -> bool:
        return saved[1] == ["'done, from a later cell'", "x"] and len(saved) >= 6 and bool(saved[4])

    saved = await poll_async(
        lambda: saved_outputs(notebook),
        final,
        timeout=WAIT_S,
        interval=0.1,
        what="the file",
        show=lambda: saved_outputs(notebook),
    )
    assert saved[3] == ["'progress 3/3'", "x"]
    assert RATE.sub("", saved[2][0]) == RATE.sub("", saved[4][0]) and "\r" not in saved[2][0]
    assert saved[-1] == []  # the updating cell shows nothing (Shift+Enter on the last cell added a blank one)
