"""JSON with comments (Zed's settings.json): read it, and set or remove one member in place.

Zed reads its settings with serde_json_lenient: ``//`` and ``/* */`` comments and trailing commas
are allowed. No Python library edits such a file while keeping its comments, so this module parses
the text into values with their offsets and splices one member's text, leaving every other byte as
it was (comments, order, indentation, trailing commas).
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}


class JsoncError(ValueError):
    pass


@dataclass
class Node:
    """A value and where it sits in the text (``end`` is exclusive)."""

    start: int
    end: int
    value: Any
    members: list["Member"] = field(default_factory=list)  # objects only


@dataclass
class Member:
    key: str
    key_start: int
    node: Node


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> JsoncError:
        line = self.text.count("\n", 0, self.pos) + 1
        return JsoncError(f"{what} at line {line}")

    def skip(self) -> None:
        """Skip whitespace and comments."""
        text = self.text
        while self.pos < len(text):
            if text[self.pos] in " \t\r\n\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("unterminated comment")
                self.pos = end + 2
            else:
                return

    def value(self) -> Node:
        self.skip()
        start, text = self.pos, self.text
        if start >= len(text):
            raise self.fail("unexpected end of text")
        char = text[start]
        if char == "{":
            return self.obj()
        if char == "[":
            return self.array()
        if char == '"':
            string = self.string()
            return Node(start, self.pos, string)
        number = _NUMBER.match(text, start)
        if number:
            self.pos = number.end()
            return Node(start, self.pos, json.loads(number.group()))
        for word, literal in _LITERALS.items():
            if text.startswith(word, start):
                self.pos = start + len(word)
                return Node(start, self.pos, literal)
        raise self.fail(f"unexpected {char!r}")

    def string(self) -> str:
        match = re.compile(r'"(?:[^"\\\n]|\\.)*"').match(self.text, self.pos)
        if not match:
            raise self.fail("unterminated string")
        self.pos = match.end()
        return str(json.loads(match.group()))

    def obj(self) -> Node:
        node = Node(self.pos, -1, {})
        self.pos += 1
        while True:
            self.skip()
            if self.text.startswith("}", self.pos):
                break
            if not self.text.startswith('"', self.pos):
                raise self.fail("expected a quoted key")
            key_start = self.pos
            key = self.string()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':'")
            self.pos += 1
            member = Member(key, key_start, self.value())
            node.members.append(member)
            node.value[key] = member.node.value
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("}", self.pos):
                raise self.fail("expected ',' or '}'")
        self.pos += 1
        node.end = self.pos
        return node

    def array(self) -> Node:
        node = Node(self.pos, -1, [])
        self.pos += 1
        while True:
            self.skip()
            if self.text.startswith("]", self.pos):
                break
            node.value.append(self.value().value)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("]", self.pos):
                raise self.fail("expected ',' or ']'")
        self.pos += 1
        node.end = self.pos
        return node


def parse(text: str) -> Node:
    parser = _Parser(text)
    node = parser.value()
    parser.skip()
    if parser.pos != len(text):
        raise parser.fail("unexpected text after the value")
    return node


def loads(text: str) -> Any:
    """The value of a JSON-with-comments text (JsoncError when it does not parse)."""
    return parse(text).value


# --- editing -------------------------------------------------------------------------------------


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _indent_of(text: str, pos: int) -> str:
    """The whitespace that starts the line holding ``pos``."""
    prefix = text[_line_start(text, pos) : pos]
    return prefix[: len(prefix) - len(prefix.lstrip(" \t"))]


def _render(value: Any, indent: str, unit: str) -> str:
    """``value`` as pretty JSON whose continuation lines start at ``indent``."""
    return json.dumps(value, indent=unit, ensure_ascii=False).replace("\n", "\n" + indent)


def _guess_unit(text: str, root: Node) -> str:
    for member in root.members:
        indent = _indent_of(text, member.key_start)
        if indent and text[_line_start(text, member.key_start) : member.key_start].strip() == "":
            return indent
    return "  "


def _after_value(text: str, pos: int) -> tuple[int, bool]:
    """Past a member's value: past its comma (if any) and the rest of its line if that is only a comment."""
    match = re.compile(r"[ \t]*(,)?[ \t]*(//[^\n]*|/\*.*?\*/)?[ \t]*").match(text, pos)
    assert match is not None
    return match.end(), match.group(1) is not None


def _insert(text: str, obj: Node, key: str, value: Any, unit: str) -> str:
    one_line = "\n" not in text[obj.start : obj.end]
    if obj.members and one_line:
        last = obj.members[-1].node
        end, has_comma = _after_value(text, last.end)
        addition = json.dumps({key: value}, ensure_ascii=False)[1:-1]
        if has_comma:
            return text[:end] + " " + addition + "," + text[end:]
        return text[: last.end] + ", " + addition + text[last.end :]
    if obj.members:
        first, last = obj.members[0], obj.members[-1].node
        indent = _indent_of(text, first.key_start)
        end, has_comma = _after_value(text, last.end)
        member = f"\n{indent}{json.dumps(key)}: {_render(value, indent, unit)}" + ("," if has_comma else "")
        text = text[:end] + member + text[end:]
        return text if has_comma else text[: last.end] + "," + text[last.end :]
    outer = _indent_of(text, obj.start)
    indent = outer + unit
    member = f"\n{indent}{json.dumps(key)}: {_render(value, indent, unit)}"
    closing = "" if "\n" in text[obj.start : obj.end] else "\n" + outer
    return text[: obj.start + 1] + member + closing + text[obj.start + 1 :]


def _remove(text: str, obj: Node, index: int) -> str:
    member = obj.members[index]
    line_start = _line_start(text, member.key_start)
    own_line = text[line_start : member.key_start].strip() == ""
    start = line_start if own_line else member.key_start
    end, has_comma = _after_value(text, member.node.end)
    if own_line and text.startswith("\n", end):
        end += 1
    if index == len(obj.members) - 1 and not has_comma and index > 0:
        # The member before ours now ends the object: drop its comma instead of leaving a dangling one.
        scan = _Parser(text)
        scan.pos = obj.members[index - 1].node.end
        scan.skip()
        comma = scan.pos  # the previous member's comma: the first thing after it that is no comment
        return text[:comma] + text[comma + 1 : start] + text[end:]
    return text[:start] + text[end:]


def set_member(text: str, path: tuple[str, ...], value: Any | None) -> str:
    """``text`` with the member at ``path`` set to ``value`` (removed when None); nothing else changes.

    Missing objects on the way are created. Every object on ``path`` must be an object (the
    caller checks that on the parsed value first).
    """
    if not text.strip():
        if value is None:
            return text
        doc: Any = value
        for key in reversed(path):
            doc = {key: doc}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    root = parse(text)
    unit = _guess_unit(text, root)
    node = root
    for depth, key in enumerate(path):
        index = next((i for i, m in enumerate(node.members) if m.key == key), None)
        last = depth == len(path) - 1
        if index is None:
            if value is None:
                return text
            nested: Any = value
            for inner in reversed(path[depth + 1 :]):
                nested = {inner: nested}
            return _insert(text, node, key, nested, unit)
        member = node.members[index]
        if last:
            if value is None:
                return _remove(text, node, index)
            indent = _indent_of(text, member.key_start)
            return text[: member.node.start] + _render(value, indent, unit) + text[member.node.end :]
        if not isinstance(member.node.value, dict):
            raise JsoncError(f"`{'.'.join(path[: depth + 1])}` is not an object")
        node = member.node
    return text
