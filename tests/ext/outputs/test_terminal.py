"""Stream text: ``\\r`` and ``\\b`` exactly as JupyterLab's OutputAreaModel applies them."""

from __future__ import annotations

import io
import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from jmcp_ext.outputs.terminal import StreamText, apply_terminal, strip_ansi

_SPECIAL = re.compile(r"[\n\b\r]")


def lab_process_text(index: int, new_text: str, text: str = "") -> tuple[str, int]:
    """A line-by-line port of JupyterLab's ``Private.processText`` (packages/outputarea/src/model.ts)."""
    if not any(c in new_text for c in "\b\r\n"):
        return text[:index] + new_text + text[index + len(new_text) :], index + len(new_text)
    idx0, last_end = index, 0
    while True:
        match = _SPECIAL.search(new_text, last_end)
        idx1 = match.start() if match else -1
        prefix = new_text[last_end : len(new_text) if idx1 == -1 else idx1]
        text = text[:idx0] + prefix + text[idx0 + len(prefix) :]
        last_end = idx1 + 1
        idx0 += len(prefix)
        if idx1 == -1:
            break
        char = new_text[idx1]
        if char == "\b":
            if idx0 > 0 and text[idx0 - 1] != "\n":
                text = text[: idx0 - 1] + text[idx0 + 1 :]
                idx0 -= 1
        elif char == "\r":
            while idx0 > 0 and text[idx0 - 1] != "\n":
                idx0 -= 1
        else:
            text = text + "\n"
            idx0 = len(text)
    return text, idx0


def lab_stream(messages: list[str]) -> str:
    text, index = lab_process_text(0, messages[0])
    for message in messages[1:]:
        text, index = lab_process_text(index, message, text)
    return text


def ours(messages: list[str]) -> str:
    stream = StreamText(messages[0])
    for message in messages[1:]:
        stream.write(message)
    return stream.text


def test_jupyterlab_spec_cases() -> None:
    # The cases of packages/outputarea/test/model.spec.ts.
    assert ours(["Jupyter\rj"]) == "jupyter"
    assert ours(["Jupyter\rj", "\njj\bupyter"]) == "jupyter\njupyter"
    assert ours(["Jupyter\rj", "\njj\bupyter", "\r\r\njupyter"]) == "jupyter\njupyter\njupyter"
    assert ours(["abc\r", "\n-"]) == "abc\n-"
    assert ours(["The meaning of life is....\nSome people... ", "More text."]) == (
        "The meaning of life is....\nSome people... More text."
    )


def test_carriage_return_overwrites_and_keeps_a_longer_tail() -> None:
    assert apply_terminal("loading 100%\rdone") == "doneing 100%"
    assert apply_terminal("a\r\nb") == "a\nb"  # \r\n is a newline
    assert apply_terminal("abc\rX\n") == "Xbc\n"


def test_backspace_mid_line_removes_two_characters_as_jupyterlab_does() -> None:
    # Upstream deletes text[i-1] and text[i] (``slice(0, i - 1) + slice(i + 1)``): a terminal would give "aXc".
    assert apply_terminal("abc\rab\bX") == "aX"
    assert apply_terminal("abc\b\bX") == "aX"
    assert apply_terminal("\n\bx") == "\nx"  # never crosses a newline


_ALPHABET = st.text(alphabet="ab\r\n\b", max_size=30)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, min_size=1, max_size=6))
def test_matches_jupyterlab_for_any_text_and_message_split(messages: list[str]) -> None:
    assert ours(messages) == lab_stream(messages)
    assert ours(["".join(messages)]) == lab_stream(messages)  # how text is split into messages does not matter


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, min_size=1, max_size=6))
def test_write_reports_the_edit_that_turns_the_old_text_into_the_new(messages: list[str]) -> None:
    stream = StreamText()
    mirror = ""
    for message in messages:
        edit = stream.write(message)
        if edit is not None:
            start, tail, removed = edit
            assert 0 <= start <= len(mirror)
            assert mirror[start:] == removed  # what a live mirror cuts from its end
            mirror = mirror[:start] + tail
        assert mirror == stream.text


class _Writes(io.StringIO):
    """A file that remembers each write, as ipykernel turns writes into stream messages."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_a_tqdm_loop_reads_as_its_last_frame() -> None:
    from tqdm import tqdm

    out = _Writes()
    for _ in tqdm(range(50), file=out, ncols=80, mininterval=0, ascii=True, desc="train"):
        pass
    assert len(out.writes) > 50 and "\r" in out.getvalue()
    stream = StreamText()
    for piece in out.writes:
        stream.write(piece)
    lines = stream.text.split("\n")
    assert lines[-1] == ""
    assert len(lines) == 2, lines  # one line: every frame overwrote the one before
    assert lines[0].startswith("train: 100%|") and "50/50" in lines[0]
    assert stream.text == lab_stream(out.writes)


def test_ten_megabytes_of_frames_stay_fast() -> None:
    frame = "\r" + "epoch 3: 45%|####      | 450/1000 [00:01<00:02, 300.00it/s]"
    text = frame * (10_000_000 // len(frame)) + "\n"
    started = time.perf_counter()
    result = apply_terminal(text)
    assert result == frame[1:] + "\n"
    assert time.perf_counter() - started < 1.0  # linear, not quadratic (it is tens of ms)


def test_sparse_backspaces_in_a_long_text_stay_fast() -> None:
    # JupyterLab's own performance case: 10**7 characters with one backspace.
    size = 10**6
    started = time.perf_counter()
    assert len(apply_terminal("a" * size + "a\b" + "a" * size)) == 2 * size
    assert time.perf_counter() - started < 1.0


def test_strip_ansi_removes_colours_cursor_moves_and_titles() -> None:
    assert strip_ansi("\x1b[31mred\x1b[0m \x1b[2K\x1b[1Aup \x1b]0;title\x07done") == "red up done"
