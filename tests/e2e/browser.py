"""Drive a real JupyterLab page in Debian's Chromium through Playwright (no downloaded browser)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.polling import WaitTimeout, shorten
from tests.support import REPO_ROOT, JupyterServer

CHROMIUM = os.environ.get("JMCP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / ".ci" / "artifacts"
LOAD_TIMEOUT_MS = 60_000  # first load of JupyterLab on a busy 2-core machine
WAIT_MS = 30_000  # bound for anything else that must show up in the page
WAIT_S = WAIT_MS / 1000

# JupyterLab 4.6 DOM, checked on a live page.
CELL = ".jp-Notebook .jp-Cell"
EDITOR = ".jp-InputArea-editor .cm-content"
PROMPT = ".jp-InputPrompt"
OUTPUT = ".jp-OutputArea-output"
IMAGE = ".jp-RenderedImage img"
ERROR = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
DIRTY = "jp-mod-dirty"


def chromium_or_skip() -> str:
    """The browser, or a skip on a developer machine without it (CI installs it, so there it fails)."""
    missing = []
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright (pip install -e '.[test]')")
    if missing:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"not installed: {', '.join(missing)}")
    return CHROMIUM


def quiet_lab_settings(home: Path) -> None:
    """User settings for the child JupyterLab: no news prompt, no update check (no network, no toast)."""
    settings = home / "jupyter-config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )


def write_notebook(root: Path, name: str, sources: list[str]) -> None:
    """A notebook file with a kernelspec (so JupyterLab asks no kernel question) and the given code cells."""
    cells = [
        {"cell_type": "code", "id": f"cell{i}", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
        for i, s in enumerate(sources)
    ]
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / name).write_text(json.dumps(notebook))


@dataclass
class NotebookTab:
    """One notebook open in a JupyterLab page, with the DOM queries the tests need."""

    page: Any  # playwright.async_api.Page
    name: str
    server: JupyterServer

    @property
    def cells(self) -> Any:
        return self.page.locator(CELL)

    def cell(self, index: int) -> Any:
        return self.cells.nth(index)

    def source(self, index: int) -> Any:
        return self.cell(index).locator(EDITOR)

    @property
    def tab(self) -> Any:
        return self.page.locator(".lm-DockPanel .lm-TabBar-tab", has_text=self.name)

    async def sources(self) -> list[str]:
        return list(await self.page.locator(f"{CELL} {EDITOR}").all_inner_texts())

    async def dismiss_dialogs(self) -> None:
        """Accept any modal dialog JupyterLab opened on load (e.g. a kernel choice) and close toasts."""
        for dialog_button in await self.page.locator(".jp-Dialog .jp-mod-accept").all():
            await dialog_button.click()
        for close in await self.page.locator(".jp-Notification-Toast-Close, .Toastify__close-button").all():
            await close.click()

    async def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(path))
        return path


async def open_notebook(context: Any, server: JupyterServer, name: str) -> NotebookTab:
    """Open ``lab/tree/NAME`` in a new page of ``context`` (fresh workspace) and wait for its cells."""
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto(f"{server.url}lab/tree/{name}?reset&token={server.token}", timeout=LOAD_TIMEOUT_MS)
    tab = NotebookTab(page, name, server)
    try:
        await page.locator(CELL).first.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
    except Exception as exc:  # Playwright's TimeoutError; the page says why (a dialog, an error page, a spinner)
        raise WaitTimeout(f"{name}'s first cell never showed: {await page_state(tab)}") from exc
    await tab.dismiss_dialogs()
    # A marker that a reload would wipe: edits must show up in this very page.
    await page.evaluate("window.__jmcpNoReload = true")
    return tab


async def not_reloaded(tab: NotebookTab) -> bool:
    return bool(await tab.page.evaluate("window.__jmcpNoReload === true"))


async def page_state(tab: NotebookTab) -> str:
    """What the page shows, for a failure message: its address, title, cell sources and visible text."""
    page = tab.page
    try:
        text = await page.locator("body").inner_text(timeout=2000)
        return shorten(f"url {page.url}, title {await page.title()!r}, cells {await tab.sources()}, page text: {text}")
    except Exception as exc:  # a closed or crashed page: say so rather than hide the original failure
        return f"unavailable ({type(exc).__name__}: {exc})"


async def page_until(tab: NotebookTab, expression: str, what: str, timeout_ms: float = WAIT_MS) -> None:
    """Wait (bounded, polled inside the page) until the JavaScript ``expression`` is truthy."""
    try:
        await tab.page.wait_for_function(expression, timeout=timeout_ms)
    except Exception as exc:  # Playwright's TimeoutError, or the page went away
        raise WaitTimeout(
            f"timed out after {timeout_ms / 1000:g} s waiting for {what} ({expression}); {await page_state(tab)}"
        ) from exc
