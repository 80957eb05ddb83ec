"""``jmcp start``: the thin command over :mod:`jmcp_cli.start`."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import servers, tokens
from .errors import JmcpError
from .ui import console, fail, warn

if TYPE_CHECKING:
    from .start import Started

EPILOG = """Examples:

\b
  jmcp start
  jmcp start --port 0 --notebook-dir ~/notebooks --no-browser
  jmcp start -- --ServerApp.terminals_enabled=False
"""


def _panel(started: "Started", root: Path) -> None:
    from rich.panel import Panel
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    grid.add_row("JupyterLab", f"{started.base_url}lab?token={started.token}")
    grid.add_row("MCP URL", f"{started.base_url}mcp")
    grid.add_row("Token", f"{tokens.mask(started.token)}  (full: jmcp token --show)")
    grid.add_row("Notebooks", str(root))
    rtc = started.health.get("rtc")
    if rtc is False:
        grid.add_row("Live edits", "[yellow]off: collaboration is not enabled (run jmcp doctor)[/]")
    grid.add_row("Log", str(started.log))
    grid.add_row("Next", "[cyan]jmcp config claude[/]   (or cursor, vscode, codex, gemini, ...)")
    console().print(Panel(grid, title="jmcp is running", subtitle="Ctrl-C to stop", border_style="green"))


def start_command(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port for JupyterLab and MCP; 0 picks a free one.")] = servers.DEFAULT_PORT,
    ip: Annotated[str, typer.Option(help="Address to listen on. Non-loopback addresses expose your kernels.")] = (
        servers.DEFAULT_IP
    ),
    notebook_dir: Annotated[
        Path | None,
        typer.Option(help="Directory JupyterLab serves (default: the current one).", file_okay=False, exists=True),
    ] = None,
    token: Annotated[str | None, typer.Option(help="Use (and store) this token instead of the stored one.")] = None,
    new_token: Annotated[bool, typer.Option("--new-token", help="Generate and store a new token first.")] = False,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser tab.")] = False,
) -> None:
    """Start JupyterLab with the MCP endpoint and wait until it answers.

    Arguments after `--` go to `jupyter lab` unchanged.
    """
    from . import ports, start

    try:
        if token and new_token:
            fail("use either --token or --new-token, not both")
        if token:
            tokens.store(token)
        elif new_token:
            token = tokens.rotate()
            warn("new token stored: refresh your client configs (jmcp token --update-configs)")
        else:
            token = tokens.load_or_create()
        if not ports.is_loopback(ip):
            warn(
                f"listening on {ip}: anyone who can reach this address and has the token can run code "
                "on this machine. Use --ip 127.0.0.1 unless you need remote access."
            )
        chosen = start.resolve_port(ip, port)
        opts = start.StartOptions(
            port=chosen,
            ip=ip,
            notebook_dir=notebook_dir.resolve() if notebook_dir else None,
            open_browser=not no_browser,
            extra_args=list(ctx.args),
        )
        root = opts.notebook_dir or Path.cwd()

        def waiting() -> object:
            return console().status(f"Starting JupyterLab on port {chosen}…", spinner="dots")

        code = start.run(opts, token, waiting, lambda s: _panel(s, root))
        console().print("JupyterLab stopped.")
        raise typer.Exit(code)
    except JmcpError as e:
        fail(e)
