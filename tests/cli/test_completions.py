import os
import subprocess
import sys

import pytest

from jmcp_cli import completions


@pytest.mark.parametrize("shell", list(completions.FILES))
def test_checked_in_completion_script_matches_the_cli(shell: str) -> None:
    checked_in = (completions.DEFAULT_DIR / completions.FILES[shell]).read_text(encoding="utf-8")
    assert checked_in == completions.script(shell), (
        f"completions/{completions.FILES[shell]} is stale: run `python -m jmcp_cli.completions`"
    )


def _complete_bash(words: str, cword: int) -> list[str]:
    env = dict(os.environ, COMP_WORDS=words, COMP_CWORD=str(cword), _JMCP_COMPLETE="complete_bash")
    proc = subprocess.run(
        [sys.executable, "-m", "jmcp_cli"], env=env, capture_output=True, text=True, timeout=30, check=True
    )
    return proc.stdout.split()


def test_bash_completion_offers_commands_and_clients() -> None:
    assert _complete_bash("jmcp con", 1) == ["config"]
    assert _complete_bash("jmcp config cl", 2) == ["claude", "claude-desktop"]
    assert "--scope" in _complete_bash("jmcp config claude --sc", 3)
