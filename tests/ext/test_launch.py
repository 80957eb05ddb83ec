"""jmcp_ext.launch: JupyterLab's start without rfc3987_syntax's grammar build (IRI checks answer exactly as before),
and with the MCP SDK imported while JupyterLab waits for ``node`` when the endpoint is built at start.

Each case runs in a fresh interpreter: the deferral changes the import system of the process it is used in.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO_ROOT, isolated_env

#: Valid and invalid IRIs and IRI references (non-ASCII, IPv6, empty, relative, spaces, bad escapes).
SAMPLES = [
    "http://example.com/ä?q=ü#frag",
    "https://[2001:db8::1]:8080/path",
    "urn:isbn:0451450523",
    "//host/only",
    "relative/path",
    "",
    "http://exa mple.com",
    "http://example.com/%zz",
    "not an iri ::",
]

CHECKS = """
import jsonschema
checker = jsonschema.Draft7Validator.FORMAT_CHECKER
results = [[checker.conforms(s, f) for f in ("iri", "iri-reference")] for s in SAMPLES]
"""


def _run(code: str, *, deferred: bool) -> Any:
    """Run ``code`` in a new interpreter (after ``launch.defer()`` if ``deferred``); it prints one JSON line."""
    prelude = "from jmcp_ext import launch\nlaunch.defer()\n" if deferred else ""
    script = f"import json, sys\nSAMPLES = {SAMPLES!r}\n{prelude}{textwrap.dedent(code)}"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_jupyter_servers_imports_leave_the_grammar_unbuilt() -> None:
    loaded = _run(
        """
        import jupyter_server.serverapp, jupyterlab.labapp, jupyter_events.validators
        print(json.dumps(["lark" in sys.modules, type(sys.modules["rfc3987_syntax"]).__name__]))
        """,
        deferred=True,
    )
    # jsonschema did import the name (its checkers are registered), and got the stand-in, not Lark
    assert loaded == [False, "_StandIn"]


def test_iri_checks_give_what_they_give_without_the_deferral() -> None:
    check = CHECKS + 'print(json.dumps([results, "lark" in sys.modules, type(sys.modules["rfc3987_syntax"]).__name__]))'
    deferred, lark_loaded, module = _run(check, deferred=True)
    expected, _, _ = _run(check, deferred=False)
    assert deferred == expected
    assert [True, True] in expected and [False, False] in expected  # the samples do tell the two apart
    assert lark_loaded and module == "module"  # the first check loaded the real package in its place


def test_other_names_and_submodules_come_from_the_real_package() -> None:
    found = _run(
        """
        import rfc3987_syntax
        import rfc3987_syntax.utils
        terms = rfc3987_syntax.RFC3987_SYNTAX_TERMS  # any other name loads the real package
        print(json.dumps([callable(rfc3987_syntax.utils.load_grammar), "iri" in terms,
                          type(sys.modules["rfc3987_syntax"]).__name__]))
        """,
        deferred=True,
    )
    assert found == [True, True, "module"]


def test_an_absent_package_still_fails_to_import() -> None:
    failed = _run(
        """
        launch.DEFERRED = "no_such_package_for_jmcp_tests"
        launch.defer()
        try:
            import no_such_package_for_jmcp_tests  # noqa: F401
        except ModuleNotFoundError as exc:
            print(json.dumps(exc.name))
        """,
        deferred=True,
    )
    assert failed == "no_such_package_for_jmcp_tests"


@pytest.mark.parametrize("imported_first", [True, False])
def test_defer_after_the_real_import_changes_nothing(imported_first: bool) -> None:
    module = _run(
        f"""
        if {imported_first}:
            sys.meta_path.remove(launch._FINDER)  # undo the prelude's deferral, import for real, defer again
            import rfc3987_syntax
            launch.defer()
        import rfc3987_syntax
        print(json.dumps([type(rfc3987_syntax).__name__, launch._FINDER in sys.meta_path]))
        """,
        deferred=True,
    )
    assert module == (["module", False] if imported_first else ["_StandIn", True])


def test_the_sdk_is_imported_in_a_thread_while_jupyterlab_asks_node() -> None:
    outcome = _run(
        """
        import importlib.abc, logging, threading
        importers = []

        class Watch(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name == "mcp_types":
                    importers.append(threading.current_thread().name)
                return None

        sys.meta_path.insert(0, Watch())
        patched = launch.import_sdk_while_node_answers()
        from jupyterlab import commands
        before = "mcp" in sys.modules
        first = commands._yarn_config(logging.getLogger("test"))
        after = "mcp.server.mcpserver" in sys.modules
        second = commands._yarn_config(logging.getLogger("test"))  # the original again: once is enough
        print(json.dumps([patched, before, after, importers, first == second, commands._yarn_config.__name__]))
        """,
        deferred=True,
    )
    # Not imported until JupyterLab asks node; imported, in the launcher's thread, by the time it has its answer,
    # which is the one it would have had.
    assert outcome == [True, False, True, ["jmcp-sdk-import"], True, "_yarn_config"]


@pytest.mark.parametrize(
    ("args", "asks_node"),
    [(["--JMCPExtension.build_at_start=True", "--port=0"], "ask_yarn_meanwhile"), (["--port=0"], "_yarn_config")],
)
def test_the_sdk_is_imported_early_only_for_a_build_at_start(args: list[str], asks_node: str) -> None:
    asked = _run(
        f"""
        launch.prepare({args!r})
        from jupyterlab import commands
        print(json.dumps([commands._yarn_config.__name__, "mcp" in sys.modules]))
        """,
        deferred=True,
    )
    assert asked == [asks_node, False]  # and nothing imported yet: that waits for JupyterLab to ask node


def test_the_launcher_runs_jupyterlab_with_its_arguments(tmp_path: Path) -> None:
    # The README offers `python -m jmcp_ext.launch ARGS` in place of `jupyter lab ARGS`.
    env = isolated_env(tmp_path / "home")
    lab, launched = (
        subprocess.run([sys.executable, "-m", name, "--version"], env=env, capture_output=True, text=True, timeout=120)
        for name in ("jupyterlab", "jmcp_ext.launch")
    )
    assert launched.returncode == 0, launched.stderr
    assert launched.stdout == lab.stdout and lab.stdout.strip()
