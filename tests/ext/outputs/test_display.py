"""A cell's outputs under iopub messages, as JupyterLab's output area applies them, and the changes to mirror."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jmcp_ext.outputs import Append, Change, Clear, OutputList, Replace, StreamEdit
from jmcp_ext.outputs.display import output_from_message

from .conftest import bundle


def display(obj: object, display_id: str | None = None) -> dict[str, Any]:
    """A display_data message's content, as ipykernel sends it for ``display(obj, display_id=...)``."""
    output = bundle(obj)
    content: dict[str, Any] = {"data": output["data"], "metadata": output["metadata"]}
    content["transient"] = {"display_id": display_id} if display_id else {}
    return content


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"name": name, "text": text}


def mirror(changes: list[Change], outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply changes as the lead writes them into a live cell."""
    for change in changes:
        match change:
            case Clear():
                outputs.clear()
            case Append(output):
                outputs.append(dict(output))
            case Replace(index, output):
                outputs[index] = dict(output)
            case StreamEdit(index, start, text, removed):
                assert outputs[index]["text"][start:] == removed  # a live cell cuts exactly this from its end
                outputs[index] = {**outputs[index], "text": outputs[index]["text"][:start] + text}
    return outputs


def test_display_update_replaces_the_output_in_place() -> None:
    # h = display('starting', display_id=True); print('x'); h.update('progress 3/3')
    model = OutputList()
    changes = model.apply("display_data", display("starting", "d1"))
    changes += model.apply("stream", stream("x\n"))
    changes += model.apply("update_display_data", display("progress 3/3", "d1"))
    assert [o["output_type"] for o in model.outputs] == ["display_data", "stream"]
    assert model.outputs[0]["data"]["text/plain"] == "'progress 3/3'"
    assert changes[-1] == Replace(0, model.outputs[0])
    assert "transient" not in model.outputs[0]  # display ids are not part of nbformat
    assert mirror(changes, []) == model.outputs


def test_update_replaces_every_output_with_that_id_and_ignores_unknown_ids() -> None:
    model = OutputList()
    model.apply("display_data", display("a", "same"))
    model.apply("display_data", display("b", "other"))
    model.apply("display_data", display("a again", "same"))
    changes = model.apply("update_display_data", display("new", "same"))
    assert [c.index for c in changes if isinstance(c, Replace)] == [0, 2]
    assert [o["data"]["text/plain"] for o in model.outputs] == ["'new'", "'b'", "'new'"]
    assert model.apply("update_display_data", display("nobody", "missing")) == []


def test_a_display_with_an_id_already_shown_updates_the_earlier_output_too() -> None:
    # display('a', display_id='d'); display('b', display_id='d'): JupyterLab shows 'b' twice.
    model = OutputList()
    changes = model.apply("display_data", display("a", "d"))
    changes += model.apply("display_data", display("b", "d"))
    assert [o["data"]["text/plain"] for o in model.outputs] == ["'b'", "'b'"]
    assert model.display_ids() == {"d": [0, 1]}
    assert mirror(changes, []) == model.outputs


def test_a_stream_around_a_display_update_stays_one_output() -> None:
    # Only added outputs end a stream; an update in place does not (JupyterLab's _lastStreamName).
    model = OutputList()
    model.apply("display_data", display("bar", "p"))
    model.apply("stream", stream("a"))
    model.apply("update_display_data", display("bar2", "p"))
    model.apply("stream", stream("b"))
    assert [o["output_type"] for o in model.outputs] == ["display_data", "stream"]
    assert model.outputs[1]["text"] == "ab"


def test_streams_merge_by_name_and_apply_carriage_returns() -> None:
    model = OutputList()
    changes = model.apply("stream", stream("0%\r"))
    changes += model.apply("stream", stream("50%\r"))
    changes += model.apply("stream", stream("100%\n"))
    changes += model.apply("stream", stream("warning\n", "stderr"))
    changes += model.apply("stream", stream("done\n"))
    assert [(o["name"], o["text"]) for o in model.outputs] == [
        ("stdout", "100%\n"),
        ("stderr", "warning\n"),
        ("stdout", "done\n"),
    ]
    assert changes[1] == StreamEdit(0, 0, "50%", removed="0%")  # only the changed part goes into the live cell
    assert mirror(changes, []) == model.outputs


def test_clear_output_wait_clears_just_before_the_next_output() -> None:
    model = OutputList()
    model.apply("stream", stream("frame 1\n"))
    assert model.apply("clear_output", {"wait": True}) == []
    assert model.outputs[0]["text"] == "frame 1\n"  # still shown until something replaces it
    changes = model.apply("stream", stream("frame 2\n"))
    assert changes == [Clear(), Append({"output_type": "stream", "name": "stdout", "text": "frame 2\n"})]
    assert model.outputs == [{"output_type": "stream", "name": "stdout", "text": "frame 2\n"}]


def test_clear_output_now_and_display_ids_are_forgotten() -> None:
    model = OutputList()
    model.apply("display_data", display("a", "d"))
    assert model.apply("clear_output", {"wait": False}) == [Clear()]
    assert model.outputs == []
    assert model.apply("update_display_data", display("b", "d")) == []  # the output area forgot the id


def test_clear_wait_then_a_display_keeps_the_new_display_id() -> None:
    model = OutputList()
    model.apply("display_data", display("old", "d"))
    model.apply("clear_output", {"wait": True})
    model.apply("display_data", display("new", "d"))
    changes = model.apply("update_display_data", display("newer", "d"))
    assert changes == [Replace(0, model.outputs[0])]
    assert len(model.outputs) == 1


def test_execute_result_and_error_become_nbformat_outputs() -> None:
    model = OutputList()
    result = bundle(42, "execute_result", 3)
    model.apply("execute_result", {"data": result["data"], "metadata": {}, "execution_count": 3})
    model.apply("error", {"ename": "ValueError", "evalue": "bad", "traceback": ["ValueError: bad"]})
    model.apply("status", {"execution_state": "idle"})  # not an output
    assert model.outputs == [
        {"output_type": "execute_result", "execution_count": 3, "data": {"text/plain": "42"}, "metadata": {}},
        {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": ["ValueError: bad"]},
    ]
    assert output_from_message("execute_input", {"code": "1"}) is None


def test_from_outputs_merges_stored_streams_as_jupyterlab_does_when_loading() -> None:
    stored = [
        {"output_type": "stream", "name": "stdout", "text": ["10%\r", "20%\r100%\n"]},
        {"output_type": "stream", "name": "stdout", "text": "next\n"},
        {"output_type": "stream", "name": "stderr", "text": "err\n"},
    ]
    outputs = OutputList.from_outputs(stored).outputs
    assert outputs == [
        {"output_type": "stream", "name": "stdout", "text": "100%\nnext\n"},
        {"output_type": "stream", "name": "stderr", "text": "err\n"},
    ]
    assert stored[0]["text"] == ["10%\r", "20%\r100%\n"]  # the caller's outputs are not modified


def test_stream_line_is_the_line_a_progress_bar_redraws() -> None:
    model = OutputList()
    model.apply("stream", stream("epoch 1\n 10%\r 20%"))
    assert model.stream_line() == " 20%"
    model.apply("display_data", display("x"))
    assert model.stream_line() is None


_MESSAGES = st.one_of(
    st.tuples(st.just("stream"), st.sampled_from(["stdout", "stderr"]), st.text(alphabet="ab\r\n\b", max_size=8)),
    st.tuples(st.just("display_data"), st.sampled_from(["", "d1", "d2"]), st.text(alphabet="xyz", max_size=3)),
    st.tuples(st.just("update_display_data"), st.sampled_from(["d1", "d2"]), st.text(alphabet="xyz", max_size=3)),
    st.tuples(st.just("clear_output"), st.booleans(), st.just("")),
    st.tuples(st.just("execute_result"), st.just(""), st.text(alphabet="xyz", max_size=3)),
)


def _content(kind: str, key: Any, text: str) -> dict[str, Any]:
    if kind == "stream":
        return stream(text, key)
    if kind == "clear_output":
        return {"wait": key}
    content: dict[str, Any] = {"data": {"text/plain": text}, "metadata": {}, "transient": {"display_id": key}}
    if kind == "execute_result":
        content["execution_count"] = 1
    return content


@settings(max_examples=300, deadline=None)
@given(st.lists(_MESSAGES, max_size=25))
def test_mirroring_the_changes_always_gives_the_same_outputs(messages: list[tuple[str, Any, str]]) -> None:
    model = OutputList()
    live: list[dict[str, Any]] = []
    for kind, key, text in messages:
        live = mirror(model.apply(kind, _content(kind, key, text)), live)
        assert live == model.outputs
    # Stored outputs load back into the same outputs (JupyterLab's fromJSON merges nothing more).
    assert OutputList.from_outputs(live).outputs == model.outputs
