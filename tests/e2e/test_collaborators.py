"""The agent as a collaborator in a real JupyterLab (headless Chromium): listed and shown at its cell while it works,
gone when its session closes; it learns where the person is and what they typed; it cannot clobber their typing;
its undo keeps their text; and File > Revert Notebook to Checkpoint works live."""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from mcp.types import Implementation

from tests.polling import poll_async
from tests.support import REPO_ROOT, JupyterServer, call, call_error, mcp_client

from .browser import ARTIFACTS, WAIT_MS, WAIT_S, NotebookTab, not_reloaded, open_notebook, write_notebook
from .conftest import CALL_REPORT
from .test_jupyterlab import on_disk, sources_become

expect = pytest.importorskip("playwright.async_api", reason="pip install -e '.[test]'").expect
expect.set_options(timeout=WAIT_MS)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

# jupyter-collaboration's UI in JupyterLab 4.6, checked on a live page.
COLLABORATION_TAB = ".jp-SideBar .lm-TabBar-tab[data-id='jp-collaboration-panel']"
COLLABORATOR_NAME = ".jp-CollaboratorsList .jp-Collaborator .jp-CollaboratorHeader > span"
COLLABORATOR_ICON = ".jp-CollaboratorsList .jp-Collaborator .jp-CollaboratorIcon"
REMOTE_CURSOR = ".jp-remote-cursor"

_names = itertools.count()
OpenTab = Callable[..., Awaitable[NotebookTab]]


@pytest_asyncio.fixture(loop_scope="module")
async def open_tab(request: pytest.FixtureRequest, lab_server: JupyterServer, browser: Any) -> AsyncIterator[OpenTab]:
    """Open a notebook of the test's own (code cells ``cell0``, ``cell1``, ... with the given sources) in a page."""
    tabs: list[NotebookTab] = []

    async def opening(sources: list[str] | None, name: str | None = None) -> NotebookTab:
        name = name or f"{request.node.name[5:36]}_{next(_names)}.ipynb"
        if sources is not None:  # else: another page on a notebook already open
            write_notebook(lab_server.root, name, sources)
        tab = await open_notebook(browser, lab_server, name)
        tabs.append(tab)
        return tab

    try:
        yield opening
    finally:
        report = request.node.stash.get(CALL_REPORT, None)
        for number, tab in enumerate(tabs):
            if report is not None and report.failed:
                path = await tab.screenshot(ARTIFACTS / f"e2e-{request.node.name}-{number}.png")
                report.sections.append(("e2e screenshot", str(path)))
            await tab.page.close()


@contextlib.asynccontextmanager
async def agent(tab: NotebookTab, title: str) -> AsyncIterator[Any]:
    """An MCP client introducing itself as ``title``, working on the tab's notebook."""
    info = Implementation(name=title.lower().replace(" ", "-"), title=title, version="1.0")
    async with mcp_client(tab.server.mcp_url, tab.server.token, client_info=info) as client:
        await call(client, "use_notebook", path=tab.name, start_kernel=False)
        yield client


async def show_collaborators(tab: NotebookTab) -> None:
    """Open the Collaboration side panel (its "Online Collaborators" list)."""
    await tab.page.locator(COLLABORATION_TAB).click()
    await expect(tab.page.locator(".jp-CollaboratorsPanel")).to_be_visible()


async def person_name(tab: NotebookTab) -> str:
    """The display name JupyterLab gave the person in this browser."""
    identity = await tab.page.evaluate("fetch('/api/me').then(r => r.json()).then(me => me.identity)")
    return str(identity["display_name"])


async def type_at_end(tab: NotebookTab, index: int, text: str) -> None:
    await tab.source(index).click()
    await tab.page.keyboard.press("Control+End")
    await tab.page.keyboard.type(text)


