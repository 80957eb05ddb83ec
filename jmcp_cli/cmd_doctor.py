"""``jmcp doctor``: run the checks, render them, exit 0 only when none failed."""

import json
from pathlib import Path
from typing import Annotated

import typer

from . import client_configs, servers
from .errors import JmcpError
from .ui import console, fail

EPILOG = """Examples:

\b
  jmcp doctor
  jmcp doctor --url http://127.0.0.1:8888/ --token "$JUPYTER_TOKEN"
  jmcp doctor --json
"""

MARKS = {"pass": "[green]✓ pass[/]", "fail": "[red]✗ fail[/]", "skip": "[dim]- skip[/]"}


def doctor_command(
    url: Annotated[str | None, typer.Option(help="Server to check (default: the running or last started one).")] = None,
    token: Annotated[str | None, typer.Option(help="Token for that server (default: found as for `config`).")] = None,
    name: Annotated[str, typer.Option(help="Entry name to look for in client configs.")] = client_configs.DEFAULT_NAME,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Check the installation, the server, live editing and client configs; say how to fix failures."""
    from . import doctor

    try:
        server = servers.find_server(url, token)
    except JmcpError as e:
        fail(e)
    checks = doctor.run_checks(server, name, Path.home(), Path.cwd())
    ok = all(c.ok for c in checks)
    if as_json:
        payload = {
            "ok": ok,
            "server": server.base_url,
            "mcp_url": server.mcp_url,
            "checks": [c.to_dict() for c in checks],
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=f"jmcp doctor: {server.mcp_url}", title_justify="left")
        table.add_column("check", style="bold", no_wrap=True)
        table.add_column("result", no_wrap=True)
        table.add_column("detail / fix", overflow="fold")
        for c in checks:
            text = escape(c.detail)
            if c.fix:
                text += f"\n[yellow]fix:[/] {escape(c.fix)}"
            table.add_row(c.name, MARKS[c.status], text)
        console().print(table)
        failures = sum(not c.ok for c in checks)
        console().print("[green]All checks passed.[/]" if ok else f"[red]{failures} check(s) failed.[/]")
    raise typer.Exit(0 if ok else 1)
