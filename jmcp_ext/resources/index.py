"""Which notebooks are under the Jupyter root, listed without opening any of them.

A walk of the root is kept as one entry per folder with the folder's modification time. Refreshing it stats
each known folder and re-reads only those whose time changed (a folder's time changes when an entry is added,
removed or renamed in it), so keeping the list current on a tree of 10,000 files costs a few milliseconds. The
walk follows the contents manager's listing rules: its hide globs, its hidden-file policy, and no symlink that
leads out of the root (jmcp would refuse to open what it leads to). Contents managers that are not backed by
the local file system are walked through the contents API instead, with a cap.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import logging
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jupyter_core.utils import ensure_async

log = logging.getLogger(__name__)

#: Entries read at most by one walk through the contents API (for managers without a local root).
CONTENTS_WALK_LIMIT = 20_000
#: Folders a local walk visits at most: a root with a huge tree (a home folder) costs a bounded ~100 ms a refresh.
MAX_FOLDERS = 10_000


@dataclass
class _Folder:
    mtime_ns: int
    notebooks: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _hidden_by_os(os_path: str, st: os.stat_result) -> bool:
    """Jupyter's own test for files hidden by the OS (dot names are handled before)."""
    from jupyter_core.paths import is_file_hidden

    try:
        return bool(is_file_hidden(os_path, stat_res=st))
    except OSError:
        return True


class FolderWalk:
    """The notebooks under a local root folder, refreshed by re-reading only the folders that changed."""

    def __init__(
        self,
        root_dir: str,
        *,
        allow_hidden: Callable[[], bool],
        should_list: Callable[[str], bool],
        max_folders: int = MAX_FOLDERS,
    ) -> None:
        self._root = os.path.realpath(root_dir)
        self._allow_hidden = allow_hidden
        self._should_list = should_list
        self._max_folders = max_folders
        self._folders: dict[str, _Folder] = {}
        #: True when the last walk stopped at ``max_folders`` (the list then leaves some notebooks out).
        self.truncated = False

    def walk(self, rescan: frozenset[str] = frozenset()) -> list[str] | None:
        """Refresh; returns the sorted notebook paths if anything was re-read, else None (nothing changed).

        ``rescan`` names folders to re-read even if their time looks unchanged (coarse file-system clocks).
        """
        folders: dict[str, _Folder] = {}
        reread = False
        # Each folder carries the identities of the folders above it: a symlink back up is a loop.
        pending: list[tuple[str, frozenset[tuple[int, int]]]] = [("", frozenset())]
        self.truncated = False
        while pending:
            if len(folders) >= self._max_folders:
                self.truncated = True
                break
            rel, above = pending.pop()
            try:
                st = os.stat(os.path.join(self._root, rel))
            except OSError:
                continue
            identity = (st.st_dev, st.st_ino)
            if identity in above or rel in folders:
                continue
            folder = self._folders.get(rel)
            if folder is None or folder.mtime_ns != st.st_mtime_ns or rel in rescan:
                folder = self._scan(rel, st.st_mtime_ns)
                reread = True
            folders[rel] = folder
            pending.extend((child, above | {identity}) for child in folder.folders)
        if not reread and folders.keys() == self._folders.keys():
            return None
        self._folders = folders
        return sorted(path for folder in folders.values() for path in folder.notebooks)

    def _scan(self, rel: str, mtime_ns: int) -> _Folder:
        folder = _Folder(mtime_ns)
        allow_hidden = self._allow_hidden()
        try:
            entries = list(os.scandir(os.path.join(self._root, rel)))
        except OSError:
            return folder
        for entry in entries:
            name = entry.name
            if (name.startswith(".") and not allow_hidden) or not self._should_list(name):
                continue
            try:
                name.encode("utf-8")  # jmcp refuses paths that are not valid UTF-8
                is_dir = entry.is_dir()
                if not is_dir and not name.endswith(".ipynb"):
                    continue
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode) and not (os.path.exists(entry.path) and self._inside_root(entry.path)):
                    continue  # a broken link, or one that leads out of the root
                if not allow_hidden and _hidden_by_os(entry.path, st):
                    continue
            except (OSError, UnicodeEncodeError):
                continue
            (folder.folders if is_dir else folder.notebooks).append(_join(rel, name))
        return folder

    def _inside_root(self, os_path: str) -> bool:
        real = os.path.realpath(os_path)
        return real == self._root or real.startswith(self._root + os.sep)


