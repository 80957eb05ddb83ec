"""Notebook URIs: every path survives the trip through a URI and back, and the SDK's template reads it the same."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from mcp.shared.uri_template import UriTemplate

from jmcp_ext.resources.uris import TEMPLATE, notebook_uri, path_of

# Path segments as file names can be: any text without "/" or NUL (surrogates are not valid UTF-8).
segment = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/\x00"), min_size=1).filter(
    lambda s: s not in (".", "..")
)
paths = st.lists(segment, min_size=1, max_size=4).map(lambda parts: "/".join(parts) + ".ipynb")


@given(paths)
def test_paths_round_trip_through_uris_and_the_sdk_template(path: str) -> None:
    uri = notebook_uri(path)
    assert path_of(uri) == path
    assert UriTemplate.parse(TEMPLATE).match(uri) == {"path": path}
    # Nothing in the URI that a client or a URI parser could take for a delimiter or whitespace.
    assert not set(uri.removeprefix("jupyter://notebook/")) & set(" #?[]@!$&'()*+,;=\"<>\\^`{|}")


def test_uris_of_other_kinds_name_no_notebook() -> None:
    assert path_of("jupyter://kernel/abc") is None
    assert path_of("file:///home/x.ipynb") is None
    assert path_of("jupyter://notebook/") is None
    assert path_of("jupyter://notebook/%FF.ipynb") is None  # not UTF-8
