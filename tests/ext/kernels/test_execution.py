"""The execution loop against a scripted kernel client: no kernel, no server, milliseconds per test."""

from __future__ import annotations

import asyncio
import itertools
from queue import Empty
from typing import Any

import pytest

from jmcp_ext.gateway import GatewayConnectionLost
from jmcp_ext.kernels import execution
from jmcp_ext.kernels.execution import DisplayUpdate, Execution, KernelDied, OutputEvent, execute
from jmcp_ext.outputs import Append, Clear, OutputList, Replace, StreamEdit

_ids = itertools.count()


def msg(msg_type: str, parent: str | None, **content: Any) -> dict[str, Any]:
    return {"msg_type": msg_type, "parent_header": {"msg_id": parent} if parent else {}, "content": content}


class FakeClient:
    """An ``AsyncKernelClient`` look-alike: ``script(msg_id)`` says what the kernel sends for a request."""

    def __init__(self, script: Any, reply: dict[str, Any] | None = None) -> None:
        self._script = script
        self._reply = reply or {"status": "ok"}
        self.iopub: asyncio.Queue[dict[str, Any] | Exception] = asyncio.Queue()
        self.shell: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.last_request = ""

    def execute(self, code: str, *, silent: bool, store_history: bool, allow_stdin: bool, stop_on_error: bool) -> str:
        msg_id = self.last_request = f"req-{next(_ids)}"
        sent = {"store_history": store_history, "allow_stdin": allow_stdin}
        self.sent.append((code, {**sent, "silent": True} if silent else sent))
        for item in self._script(msg_id):
            self.iopub.put_nowait(item)
        self.shell.put_nowait(msg("execute_reply", msg_id, **self._reply))
        return msg_id

    def push(self, item: dict[str, Any] | Exception) -> None:
        self.iopub.put_nowait(item)

    def interrupted(self) -> None:
        """What ipykernel sends when interrupted: a KeyboardInterrupt error, then idle."""
        self.push(msg("error", self.last_request, ename="KeyboardInterrupt", evalue="", traceback=[]))
        self.push(msg("status", self.last_request, execution_state="idle"))

    async def get_iopub_msg(self, timeout: float | None = None) -> dict[str, Any]:
        return await self._get(self.iopub, timeout)

    async def get_shell_msg(self, timeout: float | None = None) -> dict[str, Any]:
        return await self._get(self.shell, timeout)

    @staticmethod
    async def _get(queue: asyncio.Queue[Any], timeout: float | None) -> dict[str, Any]:
        try:
            item = queue.get_nowait() if timeout == 0 else await asyncio.wait_for(queue.get(), timeout)
        except (TimeoutError, asyncio.QueueEmpty):
            raise Empty from None
        if isinstance(item, Exception):
            raise item
        return dict(item)


class FakeControl:
    def __init__(self, client: FakeClient, *, dead: bool = False) -> None:
        self.client = client
        self.dead = dead
        self.interrupts = 0

    async def interrupt(self) -> None:
        self.interrupts += 1
        self.client.interrupted()

    async def died(self) -> bool:
        return self.dead


def ran(*outputs: dict[str, Any], count: int = 1) -> Any:
    """A script: busy, execute_input, the given messages (parent filled in), idle."""

    def script(msg_id: str) -> list[dict[str, Any]]:
        body = [{**m, "parent_header": {"msg_id": msg_id}} for m in outputs]
        return [
            msg("status", msg_id, execution_state="busy"),
            msg("execute_input", msg_id, execution_count=count, code=""),
            *body,
            msg("status", msg_id, execution_state="idle"),
        ]

    return script


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return msg("stream", None, name=name, text=text)


