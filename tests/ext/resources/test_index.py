"""The notebook index: Jupyter's listing rules, refreshes that re-read only changed folders, stable pages."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from jupyter_server.services.contents.filemanager import AsyncFileContentsManager

from jmcp_ext.resources.index import FolderWalk, NotebookIndex


def touch(path: Path, text: str = "{}") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def walk_of(root: Path, *, allow_hidden: bool = False) -> FolderWalk:
    cm = AsyncFileContentsManager(root_dir=str(root), allow_hidden=allow_hidden)
    return FolderWalk(str(root), allow_hidden=lambda: cm.allow_hidden, should_list=cm.should_list)


def test_walk_follows_jupyters_listing_rules(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    for name in ["a.ipynb", "sub/b.ipynb", "sub/deeper/c.ipynb", "notes.txt", "sub/data.csv"]:
        touch(root / name)
    for name in [".hidden.ipynb", ".hid/d.ipynb", "__pycache__/e.ipynb", ".ipynb_checkpoints/a-checkpoint.ipynb"]:
        touch(root / name)
    touch(outside / "o.ipynb")
    os.symlink(outside / "o.ipynb", root / "escape.ipynb")
    os.symlink(outside, root / "escape-dir")
    os.symlink(root / "missing.ipynb", root / "broken.ipynb")
    os.symlink(root / "sub", root / "alias")  # inside the root: listed
    os.symlink(root, root / "sub" / "loop")  # a cycle: must end
    assert walk_of(root).walk() == sorted(
        ["a.ipynb", "sub/b.ipynb", "sub/deeper/c.ipynb", "alias/b.ipynb", "alias/deeper/c.ipynb"]
    )
    with_hidden = walk_of(root, allow_hidden=True).walk()
    assert with_hidden is not None and {".hidden.ipynb", ".hid/d.ipynb"} <= set(with_hidden)
    assert "__pycache__/e.ipynb" not in with_hidden  # hide globs apply whatever the hidden policy


def test_refresh_rereads_only_folders_that_changed(tmp_path: Path) -> None:
    touch(tmp_path / "a/b/c/one.ipynb")
    walk = walk_of(tmp_path)
    assert walk.walk() == ["a/b/c/one.ipynb"]
    assert walk.walk() is None  # nothing changed: nothing re-read
    touch(tmp_path / "a/b/c/two.ipynb")
    assert walk.walk() == ["a/b/c/one.ipynb", "a/b/c/two.ipynb"]
    (tmp_path / "a/b/c/one.ipynb").rename(tmp_path / "a/one.ipynb")
    assert walk.walk() == ["a/b/c/two.ipynb", "a/one.ipynb"]
    (tmp_path / "a/b/c/two.ipynb").unlink()
    os.rmdir(tmp_path / "a/b/c")
    assert walk.walk() == ["a/one.ipynb"]


def test_a_walk_stops_at_its_folder_budget(tmp_path: Path) -> None:
    for i in range(5):
        touch(tmp_path / f"d{i}/n.ipynb")
    cm = AsyncFileContentsManager(root_dir=str(tmp_path))
    walk = FolderWalk(str(tmp_path), allow_hidden=lambda: False, should_list=cm.should_list, max_folders=3)
    listed = walk.walk()
    assert walk.truncated and listed is not None and len(listed) == 2  # the root and two of the five folders


async def test_pages_stay_consistent_while_notebooks_come_and_go(tmp_path: Path) -> None:
    for i in range(10):
        touch(tmp_path / f"nb{i}.ipynb")
    index = NotebookIndex(AsyncFileContentsManager(root_dir=str(tmp_path)), str(tmp_path))
    assert index.local
    await index.refresh()
    first, cursor = index.page(None, 4)
    assert first == ["nb0.ipynb", "nb1.ipynb", "nb2.ipynb", "nb3.ipynb"] and cursor is not None
    touch(tmp_path / "nb00.ipynb")  # sorts before the cursor: not on a later page
    (tmp_path / "nb5.ipynb").unlink()
    assert await index.refresh() is True
    second, cursor = index.page(cursor, 4)
    third, end = index.page(cursor, 4)
    assert second + third == ["nb4.ipynb", "nb6.ipynb", "nb7.ipynb", "nb8.ipynb", "nb9.ipynb"] and end is None
    with pytest.raises(ValueError, match="Invalid cursor"):
        index.page("%%%", 4)


@pytest.mark.slow
def test_a_tree_of_10000_files_is_walked_once_and_then_refreshed_in_milliseconds(tmp_path: Path) -> None:
    # 10,000 files in 400 folders up to ten levels deep; one file in ten is a notebook.
    for folder in range(400):
        base = tmp_path.joinpath(*[f"d{folder % 40}"] + [f"l{level}" for level in range(folder % 10)])
        base.mkdir(parents=True, exist_ok=True)
        for i in range(25):
            (base / (f"n{folder}_{i}.ipynb" if i % 10 == 0 else f"f{folder}_{i}.txt")).write_text("{}")
    walk = walk_of(tmp_path)
    started = time.perf_counter()
    listed = walk.walk()
    first = time.perf_counter() - started
    assert listed is not None and len(listed) == 400 * 3
    started = time.perf_counter()
    assert walk.walk() is None
    unchanged = time.perf_counter() - started
    touch(tmp_path / "d7/l0/l1/late.ipynb")
    started = time.perf_counter()
    again = walk.walk()
    changed = time.perf_counter() - started
    assert again is not None and "d7/l0/l1/late.ipynb" in again
    print(f"\n10,000 files: first walk {first * 1000:.0f} ms, refresh {unchanged * 1000:.1f} ms unchanged, "
          f"{changed * 1000:.1f} ms after one new notebook")  # fmt: skip
    # Generous bounds for a busy 2-core machine; the point is the order of magnitude.
    assert unchanged < 0.25 and changed < 0.25 and first < 5
