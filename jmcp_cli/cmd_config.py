"""``jmcp config CLIENT``: write (or print) a client's configuration for this server."""

import json
import shutil
from pathlib import Path
from typing import Annotated

import typer

from . import client_configs, config_file, servers, tokens
from .errors import JmcpError
from .ui import console, fail, warn

EPILOG = """Examples:

\b
  jmcp config claude
  jmcp config claude --scope project
  jmcp config cursor --print
  jmcp config codex --remove
"""


def config_command(
    client: Annotated[
        client_configs.ClientName,
        typer.Argument(help="Which client to configure.", show_default=False),
    ],
    scope: Annotated[
        str | None,
        typer.Option(help=client_configs.scope_help()),
    ] = None,
    name: Annotated[str, typer.Option(help="Name of the server entry.")] = client_configs.DEFAULT_NAME,
    url: Annotated[
        str | None, typer.Option(help="Jupyter server URL (default: the running or last started one).")
    ] = None,
    token: Annotated[str | None, typer.Option(help="Token (default: the server's, else jmcp's stored token).")] = None,
    print_only: Annotated[bool, typer.Option("--print", help="Print the configuration instead of writing it.")] = False,
    remove: Annotated[bool, typer.Option("--remove", help="Remove our entry from the client's config.")] = False,
    file: Annotated[
        Path | None,
        typer.Option(help="Write into this file instead of the client's usual one.", dir_okay=False),
    ] = None,
) -> None:
    """Configure an MCP client to use this Jupyter server."""
    try:
        spec = client_configs.get_client(client)
        home, cwd = Path.home(), Path.cwd()
        if remove:
            target = client_configs.resolve_target(spec, scope, home, cwd, file, name)
            result = config_file.write_entry(target, spec.entry_key(name), None)
            msg = f"Removed {name!r} from" if result.changed else f"No {name!r} entry in"
            console().print(f"{msg} {result.path}")
            return
        server = servers.find_server(url, token)
        secret = server.token or tokens.load_or_create()
        entry = spec.entry(server.mcp_url, secret, name)
        if print_only:
            doc = client_configs.wrap(spec, name, entry)
            text = config_file.dump(doc, spec.fmt)
            typer.echo(text.rstrip("\n"))
            _hints(spec, server, secret, printed=True)
            return
        row = spec.scope(scope)
        target = client_configs.resolve_target(spec, scope, home, cwd, file, name)
        result = config_file.write_entry(target, spec.entry_key(name), entry)
        where = f"{result.path}" + (f" (project {cwd})" if file is None and row.per_project else "")
        if result.changed:
            console().print(f"[green]✓[/] {spec.title}: wrote {name!r} → {server.mcp_url} in {where}")
            if result.backup:
                console().print(f"  previous file kept as {result.backup}")
        else:
            console().print(f"[green]✓[/] {spec.title}: {where} already up to date")
        if spec.token_in_file and row.shared:
            warn(f"{result.path} holds your token: keep it out of version control")
        if row.note:
            console().print(row.note)
        _hints(spec, server, secret, printed=False)
    except JmcpError as e:
        fail(e)


def _hints(spec: client_configs.Client, server: servers.Server, secret: str, printed: bool) -> None:
    out = console() if not printed else None
    lines: list[str] = []
    if not server.running:
        lines.append(f"Note: no server answers at {server.base_url} yet ({server.source}); start it with `jmcp start`.")
    if spec.token_env:
        stored = tokens.load()
        value = '"$(jmcp token --show)"' if secret == stored else json.dumps(secret)
        lines.append(f"{spec.title} reads the token from ${spec.token_env}; in the shell that runs {spec.name}:")
        lines.append(f"  export {spec.token_env}={value}")
    if spec.needs and shutil.which(spec.needs.program) is None:
        lines.append(spec.needs.hint)
    for line in lines:
        if out is not None:
            out.print(line, markup=False)
        else:
            typer.echo(line, err=True)
