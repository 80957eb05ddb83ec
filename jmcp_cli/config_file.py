"""Merge one server entry into a client's config file: atomic, backed up, never clobbering.

Only ``keys + [name]`` is added, replaced or removed; every other key stays as it was. A file
that does not parse is refused, never overwritten. Writing what is already there changes nothing.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigFileError
from .private_files import write_private

Format = Literal["json", "toml"]
BACKUP_SUFFIX = ".jmcp-backup"


@dataclass(frozen=True)
class Target:
    """Where a client keeps its servers: a file, its format, and the key path of the servers table."""

    path: Path
    fmt: Format
    keys: tuple[str, ...]


@dataclass(frozen=True)
class WriteResult:
    path: Path
    changed: bool
    backup: Path | None


def load_document(path: Path, fmt: Format) -> dict[str, Any]:
    """The parsed file; ``{}`` when it is missing or blank; ConfigFileError when it does not parse."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigFileError(f"cannot read {path}: {e}") from e
    if not text.strip():
        return {}
    import tomllib

    try:
        doc = json.loads(text) if fmt == "json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as e:
        raise ConfigFileError(f"{path} is not valid {fmt.upper()} ({e}); fix or move it, it was left untouched") from e
    if not isinstance(doc, dict):
        raise ConfigFileError(f"{path} does not hold a {fmt.upper()} object at the top; it was left untouched")
    return doc


def get_entry(doc: dict[str, Any], keys: tuple[str, ...], name: str) -> Any:
    node: Any = doc
    for key in (*keys, name):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def with_entry(doc: dict[str, Any], keys: tuple[str, ...], name: str, entry: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of ``doc`` with ``keys/name`` set to ``entry`` (or removed when ``entry`` is None)."""
    import copy

    new = copy.deepcopy(doc)
    node = new
    for depth, key in enumerate(keys):
        child = node.get(key)
        if child is None:
            if entry is None:
                return new
            child = node[key] = {}
        if not isinstance(child, dict):
            where = ".".join(keys[: depth + 1])
            raise ConfigFileError(f"`{where}` is not an object in the existing file; it was left untouched")
        node = child
    if entry is None:
        node.pop(name, None)
    else:
        node[name] = copy.deepcopy(entry)
    return new


def dump(doc: dict[str, Any], fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    import tomli_w

    return tomli_w.dumps(doc)


def write_entry(target: Target, name: str, entry: dict[str, Any] | None) -> WriteResult:
    """Set (or with ``entry=None`` remove) our entry in ``target``; see the module docstring."""
    # Write through a symlink (dotfile managers), not over it.
    try:
        path = target.path.resolve(strict=False) if target.path.is_symlink() else target.path
    except (OSError, RuntimeError) as e:  # a symlink loop
        raise ConfigFileError(f"cannot follow the symlink {target.path}: {e}; it was left untouched") from e
    if path.exists() and not path.is_dir() and not path.stat().st_mode & 0o222:
        # os.replace would succeed in a writable folder: respect the user's read-only mark instead.
        raise ConfigFileError(f"{path} is read-only; make it writable or use --print, it was left untouched")
    doc = load_document(path, target.fmt)
    new = with_entry(doc, target.keys, name, entry)
    if new == doc and (path.exists() or entry is None):
        return WriteResult(path, changed=False, backup=None)
    backup = None
    try:
        if path.exists():
            import shutil

            backup = path.with_name(path.name + BACKUP_SUFFIX)
            shutil.copyfile(path, backup)
            os.chmod(backup, 0o600)
        write_private(path, dump(new, target.fmt))
    except OSError as e:
        raise ConfigFileError(f"cannot write {path}: {e}; the file was left as it was") from e
    return WriteResult(path, changed=True, backup=backup)
