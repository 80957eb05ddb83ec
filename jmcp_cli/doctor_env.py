"""``jmcp doctor`` checks of the Python environment: packages, kernel, extension config, CRDT stack.

Heavy imports (Jupyter, pycrdt) stay inside the checks that need them.
"""

import importlib.metadata as md
import importlib.util

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


def check_extension_enabled() -> Check:
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager

    if importlib.util.find_spec("jmcp_ext") is None:
        return failed("extension", "jmcp_ext is not importable", "pip install --force-reinstall jmcp")
    enabled = ExtensionConfigManager(read_config_path=jupyter_config_path()).get_jpserver_extensions()
    if not enabled.get("jmcp_ext"):
        state = "disabled" if "jmcp_ext" in enabled else "not enabled"
        return failed(
            "extension",
            f"jmcp_ext is {state} in Jupyter's config: `jupyter lab` will not serve /mcp (`jmcp start` still does)",
            "jupyter server extension enable jmcp_ext",
        )
    return passed("extension", "jmcp_ext enabled for every Jupyter server")


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