async def run(
    client: FakeClient, control: FakeControl | None = None, **kwargs: Any
) -> tuple[Execution, list[OutputEvent]]:
    """Execute on the fake; returns the result and the events (flattened; one batch per message)."""
    batches: list[list[OutputEvent]] = []
    result = await execute(
        client,
        control or FakeControl(client),
        "code",
        timeout=kwargs.pop("timeout", 5),
        on_event=batches.append,
        **kwargs,
    )
    assert all(batches), "no empty batches are sent"
    return result, [event for batch in batches for event in batch]


def kinds(events: list[OutputEvent]) -> list[str]:
    return [type(event).__name__ for event in events]


async def test_streams_merge_and_results_keep_their_count() -> None:
    result_msg = msg("execute_result", None, execution_count=3, data={"text/plain": "42"}, metadata={})
    client = FakeClient(
        ran(stream("a"), stream("b"), stream("oops", "stderr"), result_msg, count=3),
        {"status": "ok", "execution_count": 3},
    )
    result, events = await run(client)
    assert result.status == "ok"
    assert result.execution_count == 3
    assert result.outputs[0] == {"output_type": "stream", "name": "stdout", "text": "ab"}
    assert result.outputs[1]["name"] == "stderr"
    assert result.outputs[2]["data"] == {"text/plain": "42"}
    assert kinds(events) == ["Append", "StreamEdit", "Append", "Append"]
    assert events[1] == StreamEdit(0, 1, "b")
    assert client.sent == [("code", {"store_history": True, "allow_stdin": False})]


async def test_other_clients_traffic_on_the_same_kernel_is_ignored() -> None:
    def script(msg_id: str) -> list[dict[str, Any]]:
        return [
            msg("stream", "browser-request", name="stdout", text="not ours"),
            msg("status", "browser-request", execution_state="idle"),  # someone else's idle must not end ours
            msg("stream", msg_id, name="stdout", text="ours"),
            msg("status", msg_id, execution_state="idle"),
        ]

    result, _ = await run(FakeClient(script))
    assert [o["text"] for o in result.outputs] == ["ours"]


async def test_an_error_output_marks_the_run_as_failed() -> None:
    error = msg("error", None, ename="ValueError", evalue="bad", traceback=["Traceback", "ValueError: bad"])
    result, _ = await run(FakeClient(ran(stream("before\n"), error), {"status": "error"}))
    assert result.status == "error"
    assert result.outputs[-1]["ename"] == "ValueError"


async def test_clear_output_waits_for_the_next_output_when_asked() -> None:
    client = FakeClient(
        ran(
            stream("frame 1"),
            msg("clear_output", None, wait=True),
            stream("frame 2"),
            msg("clear_output", None, wait=False),
        )
    )
    result, events = await run(client)
    assert result.outputs == []
    assert kinds(events) == ["Append", "Clear", "Append", "Clear"]
    client = FakeClient(ran(stream("frame 1"), msg("clear_output", None, wait=True)))
    result, _ = await run(client)
    assert [o["text"] for o in result.outputs] == ["frame 1"]  # nothing came after: nothing cleared


async def test_a_timeout_interrupts_the_kernel_and_keeps_what_arrived() -> None:
    def script(msg_id: str) -> list[dict[str, Any]]:
        return [msg("status", msg_id, execution_state="busy"), msg("stream", msg_id, name="stdout", text="step 1\n")]

    client = FakeClient(script)
    control = FakeControl(client)
    result, _ = await run(client, control, timeout=0.2)
    assert result.status == "timeout"
    assert control.interrupts == 1
    assert [o.get("ename") or o.get("text") for o in result.outputs] == ["step 1\n", "KeyboardInterrupt"]


async def test_a_kernel_that_dies_quietly_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(execution, "LIVENESS_POLL_SECONDS", 0.01)
    client = FakeClient(lambda msg_id: [msg("status", msg_id, execution_state="busy")])
    with pytest.raises(KernelDied, match="kernel died"):
        await run(client, FakeControl(client, dead=True))


