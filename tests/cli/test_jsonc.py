"""JSON with comments: parsed like Zed's lenient reader, and edited without touching other text."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jmcp_cli import jsonc

ZED = """// Zed settings
//
// For information on how to configure Zed, see the Zed documentation.
{
  "theme": "One Dark", // my theme
  /* fonts */
  "ui_font_size": 16,
  "context_servers": {
    "other": { "command": "x", "args": [] },
  },
}
"""


def test_comments_and_trailing_commas_are_read() -> None:
    assert jsonc.loads(ZED) == {
        "theme": "One Dark",
        "ui_font_size": 16,
        "context_servers": {"other": {"command": "x", "args": []}},
    }


@pytest.mark.parametrize("text", ['{"a": 1', '{"a" 1}', "{a: 1}", '{"a": 1} x', "/* open", '{"a": "x\n"}'])
def test_invalid_text_is_an_error(text: str) -> None:
    with pytest.raises(jsonc.JsoncError):
        jsonc.loads(text)


def test_adding_a_member_keeps_every_other_byte() -> None:
    new = jsonc.set_member(ZED, ("context_servers", "jupyter"), {"url": "u"})
    assert jsonc.loads(new)["context_servers"] == {"other": {"command": "x", "args": []}, "jupyter": {"url": "u"}}
    assert new.replace('    "jupyter": {\n      "url": "u"\n    },\n', "") == ZED


def test_replacing_and_removing_a_member_restores_the_text() -> None:
    added = jsonc.set_member(ZED, ("context_servers", "jupyter"), {"url": "u"})
    replaced = jsonc.set_member(added, ("context_servers", "jupyter"), {"url": "v"})
    assert jsonc.loads(replaced)["context_servers"]["jupyter"] == {"url": "v"}
    assert jsonc.set_member(replaced, ("context_servers", "jupyter"), None) == ZED


def test_a_missing_table_is_created_at_the_file_indent() -> None:
    text = '{\n    "theme": "x" // keep\n}\n'
    new = jsonc.set_member(text, ("context_servers", "jupyter"), {"url": "u"})
    assert new == (
        '{\n    "theme": "x", // keep\n    "context_servers": {\n        "jupyter": {\n'
        '            "url": "u"\n        }\n    }\n}\n'
    )


@pytest.mark.parametrize("text", ["{}", "{ }", '{"a": 1}', "{\n}\n", '{"a": 1,}', "// c\n{\n  // inside\n}"])
def test_edge_shapes_stay_valid(text: str) -> None:
    new = jsonc.set_member(text, ("s", "n"), {"k": [1, 2]})
    assert jsonc.loads(new) == {**jsonc.loads(text), "s": {"n": {"k": [1, 2]}}}
    assert jsonc.loads(jsonc.set_member(new, ("s", "n"), None)) == {**jsonc.loads(text), "s": {}}


def test_removing_the_last_of_several_members_drops_the_dangling_comma() -> None:
    text = '{\n  "a": 1, // one\n  "b": 2\n}\n'
    assert jsonc.set_member(text, ("b",), None) == '{\n  "a": 1 // one\n}\n'


keys = st.text(st.characters(codec="utf-8", exclude_characters='"\\\x00'), min_size=1, max_size=5)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)


@given(doc=st.dictionaries(keys, values, max_size=4), key=keys, value=values.filter(lambda v: v is not None))
def test_set_then_remove_matches_plain_json_edits(doc: dict, key: str, value: object) -> None:  # type: ignore[type-arg]
    for text in (json.dumps(doc, indent=2), json.dumps(doc)):
        new = jsonc.set_member(text, ("table", key), value)
        expected = {**doc, "table": {**(doc.get("table") if isinstance(doc.get("table"), dict) else {}), key: value}}
        if "table" in doc and not isinstance(doc["table"], dict):
            continue
        assert jsonc.loads(new) == expected
        removed = jsonc.loads(jsonc.set_member(new, ("table", key), None))
        expected["table"].pop(key)
        assert removed == expected
