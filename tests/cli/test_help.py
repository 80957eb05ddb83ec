import subprocess
import sys

import pytest

from jmcp_cli.main import app

from .helpers import run

COMMANDS = ["start", "config", "token", "doctor"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output
    assert f"jmcp {command}" in result.output


def test_all_commands_are_covered() -> None:
    from typer.main import get_command

    group = get_command(app)
    assert sorted(group.commands) == sorted(COMMANDS)  # type: ignore[attr-defined]


def test_version() -> None:
    from jmcp_ext._version import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"jmcp {__version__}"


def test_importing_the_cli_loads_no_jupyter_mcp_or_pycrdt_module() -> None:
    code = (
        "import sys, jmcp_cli.main\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('jupyter_server', 'jupyterlab', 'jupyter_client', 'jupyter_core', 'mcp', 'pycrdt', 'httpx2', 'tornado',"
        " 'jmcp_ext'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    # jmcp_ext (the package __init__ and _version) is cheap and allowed; nothing below it.
    assert out.stdout.strip() in ("[]", "['jmcp_ext', 'jmcp_ext._version']")
