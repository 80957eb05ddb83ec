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
    await page.locator(CELL).first.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
    tab = NotebookTab(page, name, server)
    await tab.dismiss_dialogs()
    # A marker that a reload would wipe: edits must show up in this very page.
    await page.evaluate("window.__jmcpNoReload = true")
    return tab


async def not_reloaded(tab: NotebookTab) -> bool:
    return bool(await tab.page.evaluate("window.__jmcpNoReload === true"))