async def test_the_agent_is_listed_and_shown_at_its_cell_and_leaves_when_its_session_closes(open_tab: OpenTab) -> None:
    tab = await open_tab(["a = 1", "b = 2"])
    await show_collaborators(tab)
    names = tab.page.locator(COLLABORATOR_NAME)
    async with agent(tab, "Claude Code") as client:
        await expect(names).to_have_text(["Claude Code"])
        await expect(tab.page.locator(COLLABORATOR_ICON)).to_have_text(["CC"])
        await call(client, "edit_cell_source", cell=1, old="2", new="20")
        # Its cursor sits in the cell it edited, in its own colour.
        cursor = tab.cell(1).locator(REMOTE_CURSOR)
        await expect(cursor).to_have_count(1)
        colour = await tab.page.locator(COLLABORATOR_ICON).first.evaluate("e => getComputedStyle(e).backgroundColor")
        assert await cursor.evaluate("e => getComputedStyle(e).borderLeftColor") == colour
        await expect(tab.cell(0).locator(REMOTE_CURSOR)).to_have_count(0)
        await tab.page.evaluate(
            """() => { window.__jmcpClosing = performance.now(); const seen = () => ![...document.querySelectorAll(
                   '.jp-CollaboratorsList .jp-Collaborator')].some(e => e.textContent.includes('Claude Code'));
               const observer = new MutationObserver(() => { if (seen()) {
                   window.__jmcpGoneAfterMs = performance.now() - window.__jmcpClosing; observer.disconnect(); } });
               observer.observe(document.body, {subtree: true, childList: true, characterData: true}); }"""
        )
    await expect(names).to_have_count(0)
    await expect(tab.page.locator(REMOTE_CURSOR)).to_have_count(0)
    gone_ms = await tab.page.evaluate("window.__jmcpGoneAfterMs")
    print(f"the agent left the collaborators list {gone_ms:.0f} ms after its client began closing the session")
    assert gone_ms < 5000, gone_ms  # at once, not after the 30 s awareness timeout


async def test_two_agents_appear_as_two(open_tab: OpenTab) -> None:
    tab = await open_tab(["a = 1", "b = 2"])
    await show_collaborators(tab)
    async with agent(tab, "Claude Code") as claude, agent(tab, "Cursor") as cursor:
        await call(claude, "edit_cell_source", cell=0, old="1", new="10")
        await call(cursor, "edit_cell_source", cell=1, old="2", new="20")
        await expect(tab.page.locator(COLLABORATOR_NAME)).to_have_text(["Claude Code", "Cursor"], ignore_case=False)
        await expect(tab.page.locator(COLLABORATOR_ICON)).to_have_text(["CC", "Cu"])
        await expect(tab.cell(0).locator(REMOTE_CURSOR)).to_have_count(1)
        await expect(tab.cell(1).locator(REMOTE_CURSOR)).to_have_count(1)
        async with agent(tab, "Claude Code") as second_claude:
            await call(second_claude, "read_cell", cell=0)
            await expect(tab.page.locator(COLLABORATOR_NAME)).to_have_text(["Claude Code", "Cursor", "Claude Code (2)"])
        await expect(tab.page.locator(COLLABORATOR_NAME)).to_have_text(["Claude Code", "Cursor"])


async def test_a_tab_opened_later_shows_the_agent_at_once(open_tab: OpenTab) -> None:
    tab = await open_tab(["a = 1", "b = 2"])
    async with agent(tab, "Claude Code") as client:
        await call(client, "edit_cell_source", cell=1, old="2", new="20")
        await expect(tab.cell(1).locator(REMOTE_CURSOR)).to_have_count(1)
        started = time.monotonic()
        later = await open_tab(None, name=tab.name)
        await show_collaborators(later)
        # Well before the agent's next refresh (every 12 s): the room greets a new connection with the agents.
        await expect(later.page.locator(COLLABORATOR_NAME)).to_have_text(["Claude Code"], timeout=5000)
        await expect(later.cell(1).locator(REMOTE_CURSOR)).to_have_count(1, timeout=5000)
        print(f"a tab opened later listed the agent {time.monotonic() - started:.1f} s after it started loading")


