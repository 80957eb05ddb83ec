"""``python -m jmcp_cli`` runs the ``jmcp`` command."""

from .main import app

app(prog_name="jmcp")
