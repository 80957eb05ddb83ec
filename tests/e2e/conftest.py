"""Browser fixtures: one JupyterLab server and one Chromium per module; a screenshot of every failure."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from tests.support import JupyterServer, running_server

from .browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    NotebookTab,
    chromium_or_skip,
    open_notebook,
    quiet_lab_settings,
    write_notebook,
)

CALL_REPORT = pytest.StashKey[pytest.TestReport]()
_names = itertools.count()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    chromium_or_skip()
    base = tmp_path_factory.mktemp("lab")
    quiet_lab_settings(base / "home")
    with running_server(base / "root", base / "home", app="lab") as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(lab_server: JupyterServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Any]:
    """A headless Chromium with a fresh profile (persistent context = its own user-data dir)."""
    from playwright.async_api import async_playwright

    executable = chromium_or_skip()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context
        finally:
            await context.close()


@pytest.fixture
def notebook_name(request: pytest.FixtureRequest) -> str:
    """The test's own notebook (a test may parametrize this to choose the name)."""
    return f"{request.node.name[5:40]}_{next(_names)}.ipynb"


@pytest_asyncio.fixture(loop_scope="module")
async def notebook(
    request: pytest.FixtureRequest, lab_server: JupyterServer, browser: Any, notebook_name: str
) -> AsyncIterator[NotebookTab]:
    """A notebook of the test's own with one cell, ``print('first')``, open in a new JupyterLab page."""
    name = notebook_name
    write_notebook(lab_server.root, name, ["print('first')"])
    tab = await open_notebook(browser, lab_server, name)
    try:
        yield tab
    finally:
        report = request.node.stash.get(CALL_REPORT, None)
        if report is not None and report.failed:
            path = await tab.screenshot(ARTIFACTS / f"e2e-{request.node.name}.png")
            report.sections.append(("e2e screenshot", str(path)))
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"\nscreenshot of the failed page: {path}")
        await tab.page.close()
