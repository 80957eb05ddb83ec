"""``jmcp doctor`` checks of the Python environment: packages, kernel, extension config, CRDT stack.

Heavy imports (Jupyter, pycrdt) stay inside the checks that need them.
"""

import importlib.metadata as md
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from .doctor_check import Check, failed, passed

PACKAGES = ("jmcp", "jupyterlab", "jupyter_server", "jupyter-collaboration", "jupyter-server-ydoc", "pycrdt", "mcp")


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def check_packages() -> Check:
    versions = {name: _version(name) for name in PACKAGES}
    missing = [name for name, v in versions.items() if v is None]
    detail = ", ".join(f"{name} {v}" for name, v in versions.items() if v)
    if missing:
        return failed("packages", f"missing: {', '.join(missing)}; found {detail}", f"pip install {' '.join(missing)}")
    return passed("packages", detail)


def check_kernel() -> Check:
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if not specs:
        return failed("kernel", "no Jupyter kernel installed", "pip install ipykernel")
    ipykernel = _version("ipykernel")
    extra = f" (ipykernel {ipykernel})" if ipykernel else ""
    return passed("kernel", ", ".join(sorted(specs)) + extra)


@dataclass(frozen=True)
class Setting:
    """One JSON config file that enables (True) or disables (False) a server extension."""

    path: Path
    enabled: bool


def extension_settings(extension: str, config_dirs: list[str]) -> list[Setting]:
    """Every JSON config file that sets ``extension``, the one that decides first.

    ``config_dirs`` is Jupyter's config path, highest precedence first. Within one directory
    ``jupyter_server_config.json`` wins over ``jupyter_server_config.d/*.json``, and among those the
    last in sorted order wins (jupyter_server's ``ConfigManager``). Invalid JSON is skipped, as
    jupyter_server does.
    """
    found: list[Setting] = []
    for directory in map(Path, config_dirs):
        drop_ins = sorted((directory / "jupyter_server_config.d").glob("*.json"), reverse=True)
        for path in [directory / "jupyter_server_config.json", *drop_ins]:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                value = data["ServerApp"]["jpserver_extensions"][extension]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            found.append(Setting(path, bool(value)))
    return found


def _state(enabled: bool) -> str:
    return "enables" if enabled else "disables"


def _who_decides(settings: list[Setting], prefer_env: bool) -> str:
    """Which file decides, and which files it overrides with the opposite value."""
    if not settings:
        return "no Jupyter config file mentions it"
    winner, *rest = settings
    text = f"{winner.path} {_state(winner.enabled)} it"
    overridden = [s for s in rest if s.enabled != winner.enabled]
    if overridden:
        text += " and takes precedence over " + ", ".join(f"{s.path} ({_state(s.enabled)})" for s in overridden)
        if prefer_env:
            text += (
                "; in this environment Jupyter reads its own etc/jupyter before ~/.jupyter "
                "(JUPYTER_PREFER_ENV_PATH=0 reverses that)"
            )
    return text


def check_extension_enabled() -> Check:
    from jupyter_core.paths import ENV_CONFIG_PATH, jupyter_config_path, prefer_environment_over_user
    from jupyter_server.extension.config import ExtensionConfigManager

    if importlib.util.find_spec("jmcp_ext") is None:
        return failed("extension", "jmcp_ext is not importable", "pip install --force-reinstall jmcp")
    config_dirs = jupyter_config_path()
    enabled = ExtensionConfigManager(read_config_path=config_dirs).get_jpserver_extensions()
    settings = extension_settings("jmcp_ext", config_dirs)
    decides = _who_decides(settings, prefer_environment_over_user())
    if not enabled.get("jmcp_ext"):
        state = "disabled" if "jmcp_ext" in enabled else "not enabled"
        fix = "jupyter server extension enable jmcp_ext"
        # `enable` writes the environment's drop-in file; a file that outranks it must be edited too.
        enable_writes = Path(ENV_CONFIG_PATH[0], "jupyter_server_config.d", "jmcp_ext.json")
        if settings and settings[0].path != enable_writes:
            fix += f", and remove the jmcp_ext entry from {settings[0].path}"
        return failed(
            "extension",
            f"jmcp_ext is {state} in Jupyter's config: `jupyter lab` will not serve /mcp (`jmcp start` still does); "
            f"{decides}",
            fix,
        )
    return passed("extension", f"jmcp_ext enabled for every Jupyter server: {decides}")


def check_crdt() -> Check:
    fork = _version("datalayer_pycrdt") or _version("datalayer-pycrdt")
    if fork:
        return failed(
            "crdt stack",
            f"datalayer_pycrdt {fork} is installed beside pycrdt; both provide the `pycrdt` module",
            "pip uninstall -y datalayer_pycrdt && pip install --force-reinstall pycrdt",
        )
    try:
        import pycrdt
        from jupyter_ydoc import YNotebook

        notebook = YNotebook(pycrdt.Doc())
        notebook.set({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    except Exception as e:
        return failed(
            "crdt stack", f"pycrdt/jupyter_ydoc do not work together: {e}", "pip install --force-reinstall jmcp"
        )
    return passed("crdt stack", f"pycrdt {_version('pycrdt')}, jupyter_ydoc {_version('jupyter-ydoc')}")


def check_mcp_conflict() -> Check:
    other = _version("jupyter-mcp-server")
    if other:
        return failed(
            "/mcp owner",
            f"jupyter-mcp-server {other} is installed and also registers /mcp (the first extension loaded wins)",
            "pip uninstall -y jupyter-mcp-server",
        )
    return passed("/mcp owner", "no other package claims /mcp")
