"""Small edits from one text to another on a shared text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Text

from jmcp_ext.collab.textedit import line_edits, set_text


def shared(value: str) -> Text:
    doc: Doc = Doc()
    text = doc["t"] = Text(value)
    return text


def test_only_the_changed_characters_of_a_changed_line_are_edited() -> None:
    old = "import os\nx = 1\nprint(x)\n"
    assert line_edits(old, "import os\nx = 42\nprint(x)\n") == [(14, 15, "42")]
    assert line_edits(old, old) == []


def test_added_and_removed_lines_are_separate_edits() -> None:
    old = "a\nb\nc\nd\n"
    new = "a\nB\nc\nd\ne\n"
    assert line_edits(old, new) == [(2, 3, "B"), (8, 8, "e\n")]


def test_set_text_handles_characters_wider_than_one_byte() -> None:
    text = shared("s = 'é😀'\nt = 1\n")
    edits = set_text(text, "s = 'é😀!'\nt = 2\n")
    assert str(text) == "s = 'é😀!'\nt = 2\n" and edits == 2


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\né😀 ", max_size=40), st.text(alphabet="ab\né😀 ", max_size=40))
def test_set_text_always_ends_at_the_new_value(old: str, new: str) -> None:
    text = shared(old)
    set_text(text, new)
    assert str(text) == new
