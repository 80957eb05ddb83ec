"""Confine paths given by a client to the server's root directory and Jupyter's hidden-file policy."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from .errors import JmcpError


def normalize(path: str, root_dir: str, *, allow_hidden: bool) -> str:
    """Return the API path (relative, '/'-separated) for ``path``, or raise if it leaves the root.

    Absolute paths are accepted only when they point inside the root, and are converted.
    """
    if not isinstance(path, str) or "\x00" in path:
        raise JmcpError("Invalid path: it must be a string without NUL characters.")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise JmcpError(f"Invalid path {path!r}: it is not valid UTF-8.") from None
    raw = path.strip().replace("\\", "/")
    root = Path(root_dir).resolve()
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        try:
            raw = Path(raw).resolve().relative_to(root).as_posix()
        except ValueError:
            raise JmcpError(
                f"Path {path!r} is outside the Jupyter root directory; use a path relative to the root."
            ) from None
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise JmcpError(f"Path {path!r} contains '..'; use a path relative to the Jupyter root directory.")
    api_path = posixpath.join(*parts) if parts else ""
    if not allow_hidden and any(p.startswith(".") for p in parts):
        raise JmcpError(
            f"Path {path!r} is hidden (a component starts with '.'), and this server does not expose hidden "
            "files (ContentsManager.allow_hidden is False)."
        )
    # Symlinks may point anywhere: the real location must still be inside the root.
    real = Path(os.path.realpath(root / api_path))
    if real != root and root not in real.parents:
        raise JmcpError(f"Path {path!r} resolves outside the Jupyter root directory (a symlink?); refused.")
    return api_path


def require_notebook(api_path: str) -> str:
    """Raise unless ``api_path`` names a notebook file."""
    if not api_path.endswith(".ipynb"):
        raise JmcpError(f"{api_path or '/'!r} is not a notebook: notebook tools need a path ending in .ipynb.")
    return api_path
