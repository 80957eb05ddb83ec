"""Console output shared by the commands: one Rich console, one way to fail."""

from functools import cache
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console


@cache
def console() -> "Console":
    from rich.console import Console

    return Console(highlight=False)


@cache
def err_console() -> "Console":
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def fail(message: object) -> NoReturn:
    """Print ``Error: message`` on stderr and exit 1 (the CLI boundary for domain errors)."""
    from rich.markup import escape

    err_console().print(f"[bold red]Error:[/] {escape(str(message))}", soft_wrap=True)
    raise typer.Exit(code=1)


def warn(message: str) -> None:
    from rich.markup import escape

    err_console().print(f"[yellow]Warning:[/] {escape(message)}", soft_wrap=True)
