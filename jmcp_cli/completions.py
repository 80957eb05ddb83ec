"""Generate the shell completion scripts kept in ``completions/``.

Run ``python -m jmcp_cli.completions [DIR]`` after changing the CLI; a test fails when they drift.
The scripts call back into ``jmcp`` (``_JMCP_COMPLETE=...``) for the actual candidates.
"""

import sys
from pathlib import Path

PROG = "jmcp"
COMPLETE_VAR = "_JMCP_COMPLETE"
FILES = {"bash": "jmcp.bash", "zsh": "_jmcp", "fish": "jmcp.fish"}
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "completions"


def script(shell: str) -> str:
    from typer._completion_shared import get_completion_script

    # Importing the app registers typer's completion classes for every shell.
    from .main import app  # noqa: F401

    text = get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)
    return text.rstrip("\n") + "\n"


def write_all(directory: Path = DEFAULT_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, name in FILES.items():
        path = directory / name
        path.write_text(script(shell), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR):
        print(path)
