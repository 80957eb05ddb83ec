"""Notebooks as tools see them: the document backends (live room, file) and the store that opens them."""

from .files import FileNotebook
from .live import LiveNotebook
from .model import CellDict, Notebook, OutputDict, empty_notebook, find_cell, new_cell
from .store import NotebookStore

__all__ = [
    "CellDict",
    "FileNotebook",
    "LiveNotebook",
    "Notebook",
    "NotebookStore",
    "OutputDict",
    "empty_notebook",
    "find_cell",
    "new_cell",
]