async def test_the_cell_the_person_clicks_is_reported_to_the_agent(open_tab: OpenTab) -> None:
    tab = await open_tab(["a = 1", "b = 2", "c = 3"])
    name = await person_name(tab)
    async with agent(tab, "Claude Code") as client:
        await tab.source(2).click()
        await tab.page.keyboard.press("End")
        expected = f"{name} is in cell cell2 (index 2), line 1 column 6"
        for tool, args in (("use_notebook", {"path": tab.name, "start_kernel": False}), ("read_notebook", {})):
            await poll_async(
                lambda tool=tool, args=args: call(client, tool, **args),
                lambda text: expected in text,
                timeout=WAIT_S,
                what=f"{tool} to say {expected!r}",
            )
        await tab.source(0).click()
        listed = await poll_async(
            lambda: call(client, "list_notebooks"),
            lambda text: f"{name} is in cell cell0 (index 0)" in text,
            timeout=WAIT_S,
            what="list_notebooks to follow the click to cell 0",
        )
        assert tab.name in listed


async def test_what_the_person_types_is_reported_in_the_next_result(open_tab: OpenTab) -> None:
    tab = await open_tab(["a = 1", "b = 2"])
    name = await person_name(tab)
    async with agent(tab, "Claude Code") as client:
        await type_at_end(tab, 1, "  # typed by the person")
        await on_disk(tab.server, tab.name, lambda s: s[1].endswith("person"), "the person's typing")
        result = await call(client, "insert_cell", source="c = 3")
        digest = f"Changed by others since your last call: {name} edited cell cell1 (index 1)."
        assert result.splitlines()[0] == digest, result
        assert "Changed by others" not in await call(client, "read_cell", cell=0)
        await type_at_end(tab, 0, "  # more")
        await on_disk(tab.server, tab.name, lambda s: s[0].endswith("more"), "more typing")
        assert f"{name} edited cell cell0 (index 0)" in (await call(client, "read_cell", cell=2)).splitlines()[0]


async def test_a_stale_overwrite_is_refused_and_the_persons_text_survives(open_tab: OpenTab) -> None:
    tab = await open_tab(["a = 1"])
    name = await person_name(tab)
    typed = "a = 1  # person edit and more"
    async with agent(tab, "Claude Code") as client:
        assert "a = 1" in await call(client, "read_cell", cell=0)
        await type_at_end(tab, 0, "  # person edit and more")
        await on_disk(tab.server, tab.name, lambda s: s == [typed], "the person's edit")
        refusal = await call_error(client, "overwrite_cell_source", cell=0, source="a = 100")
        assert f"Refused to overwrite cell cell0: {name} edited it after you last read it" in refusal, refusal
        assert typed in refusal and "read_cell" in refusal and "force=true" in refusal
    await expect(tab.source(0)).to_have_text(typed)
    await on_disk(tab.server, tab.name, lambda s: s == [typed], "the person's text")
    assert await not_reloaded(tab)


async def test_undo_takes_back_the_agents_change_and_keeps_the_persons_typing(open_tab: OpenTab) -> None:
    tab = await open_tab(["total = 0"])
    async with agent(tab, "Claude Code") as client:
        await call(client, "edit_cell_source", cell=0, old="total = 0", new="total = 0\nagent_line = 1")
        await call(client, "insert_cell", source="added_by_agent = True")
        await sources_become(tab, ["total = 0\nagent_line = 1", "added_by_agent = True"])
        await tab.source(0).click()
        await tab.page.keyboard.press("Control+Home")
        await tab.page.keyboard.press("End")
        await tab.page.keyboard.type("  # the person's note")
        await on_disk(tab.server, tab.name, lambda s: "note" in s[0], "the person's note")

        undone = await call(client, "undo")
        assert "removed cell" in undone, undone
        await sources_become(tab, ["total = 0  # the person's note\nagent_line = 1"])
        assert "restored the source of cell cell0" in await call(client, "undo")
        expected = ["total = 0  # the person's note"]
        await sources_become(tab, expected)
        assert "Nothing to undo" in await call(client, "undo")
    await on_disk(tab.server, tab.name, lambda s: s == expected, "the undo and the person's note")
    assert await not_reloaded(tab)


