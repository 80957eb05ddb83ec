"""Every CLI test runs with an isolated home, config dir, Jupyter runtime dir and working dir."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ISOLATED_VARS = (
    "XDG_CONFIG_HOME",
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "APPDATA",
    "JMCP_TOKEN",
    "FLATPAK_XDG_CONFIG_HOME",
    "GOOSE_PATH_ROOT",
    "CONTINUE_GLOBAL_DIR",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("JMCP_HOME", str(tmp_path / "jmcp-home"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))
    for var in ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(work)
    yield home


@pytest.fixture
def home(isolated_home: Path) -> Path:
    return isolated_home


@pytest.fixture
def work() -> Path:
    return Path(os.getcwd())
