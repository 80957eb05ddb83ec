"""Big outputs stay reachable: pages by offset, regex search with line numbers and context."""

from __future__ import annotations

import pytest

from jmcp_ext.outputs import PatternError, page_text, search_text

TEXT = "".join(f"step {i}: loss {1 / (i + 1):.4f}\n" for i in range(1_000))


def test_pages_cover_the_text_without_gaps() -> None:
    offset, pieces = 0, []
    while True:
        page = page_text(TEXT, offset, 5_000, hint="offset={offset}")
        header, body = page.split("\n", 1)
        assert header.startswith(f"[characters {offset:,}-")
        if "more characters; offset=" not in body:
            pieces.append(body)
            break
        body, footer = body.rsplit("\n[", 1)
        pieces.append(body + "\n")
        offset = int(footer.split("offset=")[1].rstrip("]"))
    assert "".join(pieces) == TEXT


def test_page_header_gives_lines_and_past_the_end_is_explained() -> None:
    page = page_text(TEXT, 0, 100)
    assert page.startswith("[characters 0-") and "lines 1-" in page and "of 1,000]" in page
    assert (
        page_text(TEXT, 10**9, 100)
        == f"[offset 1,000,000,000 is at or past the end: the output has {len(TEXT):,} characters]"
    )


def test_search_gives_line_numbers_context_and_offsets() -> None:
    result = search_text(TEXT, r"^step 50[05]:", context=1)
    lines = result.split("\n")
    assert lines[0] == "[2 matching lines for '^step 50[05]:']"
    start = TEXT.index("step 499:")
    assert lines[1:5] == [
        f"-- offset {start}",
        "500- step 499: loss 0.0020",
        "501: step 500: loss 0.0020",
        "502- step 501: loss 0.0020",
    ]
    assert lines[5].startswith("-- offset ") and lines[6] == "505- step 504: loss 0.0020"


def test_search_limits_matches_and_rejects_bad_patterns() -> None:
    assert search_text(TEXT, "loss", max_matches=3).startswith("[first 3 matching lines for 'loss'; narrow the pattern")
    assert search_text(TEXT, "nothing here") == "[no line matches 'nothing here']"
    assert search_text(TEXT, "STEP 7:", ignore_case=True).count("\n8: ") == 1
    with pytest.raises(PatternError, match="not a valid regular expression"):
        search_text(TEXT, "loss(")


def test_search_is_one_entry_per_line_even_for_empty_matches() -> None:
    result = search_text("a\nb\n", "x*", context=0)
    assert result.split("\n")[1:] == ["-- offset 0", "1: a", "2: b", "3: "]


def test_a_catastrophic_pattern_is_stopped_in_time() -> None:
    import time

    text = "a" * 30 + "!\n"  # (a|aa)+$ tries every way to split the a's before failing at the "!"
    started = time.monotonic()
    with pytest.raises(PatternError, match="took too long"):
        search_text(text * 10, r"(a|aa)+$", seconds=0.5)
    assert time.monotonic() - started < 5  # the regex module checks its clock now and then, not exactly


def test_regex_features_beyond_plain_words_work() -> None:
    assert "1: step 0: loss 1.0000" in search_text(TEXT, r"(?i)STEP \d: LOSS 1\.0+$", context=0)
