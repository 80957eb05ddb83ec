"""The ``jmcp`` command: registers the subcommands; each lives in its own small module."""

from typing import Annotated

import typer

from . import cmd_config, cmd_doctor, cmd_start, cmd_token

app = typer.Typer(
    name="jmcp",
    help="Let MCP clients (Claude Code, Cursor, VS Code, Codex, ...) edit and run Jupyter notebooks live.\n\n"
    "Quick start: `jmcp start`, then in another terminal `jmcp config claude`.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from jmcp_ext._version import __version__

        typer.echo(f"jmcp {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", help="Show the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Let MCP clients edit and run Jupyter notebooks live."""


app.command(
    "start",
    epilog=cmd_start.EPILOG,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": False},
)(cmd_start.start_command)
app.command("config", epilog=cmd_config.EPILOG)(cmd_config.config_command)
app.command("token", epilog=cmd_token.EPILOG)(cmd_token.token_command)
app.command("doctor", epilog=cmd_doctor.EPILOG)(cmd_doctor.doctor_command)