async def walk_contents(contents_manager: Any, limit: int = CONTENTS_WALK_LIMIT) -> list[str]:
    """The notebook paths a contents manager lists, walked through its API (at most ``limit`` entries)."""
    notebooks: list[str] = []
    pending = [""]
    read = 0
    while pending and read < limit:
        folder = pending.pop()
        try:
            model = await ensure_async(contents_manager.get(folder, content=True, type="directory"))
        except Exception:
            continue
        for entry in model.get("content") or []:
            read += 1
            if entry.get("type") == "directory":
                pending.append(entry["path"])
            elif entry.get("type") == "notebook" or str(entry.get("path", "")).endswith(".ipynb"):
                notebooks.append(entry["path"])
    return sorted(notebooks)


class NotebookIndex:
    """The sorted notebook paths under the root, refreshed cheaply, paged with opaque cursors."""

    def __init__(self, contents_manager: Any, root_dir: str) -> None:
        self._cm = contents_manager
        from jupyter_server.services.contents.fileio import FileManagerMixin

        self._walk: FolderWalk | None = None
        if isinstance(contents_manager, FileManagerMixin):
            self._walk = FolderWalk(
                str(getattr(contents_manager, "root_dir", root_dir)),
                allow_hidden=lambda: bool(getattr(contents_manager, "allow_hidden", False)),
                should_list=contents_manager.should_list,  # type: ignore[attr-defined]  # a ContentsManager
            )
        self._paths: list[str] = []
        self._members: frozenset[str] = frozenset()
        self._refreshed: float | None = None
        self._lock = asyncio.Lock()

    @property
    def local(self) -> bool:
        """True when the root is a local folder (cheap refreshes); False for other contents managers."""
        return self._walk is not None

    def __contains__(self, path: object) -> bool:
        return path in self._members

    def __len__(self) -> int:
        return len(self._paths)

    def paths(self) -> list[str]:
        return list(self._paths)

    async def refresh(self, rescan: frozenset[str] = frozenset()) -> bool:
        """Bring the list up to date; True if the set of notebooks changed since the last refresh."""
        async with self._lock:
            first = self._refreshed is None
            if self._walk is not None:
                paths = await asyncio.to_thread(self._walk.walk, rescan)
                if self._walk.truncated and first:
                    log.warning(
                        "jmcp lists the notebooks of the first %d folders under the root only; the others can "
                        "still be read by URI (jupyter://notebook/PATH)",
                        MAX_FOLDERS,
                    )
            else:
                paths = await walk_contents(self._cm)
            self._refreshed = time.monotonic()
            if paths is None or paths == self._paths:
                return False
            self._paths, self._members = paths, frozenset(paths)
            return not first

    async def fresh(self, max_age: float) -> None:
        """Refresh unless that was done less than ``max_age`` seconds ago."""
        if self._refreshed is None or time.monotonic() - self._refreshed > max_age:
            await self.refresh()

    def page(self, cursor: str | None, size: int) -> tuple[list[str], str | None]:
        """Up to ``size`` paths after ``cursor``, and the cursor of the next page (None at the end).

        A cursor names the last path returned, so pages stay consistent while notebooks come and go.
        """
        start = 0 if cursor is None else bisect.bisect_right(self._paths, decode_cursor(cursor))
        chunk = self._paths[start : start + size]
        more = start + size < len(self._paths)
        return chunk, (encode_cursor(chunk[-1]) if more and chunk else None)


def encode_cursor(path: str) -> str:
    return base64.urlsafe_b64encode(path.encode()).decode()


def decode_cursor(cursor: str) -> str:
    """The path a cursor names; raises ValueError for a cursor this server did not hand out."""
    try:
        path = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except Exception:
        path = ""
    if not path:
        raise ValueError(f"Invalid cursor {cursor!r}: pass the nextCursor of a previous resources/list.")
    return path
