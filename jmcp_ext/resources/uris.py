"""jmcp's resource URIs: ``jupyter://notebook/PATH``, with PATH the notebook's Jupyter API path, percent-encoded.

Why this shape: the scheme names the system the resource lives in (a Jupyter server) rather than a file
(``file://`` would promise the raw file and an absolute server path, while a read returns a rendered view);
the ``notebook`` part names the kind of resource, so other kinds could follow without a new scheme; and PATH
is the same relative path the tools take and JupyterLab shows (``/lab/tree/PATH``). PATH is encoded as RFC 3986
wants (``/`` kept, everything outside the unreserved set as UTF-8 ``%XX``), which is what the template's
``{+path}`` matches and decodes.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

PREFIX = "jupyter://notebook/"
#: The resource template for any notebook under the root (RFC 6570 reserved expansion keeps the slashes).
TEMPLATE = PREFIX + "{+path}"


def notebook_uri(path: str) -> str:
    """The resource URI of the notebook at API path ``path``."""
    return PREFIX + quote(path, safe="/")


def path_of(uri: str) -> str | None:
    """The API path a notebook URI names, or None when ``uri`` is not one of jmcp's notebook URIs."""
    if not uri.startswith(PREFIX):
        return None
    try:
        path = unquote(uri[len(PREFIX) :], errors="strict")
    except UnicodeDecodeError:
        return None
    return path or None
