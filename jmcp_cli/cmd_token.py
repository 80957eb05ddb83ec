"""``jmcp token``: show or rotate the stored token."""

from pathlib import Path
from typing import Annotated

import typer

from . import client_configs, config_file, configured_clients, paths, tokens
from .errors import JmcpError
from .ui import console, fail, warn

EPILOG = """Examples:

\b
  jmcp token
  export JMCP_TOKEN="$(jmcp token --show)"
  jmcp token --rotate --update-configs
"""


def token_command(
    show: Annotated[bool, typer.Option("--show", help="Print the whole token (only the token, for scripts).")] = False,
    rotate: Annotated[bool, typer.Option("--rotate", help="Replace the stored token with a new one.")] = False,
    update_configs: Annotated[
        bool,
        typer.Option("--update-configs", help="With --rotate: rewrite client configs that held the old token."),
    ] = False,
    name: Annotated[str, typer.Option(help="Entry name to look for in client configs.")] = client_configs.DEFAULT_NAME,
) -> None:
    """Show the stored token (masked), or rotate it."""
    try:
        if update_configs and not rotate:
            fail("--update-configs only makes sense with --rotate")
        if not rotate:
            token = tokens.load_or_create()
            if show:
                typer.echo(token)
            else:
                console().print(f"Token: {tokens.mask(token)}  (stored in {paths.token_file()}; --show prints it)")
            return
        old = tokens.load()
        new = tokens.rotate()
        console().print(f"New token stored: {tokens.mask(new)}")
        configured = [c for c in configured_clients.find_configured(name, Path.home(), Path.cwd()) if c.entry]
        for c in configured:
            endpoint = configured_clients.endpoint_of(c.entry)
            where = f"{c.client.title} ({c.scope}): {c.target.path}"
            if c.client.token_env:
                var = endpoint.token_env or c.client.token_env
                console().print(f'  {where} reads ${var}: export {var}="$(jmcp token --show)"')
            elif old is None or endpoint.token != old or not endpoint.url:
                continue
            elif update_configs:
                config_file.write_entry(c.target, c.client.entry_key(name), c.client.entry(endpoint.url, new, name))
                console().print(f"  updated {where}")
            else:
                console().print(f"  stale: {where}  → jmcp config {c.client.name} --scope {c.scope}")
        warn("a running server keeps the old token until it is restarted (jmcp start)")
    except JmcpError as e:
        fail(e)
