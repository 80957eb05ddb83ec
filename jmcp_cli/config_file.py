"""Merge one server entry into a client's config file: atomic, backed up, never clobbering.

Only our entry (``keys + [name]``, or the item named ``name`` in a list table) is added, replaced
or removed; every other key, comment and layout stays as it was. A file that does not parse is
refused, never overwritten. Writing what is already there changes nothing. Before writing, the
new text is parsed again and must hold exactly the expected data, or the file is left alone.
"""

import copy
import os
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config_formats import FORMAT_NAMES, Format, dump_plain, parse_plain, round_trip
from .errors import ConfigFileError
from .private_files import write_private

BACKUP_SUFFIX = ".jmcp-backup"


@dataclass(frozen=True)
class Target:
    """Where a client keeps its servers: a file, its format, and the key path of the servers table."""

    path: Path
    fmt: Format
    keys: tuple[str, ...]
    list_key: str | None = None  # the table is a list of objects named by this key, not a mapping
    new_file: tuple[tuple[str, Any], ...] = ()  # top-level keys a file we create starts with


@dataclass(frozen=True)
class WriteResult:
    path: Path
    changed: bool
    backup: Path | None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigFileError(f"cannot read {path}: {e}") from e


def _parse(text: str, path: Path, fmt: Format) -> dict[str, Any]:
    if not text.strip():
        return {}
    name = FORMAT_NAMES[fmt]
    try:
        doc = parse_plain(text, fmt)
    except ValueError as e:
        raise ConfigFileError(f"{path} is not valid {name} ({e}); fix or move it, it was left untouched") from e
    if doc is None and fmt == "yaml":  # only comments
        return {}
    if not isinstance(doc, dict):
        raise ConfigFileError(f"{path} does not hold a {name} object at the top; it was left untouched")
    return doc


def load_document(path: Path, fmt: Format) -> dict[str, Any]:
    """The parsed file; ``{}`` when it is missing or blank; ConfigFileError when it does not parse."""
    return _parse(_read(path), path, fmt)


def get_entry(doc: dict[str, Any], keys: tuple[str, ...], name: str, list_key: str | None = None) -> Any:
    node: Any = doc
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    if list_key is not None:
        items = node if isinstance(node, list) else []
        return next((i for i in items if isinstance(i, dict) and i.get(list_key) == name), None)
    return node.get(name) if isinstance(node, dict) else None


def _put(
    doc: MutableMapping[str, Any],
    target: Target,
    name: str,
    entry: dict[str, Any] | None,
    new_table: Callable[[], MutableMapping[str, Any]],
) -> None:
    """Set (or remove) our entry in ``doc`` in place, creating the tables on the way."""
    keys = target.keys
    table_keys = keys[:-1] if target.list_key is not None else keys
    node = doc
    for depth, key in enumerate(table_keys):
        child = node.get(key)
        if child is None:
            if entry is None:
                return
            child = node[key] = new_table()
        if not isinstance(child, MutableMapping):
            where = ".".join(keys[: depth + 1])
            raise ConfigFileError(f"`{where}` is not an object in the existing file; it was left untouched")
        node = child
    if target.list_key is None:
        if entry is None:
            node.pop(name, None)
        else:
            node[name] = copy.deepcopy(entry)
        return
    items = node.get(keys[-1])
    if items is None:
        if entry is None:
            return
        items = node[keys[-1]] = []
    if not isinstance(items, list):
        raise ConfigFileError(f"`{'.'.join(keys)}` is not a list in the existing file; it was left untouched")
    index = next((i for i, it in enumerate(items) if isinstance(it, dict) and it.get(target.list_key) == name), None)
    if entry is None:
        if index is not None:
            del items[index]
    elif index is None:
        items.append(copy.deepcopy(entry))
    else:
        items[index] = copy.deepcopy(entry)


def with_entry(doc: dict[str, Any], target: Target, name: str, entry: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of ``doc`` with our entry set to ``entry`` (or removed when ``entry`` is None)."""
    new = copy.deepcopy(doc)
    if not new and entry is not None:
        new.update(copy.deepcopy(dict(target.new_file)))
    _put(new, target, name, entry, dict)
    return new


def _empty_frame(target: Target) -> dict[str, Any]:
    """A file we create, holding an empty servers table."""
    frame: dict[str, Any] = dict(target.new_file)
    node = frame
    for key in target.keys[:-1]:
        node = node.setdefault(key, {})
    node[target.keys[-1]] = [] if target.list_key is not None else {}
    return frame


def dump(doc: dict[str, Any], fmt: Format) -> str:
    return dump_plain(doc, fmt)


def _edited_text(text: str, target: Target, name: str, entry: dict[str, Any] | None, expected: dict[str, Any]) -> str:
    """The file's new text: the old one with only our entry changed (or a new file)."""
    if not text.strip():
        return dump_plain(expected, target.fmt)
    if target.fmt == "jsonc":
        from . import jsonc

        assert target.list_key is None, "list tables are not supported in JSON with comments"
        return jsonc.set_member(text, (*target.keys, name), entry)
    doc = round_trip(text, target.fmt)
    _put(doc.doc, target, name, entry, doc.new_table)
    return doc.dump()


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
    text = _read(path)
    doc = _parse(text, path, target.fmt)
    new = with_entry(doc, target, name, entry)
    if new == doc and (path.exists() or entry is None):
        return WriteResult(path, changed=False, backup=None)
    # A file of ours (a Continue block) left with no server would be an invalid block: remove the
    # file itself, keeping the backup.
    removes_file = entry is None and bool(target.new_file) and new == _empty_frame(target)
    try:
        new_text = "" if removes_file else _edited_text(text, target, name, entry, new)
        ok = removes_file or _parse(new_text, path, target.fmt) == new
    except (ValueError, ConfigFileError):
        ok = False
    if not ok:
        raise ConfigFileError(f"could not update {path} without changing other settings; it was left untouched")
    backup = None
    try:
        if path.exists():
            import shutil

            backup = path.with_name(path.name + BACKUP_SUFFIX)
            shutil.copyfile(path, backup)
            os.chmod(backup, 0o600)
        if removes_file:
            path.unlink()
        else:
            write_private(path, new_text)
    except OSError as e:
        raise ConfigFileError(f"cannot write {path}: {e}; the file was left as it was") from e
    return WriteResult(path, changed=True, backup=backup)