async def test_a_redo_never_deletes_a_cell_the_person_typed_into_after_the_undo(open_tab: OpenTab) -> None:
    tab = await open_tab(["keep = 1", "scratch = 2"])
    async with agent(tab, "Claude Code") as client:
        await call(client, "delete_cells", cells=[1])
        await sources_become(tab, ["keep = 1"])
        await call(client, "undo")
        await sources_become(tab, ["keep = 1", "scratch = 2"])
        await type_at_end(tab, 1, "  # the person keeps this")
        await on_disk(tab.server, tab.name, lambda s: "keeps" in s[-1], "the person's typing")
        refusal = await call_error(client, "redo")
        assert "force=true" in refusal, refusal
        expected = ["keep = 1", "scratch = 2  # the person keeps this"]
        await sources_become(tab, expected)
        await tab.screenshot(ARTIFACTS / "e2e-redo-refused.png")
    await on_disk(tab.server, tab.name, lambda s: s == expected, "the cell and the typing kept")
    assert await not_reloaded(tab)


async def test_reverting_to_the_checkpoint_in_jupyterlab_works_live(open_tab: OpenTab) -> None:
    tab = await open_tab(["a = 1"])
    async with agent(tab, "Claude Code") as client:
        first = await call(client, "overwrite_cell_source", cell=0, source="a = 2  # agent")
        assert "saved a checkpoint" in first, first
        await call(client, "insert_cell", source="b = 3  # agent")
    await sources_become(tab, ["a = 2  # agent", "b = 3  # agent"])
    await on_disk(tab.server, tab.name, lambda s: s == ["a = 2  # agent", "b = 3  # agent"], "the agent's edits")

    await tab.page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    await tab.page.locator(".lm-Menu-itemLabel", has_text="Revert Notebook to Checkpoint").click()
    started = time.monotonic()
    await tab.page.locator(".jp-Dialog .jp-mod-accept", has_text="Revert").click()
    await sources_become(tab, ["a = 1"])
    print(f"the tab showed the checkpoint {time.monotonic() - started:.2f} s after the Revert button was clicked")
    await on_disk(tab.server, tab.name, lambda s: s == ["a = 1"], "the reverted file")
    # Without jmcp's fix the room kept the agent's cells and the next autosave wrote them back: type to save.
    await type_at_end(tab, 0, "  # after the revert")
    await on_disk(tab.server, tab.name, lambda s: s == ["a = 1  # after the revert"], "the revert and the typing")
    await sources_become(tab, ["a = 1  # after the revert"])
    assert await not_reloaded(tab)


async def test_screenshot_of_an_agent_among_the_collaborators(open_tab: OpenTab) -> None:
    """The README's picture: ``JMCP_SCREENSHOT=docs/jupyterlab-agent-collaborator.png pytest tests/e2e -k among``."""
    tab = await open_tab(
        [
            "import math\n\nradius = 2.5",
            "area = math.pi * radius ** 2\narea",
            "# TODO: the circumference",
        ],
        name="circle.ipynb",
    )
    await show_collaborators(tab)
    async with agent(tab, "Claude Code") as client:
        await call(client, "read_notebook")
        await expect(tab.page.locator(COLLABORATOR_NAME)).to_have_text(["Claude Code"])
        await tab.page.locator(".jp-CollaboratorsList .jp-CollaboratorHeader").first.click()  # list its notebook
        await tab.page.locator(".jp-Notebook").click(position={"x": 5, "y": 5})  # command mode: no own cursor
        # The name label by a remote cursor shows for about 2 s after each change: the picture is taken in that time.
        source = "circumference = 2 * math.pi * radius\n\ncircumference"
        await call(client, "overwrite_cell_source", cell=2, source=source)
        await expect(tab.cell(2).locator(REMOTE_CURSOR)).to_have_count(1)
        target = Path(os.environ.get("JMCP_SCREENSHOT") or ARTIFACTS / "jupyterlab-agent-collaborator.png")
        path = await tab.screenshot(target if target.is_absolute() else REPO_ROOT / target)
    print(f"screenshot: {path}")
