"""Where MCP clients keep their config files: per-user dirs that follow each client's own rules."""

import os
import sys
from collections.abc import Callable
from pathlib import Path

PathFn = Callable[[Path, Path], Path]  # (home, cwd) -> a file


def xdg_config(home: Path) -> Path:
    value = os.environ.get("XDG_CONFIG_HOME")
    return Path(value) if value else home / ".config"


def app_support(home: Path) -> Path:
    """The per-user application data dir (macOS, Windows, else XDG)."""
    if sys.platform == "darwin":
        return home / "Library" / "Application Support"
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
    return xdg_config(home)


def claude_config_dir(home: Path) -> Path:
    """Where Claude Code keeps ``.claude.json`` (user and local scopes); CLAUDE_CONFIG_DIR moves it."""
    override = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(override) if override else home


def codex_home(home: Path) -> Path:
    override = os.environ.get("CODEX_HOME")
    return Path(override) if override else home / ".codex"


def zed_config_dir(home: Path) -> Path:
    """Zed's crates/paths/src/paths.rs: %APPDATA%\\Zed, $FLATPAK_XDG_CONFIG_HOME or XDG on Linux, else ~/.config."""
    if sys.platform == "win32":
        return app_support(home) / "Zed"
    if sys.platform.startswith("linux"):
        flatpak = os.environ.get("FLATPAK_XDG_CONFIG_HOME")
        return (Path(flatpak) if flatpak else xdg_config(home)) / "zed"
    return home / ".config" / "zed"


def goose_config_dir(home: Path) -> Path:
    """Goose's crates/goose/src/config/paths.rs: $GOOSE_PATH_ROOT/config, %APPDATA%\\Block\\goose\\config, else XDG."""
    root = os.environ.get("GOOSE_PATH_ROOT")
    if root and Path(root).is_absolute():
        return Path(root) / "config"
    if sys.platform == "win32":
        return app_support(home) / "Block" / "goose" / "config"
    return xdg_config(home) / "goose"


def continue_dir(home: Path) -> Path:
    """Continue's core/util/paths.ts: $CONTINUE_GLOBAL_DIR, else ~/.continue."""
    override = os.environ.get("CONTINUE_GLOBAL_DIR")
    return Path(override) if override else home / ".continue"


def in_home(*parts: str) -> PathFn:
    return lambda home, cwd: home.joinpath(*parts)


def in_project(*parts: str) -> PathFn:
    return lambda home, cwd: cwd.joinpath(*parts)


def under(base: Callable[[Path], Path], *parts: str) -> PathFn:
    """A file below a per-user dir that depends on the platform or an env var."""
    return lambda home, cwd: base(home).joinpath(*parts)
