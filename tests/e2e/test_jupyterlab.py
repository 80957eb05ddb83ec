"""A real JupyterLab in headless Chromium shows what an agent does through MCP, live, in the open tab."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.polling import poll_async
from tests.support import REPO_ROOT, JupyterServer, call, mcp_client, text_of

from .browser import (
    ARTIFACTS,
    DIRTY,
    ERROR,
    IMAGE,
    OUTPUT,
    PROMPT,
    WAIT_MS,
    WAIT_S,
    NotebookTab,
    not_reloaded,
    page_until,
)

expect = pytest.importorskip("playwright.async_api", reason="pip install -e '.[test]'").expect
# Playwright's assertions retry for 5 s by default: too short for a busy 2-core machine.
expect.set_options(timeout=WAIT_MS)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

# The product promise from the issue: an agent's edit is on screen within a second. Measured in the
# browser's own clock, from just before the tool call to the DOM mutation (typically 30-100 ms).
LIVE_WITHIN_MS = 1000

# A PNG made by the kernel with the standard library only (no plotting package needed).
PNG_CODE = r"""import struct, zlib
from IPython.display import Image, display

def gradient_png(width, height):
    rows = b"".join(
        b"\0" + bytes(c for x in range(width) for c in (255 * x // width, 90 + 120 * y // height, 200))
        for y in range(height)
    )
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
"""


@contextlib.asynccontextmanager
async def agent(tab: NotebookTab, start_kernel: bool = False) -> AsyncIterator[Any]:
    """An MCP client (the SDK's) whose active notebook is the one open in the tab."""
    async with mcp_client(tab.server.mcp_url, tab.server.token) as client:
        await call(client, "use_notebook", path=tab.name, start_kernel=start_kernel)
        yield client


def disk_sources(server: JupyterServer, name: str) -> list[str]:
    """The file's cell sources; raises while autosave is mid-write (the waits below retry)."""
    cells = json.loads((server.root / name).read_text())["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]


async def on_disk(server: JupyterServer, name: str, predicate: Callable[[list[str]], bool], what: str) -> None:
    """Wait until the file's cell sources satisfy ``predicate`` (autosave is asynchronous)."""
    await poll_async(
        lambda: disk_sources(server, name), predicate, timeout=WAIT_S, interval=0.1, what=f"{what} on disk"
    )


async def sources_become(tab: NotebookTab, expected: list[str]) -> None:
    """Wait until the tab shows exactly these cell sources."""
    await poll_async(
        tab.sources, lambda shown: shown == expected, timeout=WAIT_S, interval=0.1, what=f"the tab to show {expected}"
    )


async def test_a_cell_inserted_through_mcp_appears_in_the_open_tab_within_a_second(notebook: NotebookTab) -> None:
    marker = "inserted by the agent"
    watch = """marker => {
        const t0 = performance.now();
        const seen = () => [...document.querySelectorAll('.jp-Notebook .jp-Cell .cm-content')]
            .some(e => e.textContent.includes(marker));
        const observer = new MutationObserver(() => {
            if (seen()) { observer.disconnect(); window.__jmcpSeenAfterMs = performance.now() - t0; }
        });
        observer.observe(document.querySelector('.jp-Notebook'), {subtree: true, childList: true, characterData: true});
    }"""
    async with agent(notebook) as client:
        await notebook.page.evaluate(watch, marker)
        await call(client, "insert_cell", source=f"x = 1  # {marker}", index=1)
        await page_until(notebook, "window.__jmcpSeenAfterMs !== undefined", "the inserted cell in the DOM")
    latency_ms = await notebook.page.evaluate("window.__jmcpSeenAfterMs")
    print(f"inserted cell visible in the DOM {latency_ms:.0f} ms after the tool call started")
    await expect(notebook.cells).to_have_count(2)
    await expect(notebook.source(1)).to_have_text(f"x = 1  # {marker}")
    assert await not_reloaded(notebook), "the page reloaded"
    assert latency_ms < LIVE_WITHIN_MS, f"the cell took {latency_ms:.0f} ms to appear"


async def test_execute_cell_shows_stream_count_image_and_traceback_in_the_tab(notebook: NotebookTab) -> None:
    code = PNG_CODE + "\nprint('hello from the agent', 6 * 7)\ndisplay(Image(gradient_png(160, 48)))\n1 / 0\n"
    async with agent(notebook, start_kernel=True) as client:
        await call(client, "insert_cell", source=code, index=1)
        result = await client.call_tool("execute_cell", {"cell": 1})
    text = text_of(result)
    count = re.search(r"execution_count=(\d+)", text)
    assert count, text
    assert "ZeroDivisionError" in text
    assert [block.type for block in result.content].count("image") == 1

    cell = notebook.cell(1)
    await expect(cell.locator(PROMPT)).to_have_text(f"[{count.group(1)}]:")
    await expect(cell.locator(OUTPUT).first).to_contain_text("hello from the agent 42")
    await expect(cell.locator(IMAGE)).to_have_attribute("src", re.compile(r"^data:image/png;base64,iVBOR"))
    await expect(cell.locator(ERROR)).to_contain_text("ZeroDivisionError")
    await expect(cell.locator(ERROR)).to_contain_text("Traceback")
    await expect(cell.locator(ERROR)).to_contain_text("division by zero")
    # The cell that was not run keeps an empty prompt.
    await expect(notebook.cell(0).locator(PROMPT)).to_have_text("[ ]:")
    assert await not_reloaded(notebook)


async def test_edit_move_and_delete_through_mcp_are_reflected_in_the_tab(notebook: NotebookTab) -> None:
    async with agent(notebook) as client:
        for source in ("a = 1", "b = 2", "c = 3"):
            await call(client, "insert_cell", source=source)
        await sources_become(notebook, ["print('first')", "a = 1", "b = 2", "c = 3"])

        await call(client, "edit_cell_source", cell=2, old="2", new="20")
        await sources_become(notebook, ["print('first')", "a = 1", "b = 20", "c = 3"])

        await call(client, "move_cell", cell=3, to_index=0)
        await sources_become(notebook, ["c = 3", "print('first')", "a = 1", "b = 20"])

        await call(client, "delete_cells", cells=[1, 2])
        await sources_become(notebook, ["c = 3", "b = 20"])
    await expect(notebook.cells).to_have_count(2)
    assert await not_reloaded(notebook)
    await on_disk(notebook.server, notebook.name, lambda s: s == ["c = 3", "b = 20"], "the edits")


async def watch_unsaved_marker(tab: NotebookTab) -> None:
    """Record in the page whether the tab's unsaved marker shows at any moment, however briefly."""
    await tab.page.evaluate(
        """name => {
            const tab = [...document.querySelectorAll('.lm-DockPanel .lm-TabBar-tab')]
                .find(t => t.textContent.includes(name));
            window.__jmcpDirtySeen = false;
            new MutationObserver(() => {
                if (tab.classList.contains('jp-mod-dirty')) window.__jmcpDirtySeen = true;
            }).observe(tab, {attributes: true, attributeFilter: ['class']});
        }""",
        tab.name,
    )


async def unsaved_marker_seen(tab: NotebookTab) -> bool:
    return bool(await tab.page.evaluate("window.__jmcpDirtySeen"))


async def test_the_unsaved_marker_clears_by_itself_and_the_file_holds_the_edit(notebook: NotebookTab) -> None:
    await expect(notebook.tab).not_to_have_class(re.compile(DIRTY))
    await watch_unsaved_marker(notebook)
    async with agent(notebook) as client:
        await call(client, "edit_cell_source", cell=0, old="first", new="edited by the agent")
    await expect(notebook.source(0)).to_have_text("print('edited by the agent')")
    await on_disk(notebook.server, notebook.name, lambda s: s == ["print('edited by the agent')"], "the edit")
    await expect(notebook.tab).not_to_have_class(re.compile(DIRTY), timeout=WAIT_MS)
    seen = await unsaved_marker_seen(notebook)
    print(f"unsaved marker shown after the MCP edit: {seen}; cleared: yes")


async def test_the_marker_set_by_typing_clears_by_itself_around_an_agent_edit(notebook: NotebookTab) -> None:
    # The check the troubleshooting docs give users: type, see the unsaved marker, see it clear without
    # saving by hand. Here the agent edits the notebook in between, and the file ends with both texts.
    await watch_unsaved_marker(notebook)
    await notebook.source(0).click()
    await notebook.page.keyboard.press("Control+End")
    await notebook.page.keyboard.type("  # person")

    await poll_async(
        lambda: unsaved_marker_seen(notebook), timeout=WAIT_S, interval=0.1, what="the unsaved marker after typing"
    )
    async with agent(notebook) as client:
        await call(client, "insert_cell", source="agent = 1")
    expected = ["print('first')  # person", "agent = 1"]
    await sources_become(notebook, expected)
    await expect(notebook.tab).not_to_have_class(re.compile(DIRTY), timeout=WAIT_MS)
    await on_disk(notebook.server, notebook.name, lambda s: s == expected, "the person's and the agent's text")


async def test_text_typed_in_the_browser_while_the_agent_edits_another_cell_is_kept(notebook: NotebookTab) -> None:
    typed = "  # typed in the browser, one key at a time"
    async with agent(notebook) as client:
        await call(client, "insert_cell", source="step = 0", index=1)
        await expect(notebook.cells).to_have_count(2)
        await notebook.source(0).click()
        await notebook.page.keyboard.press("Control+End")
        typing = asyncio.ensure_future(notebook.page.keyboard.type(typed, delay=30))
        step = 0
        while not typing.done() or step < 3:  # the agent keeps editing for as long as the person types
            step += 1
            await call(client, "edit_cell_source", cell=1, old=f"step = {step - 1}", new=f"step = {step}")
        await typing
        expected = ["print('first')" + typed, f"step = {step}"]
        await sources_become(notebook, expected)

        await poll_async(
            lambda: call(client, "read_cell", cell=0),
            lambda text: typed in text,
            timeout=WAIT_S,
            interval=0.1,
            what="read_cell to return the typed text",
        )
    print(f"the agent made {step} edits while the person typed {len(typed)} characters")
    await on_disk(notebook.server, notebook.name, lambda s: s == expected, "both people's text")


async def test_text_typed_in_the_cell_the_agent_edits_is_kept(notebook: NotebookTab) -> None:
    typed = "# a person wrote this line while the agent edited above"
    async with agent(notebook) as client:
        await call(client, "overwrite_cell_source", cell=0, source="total = 0\n")
        await expect(notebook.source(0)).to_contain_text("total = 0")
        await notebook.source(0).click()
        await notebook.page.keyboard.press("Control+End")
        typing = asyncio.ensure_future(notebook.page.keyboard.type(typed, delay=30))
        step = 0
        while not typing.done() or step < 3:
            step += 1
            await call(client, "edit_cell_source", cell=0, old=f"total = {step - 1}", new=f"total = {step}")
        await typing
        expected = [f"total = {step}\n{typed}"]
        await sources_become(notebook, expected)
        assert typed in await call(client, "read_cell", cell=0)
    await on_disk(notebook.server, notebook.name, lambda s: s == expected, "both people's text")


@pytest.mark.parametrize("notebook_name", ["live-demo.ipynb"])
async def test_screenshot_of_a_notebook_the_agent_wrote(notebook: NotebookTab) -> None:
    """Also the README's picture: ``JMCP_SCREENSHOT=docs/jupyterlab-live-edit.png pytest tests/e2e -k screenshot``."""
    async with agent(notebook, start_kernel=True) as client:
        await call(client, "execute_code", code=PNG_CODE)  # defines gradient_png on the kernel, adds no cell
        await call(
            client,
            "insert_cell",
            cell_type="markdown",
            source="## Written by an agent, live\nEvery cell below was inserted and run through MCP "
            "while this tab stayed open.",
        )
        await call(client, "insert_execute_code_cell", source="squares = [n * n for n in range(10)]\nsum(squares)")
        await call(client, "insert_execute_code_cell", source="Image(gradient_png(480, 120))")
        await call(client, "insert_execute_code_cell", source='print("the 11th square is", squares[10])')
        await call(client, "delete_cells", cells=[0])
    await expect(notebook.cells).to_have_count(4)
    await expect(notebook.cell(1).locator(OUTPUT)).to_contain_text("285")
    await expect(notebook.cell(2).locator(IMAGE)).to_be_visible()
    await expect(notebook.cell(3).locator(ERROR)).to_contain_text("IndexError")
    await notebook.dismiss_dialogs()
    await notebook.page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()  # hide the files
    await notebook.page.locator(".jp-Notebook").click(position={"x": 5, "y": 5})  # command mode, no cursor
    target = Path(os.environ.get("JMCP_SCREENSHOT") or ARTIFACTS / "jupyterlab-live-edit.png")
    path = await notebook.screenshot(target if target.is_absolute() else REPO_ROOT / target)
    print(f"screenshot: {path}")
