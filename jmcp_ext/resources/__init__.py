"""Notebooks as MCP resources: listed, read as markdown, and followed live by subscribers."""

from .feed import NotebookFeed
from .protocol import register_resources
from .uris import TEMPLATE, notebook_uri, path_of

__all__ = ["TEMPLATE", "NotebookFeed", "notebook_uri", "path_of", "register_resources"]
