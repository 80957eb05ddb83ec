"""``python -m jmcp_ext.launch ARGS``: ``jupyter lab ARGS``, without two avoidable waits of its start-up.

``jmcp start`` launches JupyterLab this way.

1. An IRI grammar nobody uses. Jupyter's event system validates with jsonschema's non-GPL format
checkers, and jsonschema imports every checker's backend when it is first imported. For the ``iri`` formats
that backend is ``rfc3987_syntax``, which compiles four Earley parsers from its Lark grammar as it is
imported: 1.1-1.3 s of CPU on a 2-core machine, over half of JupyterLab's whole start, although no Jupyter
schema uses those formats (jupyter_server#1559, jsonschema#1428).

Here the import of ``rfc3987_syntax`` yields a stand-in module instead. Its ``is_valid_syntax`` (the one name
jsonschema imports) and any other attribute load the real package on first use and answer from it, so an
``iri`` check validates exactly as before; it is only the first one that pays for the grammar. If the package
is not installed, its import fails as it always did. A plain ``jupyter lab`` does not run this.

2. Waiting on ``node`` with Python idle. Importing ``jupyterlab.labapp`` asks ``node`` for yarn's configuration
(about 0.3 s here, with Python blocked on the pipe). When the MCP endpoint is to be built at start
(``--JMCPExtension.build_at_start=True``, which ``jmcp start`` passes), the MCP SDK's import (about 0.5 s of
CPU, which the build would do anyway) runs in a thread during that wait, and JupyterLab's start carries on once
both are done. The overlap is confined to the wait: a thread importing alongside JupyterLab's own CPU-bound
start only slowed both down (measured in an earlier round). Without ``node``, or if JupyterLab no longer asks
it this way, nothing overlaps and nothing else changes.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import runpy
import sys
import threading
import types
from collections.abc import Sequence
from typing import Any

#: The module deferred, and the names its importers take from it without using them yet.
DEFERRED = "rfc3987_syntax"
CALLABLES = ("is_valid_syntax",)
#: The option under which the SDK's import fills JupyterLab's wait on ``node``, and what is imported then: the
#: SDK modules jmcp's build imports (they import no Jupyter module, so nothing the start-up holds).
BUILD_AT_START = "--JMCPExtension.build_at_start=True"
SDK_MODULES = (
    "mcp.server.mcpserver",
    "mcp.server.streamable_http_manager",
    "mcp.server.runner",
    "mcp.server.transport_security",
)
#: How long JupyterLab's start waits for that import after ``node`` answered (it takes about 0.5 s of CPU).
SDK_IMPORT_WAIT = 10.0


class _StandIn(types.ModuleType):
    """What ``import rfc3987_syntax`` gives until the real package is needed."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # import machinery and introspection: no reason to compile anything
        return getattr(_real(), name)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers the import of ``DEFERRED`` (and only that name) with a ``_StandIn``, if the package exists."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != DEFERRED:
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname)
        if real is None or real.submodule_search_locations is None:
            return None  # not installed (its import fails as usual), or not the package this expects
        spec = importlib.util.spec_from_loader(fullname, self, is_package=True)
        assert spec is not None  # with a loader given, there always is one
        # A package at the real one's location: `import rfc3987_syntax.utils` runs the real submodule.
        spec.submodule_search_locations = list(real.submodule_search_locations)
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StandIn(spec.name, "jmcp_ext.launch's stand-in until the package is first used")
        for name in CALLABLES:
            setattr(module, name, _forwarding(name))
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


_FINDER = _Finder()
_lock = threading.RLock()  # reentrant: the real package, being imported, could ask for itself
_loaded: list[types.ModuleType] = []


def _real() -> types.ModuleType:
    """The real package, imported on first need (the stand-in leaves ``sys.modules`` for it)."""
    with _lock:
        if not _loaded:
            if _FINDER in sys.meta_path:
                sys.meta_path.remove(_FINDER)
            if isinstance(sys.modules.get(DEFERRED), _StandIn):
                del sys.modules[DEFERRED]
            _loaded.append(importlib.import_module(DEFERRED))
        return _loaded[0]


def _forwarding(name: str) -> Any:
    def forward(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real(), name)(*args, **kwargs)

    forward.__name__ = forward.__qualname__ = name
    return forward


def defer() -> None:
    """From now on, ``import rfc3987_syntax`` gives the stand-in (unless it was imported already)."""
    if DEFERRED not in sys.modules and _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def import_sdk_while_node_answers() -> bool:
    """Have the next ``jupyterlab.commands._yarn_config`` import the SDK meanwhile; False if there is no such step."""
    try:
        from jupyterlab import commands
    except ImportError:
        return False
    ask_yarn = getattr(commands, "_yarn_config", None)
    if not callable(ask_yarn):
        return False

    def ask_yarn_meanwhile(*args: Any, **kwargs: Any) -> Any:
        commands._yarn_config = ask_yarn  # once
        importing = threading.Thread(target=_import_sdk, name="jmcp-sdk-import", daemon=True)
        importing.start()
        try:
            return ask_yarn(*args, **kwargs)
        finally:
            importing.join(timeout=SDK_IMPORT_WAIT)

    commands._yarn_config = ask_yarn_meanwhile
    return True


def _import_sdk() -> None:
    for name in SDK_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # the build imports it again, and reports what is wrong
            return


def prepare(args: Sequence[str]) -> None:
    """What this process does before JupyterLab runs with ``args``."""
    defer()
    if BUILD_AT_START in args:
        import_sdk_while_node_answers()


def main() -> None:
    """Run JupyterLab in this process as ``python -m jupyterlab`` would, without the two waits."""
    prepare(sys.argv[1:])
    runpy.run_module("jupyterlab", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