async def test_a_reply_without_iopub_messages_ends_the_run_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    """iopub reconnecting late (after a restart) misses the request's messages: the reply still ends it."""
    monkeypatch.setattr(execution, "LIVENESS_POLL_SECONDS", 0.01)
    monkeypatch.setattr(execution, "SETTLE_SECONDS", 0.05)
    client = FakeClient(lambda msg_id: [], {"status": "ok", "execution_count": 7})
    result, _ = await asyncio.wait_for(run(client, timeout=30), 5)
    assert (result.status, result.execution_count, result.outputs) == ("ok", 7, [])

    reply = {"status": "error", "ename": "NameError", "evalue": "x", "traceback": ["NameError: x"]}
    result, events = await asyncio.wait_for(run(FakeClient(lambda msg_id: [], reply), timeout=30), 5)
    assert result.status == "error"
    assert [o["ename"] for o in result.outputs] == ["NameError"]
    assert kinds(events) == ["Append"]  # the live cell shows the error too


async def test_a_late_idle_after_an_early_reply_is_still_awaited(monkeypatch: pytest.MonkeyPatch) -> None:
    """A quiet run whose reply is read while iopub is quiet still collects the outputs that follow."""
    monkeypatch.setattr(execution, "LIVENESS_POLL_SECONDS", 0.01)
    client = FakeClient(lambda msg_id: [msg("status", msg_id, execution_state="busy")])
    task = asyncio.ensure_future(run(client, timeout=30))
    await asyncio.sleep(0.1)  # the reply has been polled by now; the outputs and idle come after it
    client.push(msg("stream", client.last_request, name="stdout", text="late\n"))
    client.push(msg("status", client.last_request, execution_state="idle"))
    result, _ = await asyncio.wait_for(task, 5)
    assert [o["text"] for o in result.outputs] == ["late\n"]


async def test_a_restart_notice_ends_the_run_as_a_death() -> None:
    client = FakeClient(lambda msg_id: [msg("status", None, execution_state="restarting")])
    with pytest.raises(KernelDied, match="variables are gone"):
        await run(client)


async def test_a_lost_gateway_connection_is_reported_as_such() -> None:
    client = FakeClient(lambda msg_id: [GatewayConnectionLost("closed")])  # type: ignore[list-item]
    with pytest.raises(KernelDied, match="kernel gateway closed"):
        await run(client)


async def test_an_aborted_request_says_so() -> None:
    result, _ = await run(FakeClient(ran(), {"status": "aborted"}))
    assert result.status == "aborted"


async def test_a_cancelled_call_interrupts_the_kernel() -> None:
    client = FakeClient(lambda msg_id: [msg("status", msg_id, execution_state="busy")])
    control = FakeControl(client)
    task = asyncio.create_task(run(client, control, timeout=30))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert control.interrupts == 1


async def test_sessionless_code_can_stay_out_of_the_history() -> None:
    client = FakeClient(ran())
    await run(client, store_history=False)
    assert client.sent[0][1]["store_history"] is False


def display(text: str, display_id: str, msg_type: str = "display_data") -> dict[str, Any]:
    content = {"data": {"text/plain": repr(text)}, "metadata": {}, "transient": {"display_id": display_id}}
    return msg(msg_type, None, **content)


async def test_a_display_update_replaces_the_output_in_place_and_is_announced() -> None:
    # h = display('starting', display_id=True); print('x'); h.update('progress 3/3')
    client = FakeClient(
        ran(display("starting", "d1"), stream("x\n"), display("progress 3/3", "d1", "update_display_data"))
    )
    result, events = await run(client)
    assert [o.get("data", {}).get("text/plain") or o.get("text") for o in result.outputs] == ["'progress 3/3'", "x\n"]
    # Any display with an id is announced first: an earlier cell may show the same id (JupyterLab updates it).
    assert kinds(events) == ["DisplayUpdate", "Append", "Append", "DisplayUpdate", "Replace"]
    update = events[3]
    assert isinstance(update, DisplayUpdate) and update.display_id == "d1"
    assert update.output == {"output_type": "display_data", "data": {"text/plain": "'progress 3/3'"}, "metadata": {}}
    assert events[4] == Replace(0, result.outputs[0])


