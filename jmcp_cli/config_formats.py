"""The file formats clients keep their servers in: parse to plain data, dump, and round-trip edits.

Plain data (``parse_plain``) is what jmcp compares and reads entries from. Edits to an existing
file go through a round-trip document (tomlkit, ruamel.yaml) or, for JSON with comments, a text
splice (``jsonc``), so the user's comments and layout stay. Plain JSON files are rewritten whole:
the clients that own them rewrite them the same way. Heavy imports stay inside the functions.
"""

import io
import json
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

Format = Literal["json", "jsonc", "toml", "yaml"]
FORMAT_NAMES: dict[str, str] = {"json": "JSON", "jsonc": "JSON", "toml": "TOML", "yaml": "YAML"}


def parse_plain(text: str, fmt: Format) -> Any:
    """The text's value as plain Python data; ValueError when it does not parse."""
    if fmt == "json":
        return json.loads(text)
    if fmt == "jsonc":
        from . import jsonc

        return jsonc.loads(text)
    if fmt == "toml":
        import tomllib

        return tomllib.loads(text)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as e:
        raise ValueError(str(e).replace("\n", " ")) from e


def _yaml(mapping: int = 2, sequence: int = 4, offset: int = 2) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: keeps comments, key order and quoting
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long token or URL onto a second line
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _yaml_mapping_indent(text: str) -> int:
    """How far the file indents a mapping below its key (ruamel re-indents every block on dump)."""
    previous = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if previous.endswith(":") and not previous.lstrip().startswith("- ") and not stripped.startswith("- "):
            step = indent - (len(previous) - len(previous.lstrip(" ")))
            if step > 0:
                return step
        previous = line.rstrip()
    return 2


def dump_plain(doc: Any, fmt: Format) -> str:
    """A new file (or ``--print``) holding ``doc``."""
    if fmt in ("json", "jsonc"):
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "toml":
        import tomlkit

        return tomlkit.dumps(doc)
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


@dataclass
class RoundTrip:
    """An existing file's document, editable like a dict, that dumps back with its comments."""

    doc: MutableMapping[str, Any]
    dump: Callable[[], str]
    new_table: Callable[[], MutableMapping[str, Any]]


def round_trip(text: str, fmt: Format) -> RoundTrip:
    """A round-trip document for ``text`` (not for jsonc: see ``jsonc.set_member``)."""
    if fmt == "json":
        doc = json.loads(text)
        return RoundTrip(doc, lambda: dump_plain(doc, "json"), dict)
    if fmt == "toml":
        import tomlkit

        toml_doc = tomlkit.parse(text)
        # A super table writes `[mcp_servers.NAME]` without an empty `[mcp_servers]` header.
        return RoundTrip(toml_doc, lambda: tomlkit.dumps(toml_doc), lambda: tomlkit.table(is_super_table=True))
    if fmt == "yaml":
        from ruamel.yaml.comments import CommentedMap
        from ruamel.yaml.util import load_yaml_guess_indent

        mapping = _yaml_mapping_indent(text)
        _, sequence, offset = load_yaml_guess_indent(text)
        if offset is None or not sequence:  # no block sequence to learn from: Continue's documented style
            sequence, offset = mapping + 2, 2
        yaml = _yaml(mapping, sequence, offset)
        yaml_doc = yaml.load(text)

        def dump() -> str:
            out = io.StringIO()
            yaml.dump(yaml_doc, out)
            return out.getvalue()

        return RoundTrip(yaml_doc, dump, CommentedMap)
    raise ValueError(f"no round-trip document for {fmt}")