async def test_an_update_of_a_display_from_an_earlier_cell_changes_no_output_here() -> None:
    # The earlier cell's display is the caller's to update (it gets the DisplayUpdate).
    client = FakeClient(ran(display("done", "elsewhere", "update_display_data")))
    result, events = await run(client)
    assert result.outputs == []
    assert kinds(events) == ["DisplayUpdate"]


async def test_carriage_returns_reach_the_result_and_the_events_as_edits() -> None:
    frames = [stream(f"\rtrain: {i * 10:3d}%") for i in range(11)] + [stream("\n")]
    result, events = await run(FakeClient(ran(*frames)))
    assert result.outputs == [{"output_type": "stream", "name": "stdout", "text": "train: 100%\n"}]
    mirror = ""
    for event in events:
        match event:
            case Append(output):
                mirror = output["text"]
            case StreamEdit(_, start, text, removed):
                assert mirror[start:] == removed
                mirror = mirror[:start] + text
    assert mirror == "train: 100%\n"


async def test_clear_output_wait_in_a_loop_leaves_the_last_frame() -> None:
    body = []
    for i in range(3):
        body += [msg("clear_output", None, wait=True), msg("display_data", None, data={"text/plain": f"'{i}'"})]
    result, events = await run(FakeClient(ran(*body)))
    assert [o["data"]["text/plain"] for o in result.outputs] == ["'2'"]
    assert kinds(events) == ["Append", "Clear", "Append", "Clear", "Append"]  # nothing to clear at first


async def test_a_kernel_death_keeps_what_was_printed_before_it() -> None:
    def script(msg_id: str) -> list[dict[str, Any]]:
        return [
            msg("status", msg_id, execution_state="busy"),
            msg("stream", msg_id, name="stdout", text="loaded 3 files\n"),
            msg("status", None, execution_state="restarting"),
        ]

    with pytest.raises(KernelDied) as died:
        await run(FakeClient(script))
    assert died.value.partial.outputs == [{"output_type": "stream", "name": "stdout", "text": "loaded 3 files\n"}]


async def test_a_model_given_by_the_caller_follows_the_run() -> None:
    model = OutputList()
    seen: list[int] = []

    def on_event(events: list[OutputEvent]) -> None:
        seen.append(len(model))  # the caller's model is current when its events arrive

    client = FakeClient(ran(stream("a\n"), display("x", "d")))
    await execute(client, FakeControl(client), "code", timeout=5, on_event=on_event, model=model)
    assert seen == [1, 2] and model.stream_line() is None


async def test_a_silent_request_the_kernel_never_took_up_is_not_interrupted() -> None:
    # The kernel is busy with someone else's code: leave the request queued, never interrupt their cell.
    client = FakeClient(lambda msg_id: [])
    control = FakeControl(client)
    result, _ = await run(client, control, timeout=0.2, silent=True)
    assert result.status == "timeout" and control.interrupts == 0
    assert client.sent[0][1] == {"store_history": False, "allow_stdin": False, "silent": True}


async def test_a_silent_request_that_hangs_is_interrupted() -> None:
    client = FakeClient(lambda msg_id: [msg("status", msg_id, execution_state="busy")])
    control = FakeControl(client)
    result, _ = await run(client, control, timeout=0.2, silent=True)
    assert result.status == "timeout" and control.interrupts == 1


async def test_clear_now_then_more_output_shows_only_the_new_output() -> None:
    client = FakeClient(ran(stream("old\n"), msg("clear_output", None, wait=False), stream("new\n")))
    result, events = await run(client)
    assert [o["text"] for o in result.outputs] == ["new\n"]
    assert events[1] == Clear()
