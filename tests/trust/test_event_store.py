"""The bounded event store on its own: ids, replay of one stream of one session, limits, release."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import anyio
import pytest
from mcp.server.streamable_http import GET_STREAM_KEY, EventMessage
from mcp_types import ErrorData, JSONRPCError, JSONRPCNotification, JSONRPCResponse

from jmcp_ext.event_store import EVENT_OVERHEAD_BYTES, EventBuffers, EventLimits
from tests.support import wait_until


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def progress(n: int, text: str = "") -> JSONRPCNotification:
    return JSONRPCNotification(
        jsonrpc="2.0", method="notifications/progress", params={"progressToken": 1, "progress": n, "message": text}
    )


def answer(request_id: int | str, text: str = "done") -> JSONRPCResponse:
    return JSONRPCResponse(jsonrpc="2.0", id=request_id, result={"content": [{"type": "text", "text": text}]})


class Sink:
    """A send callback that records what a replay sends."""

    def __init__(self) -> None:
        self.sent: list[EventMessage] = []

    async def __call__(self, event: EventMessage) -> None:
        self.sent.append(event)

    def ids(self) -> list[str | None]:
        return [event.event_id for event in self.sent]

    def payloads(self) -> list[Any]:
        return [event.message.model_dump(exclude_unset=True) for event in self.sent]


async def test_replay_sends_the_rest_of_that_stream_then_stops_at_the_answer() -> None:
    store = EventBuffers().for_session("s1")
    priming = await store.store_event("7", None)
    first = await store.store_event("7", progress(1))
    await store.store_event("_GET_stream", progress(99))  # another stream of the same session
    second = await store.store_event("7", progress(2))
    final = await store.store_event("7", answer(7))
    await store.store_event("8", answer(8))
    sink = Sink()

    assert await store.replay_events_after(priming, sink) is None  # answered: nothing more will come
    assert sink.ids() == [first, second, final]
    assert sink.payloads()[-1]["id"] == 7
    assert int(priming) < int(first) < int(second) < int(final)


async def test_replay_of_an_unanswered_request_follows_it_until_the_answer() -> None:
    store = EventBuffers().for_session("s1")
    priming = await store.store_event("7", None)
    await store.store_event("7", progress(1))
    sink = Sink()
    result: list[str | None] = []

    async def replay() -> None:
        result.append(await store.replay_events_after(priming, sink))

    async with anyio.create_task_group() as tg:
        tg.start_soon(replay)
        await wait_until(lambda: len(sink.sent) == 1, timeout=5)
        await store.store_event("7", progress(2))
        await store.store_event("8", answer(8))  # another request's answer does not end this stream
        await store.store_event("7", answer(7))
    assert result == [None]
    assert [p.get("id", p.get("params", {}).get("progress")) for p in sink.payloads()] == [1, 2, 7]


async def test_replay_of_the_standalone_get_stream_hands_it_back_to_the_sdk() -> None:
    store = EventBuffers().for_session("s1")
    priming = await store.store_event(GET_STREAM_KEY, None)
    await store.store_event(GET_STREAM_KEY, progress(1))
    sink = Sink()
    assert await store.replay_events_after(priming, sink) == GET_STREAM_KEY
    assert len(sink.sent) == 1


async def test_a_waiting_replay_ends_when_its_session_is_released() -> None:
    buffers = EventBuffers()
    store = buffers.for_session("s1")
    priming = await store.store_event("7", None)
    result: list[str | None] = []

    async def replay() -> None:
        result.append(await store.replay_events_after(priming, Sink()))

    async with anyio.create_task_group() as tg:
        tg.start_soon(replay)
        await wait_until(lambda: "s1" in buffers._waiters, timeout=5)  # the replay waits for the next event
        buffers.release("s1")
    assert result == [None]


async def test_events_stored_while_a_replay_waits_on_the_client_are_replayed_too() -> None:
    store = EventBuffers().for_session("s1")
    priming = await store.store_event("7", None)
    await store.store_event("7", progress(1))
    late: list[str] = []

    async def slow_client(event: EventMessage) -> None:
        if not late:  # the tool answers while the first replayed event is being written
            late.append(await store.store_event("7", answer(7)))

    assert await store.replay_events_after(priming, slow_client) is None
    sink = Sink()
    await store.replay_events_after(priming, sink)
    assert sink.ids()[-1] == late[0]


async def test_resuming_from_the_answer_itself_sends_nothing_and_ends() -> None:
    store = EventBuffers().for_session("s1")
    final = await store.store_event("7", answer(7))
    sink = Sink()
    assert await store.replay_events_after(final, sink) is None
    assert sink.sent == []


async def test_sessions_never_see_each_others_events_even_with_the_same_stream_ids() -> None:
    buffers = EventBuffers()
    a, b = buffers.for_session("a"), buffers.for_session("b")
    a_priming = await a.store_event("1", None)
    b_priming = await b.store_event("1", None)
    await b.store_event("1", answer(1, "secret of b"))
    await a.store_event("1", answer(1, "a's answer"))
    sink = Sink()

    assert await a.replay_events_after(a_priming, sink) is None
    assert [p["result"]["content"][0]["text"] for p in sink.payloads()] == ["a's answer"]
    assert await a.replay_events_after(b_priming, Sink()) is None  # b's event id, asked in a
    assert "not an event of this session" in (buffers.resume_refusal("a", b_priming) or "")
    assert buffers.resume_refusal("b", b_priming) is None


async def test_unknown_ids_are_refused_with_a_message_and_unknown_sessions_left_to_the_sdk() -> None:
    buffers = EventBuffers()
    store = buffers.for_session("s1")
    await store.store_event("1", None)
    for bad in ("nope", "", "-3", "99999", "1" * 40):
        refusal = buffers.resume_refusal("s1", bad)
        assert refusal is not None and "not an event of this session" in refusal, bad
        assert await store.replay_events_after(bad, Sink()) is None
    # A session the buffers do not know (ended, or never opened): the SDK answers 404 for it.
    assert buffers.resume_refusal("gone", "1") is None


async def test_a_session_keeps_its_newest_events_within_its_byte_and_count_limits() -> None:
    limits = EventLimits(max_session_bytes=20_000, max_session_events=50, max_total_bytes=10**9)
    buffers = EventBuffers(limits)
    store = buffers.for_session("s1")
    other = buffers.for_session("quiet")
    quiet_id = await other.store_event("1", progress(0))
    ids = [await store.store_event("5", progress(i, "x" * 500)) for i in range(200)]

    assert buffers.total_bytes - EVENT_OVERHEAD_BYTES - len(progress(0).model_dump_json()) <= 20_000
    kept = [i for i in ids if buffers.resume_refusal("s1", i) is None]
    assert kept == ids[-len(kept) :]  # oldest dropped first: what is kept is the newest suffix
    assert 10 <= len(kept) <= 50
    assert "has expired" in (buffers.resume_refusal("s1", ids[0]) or "")
    assert buffers.resume_refusal("quiet", quiet_id) is None  # one busy session does not evict another

    buffers2 = EventBuffers(EventLimits(max_session_events=3))
    many = buffers2.for_session("s")
    ids2 = [await many.store_event("1", progress(i)) for i in range(10)]
    assert [i for i in ids2 if buffers2.resume_refusal("s", i) is None] == ids2[-3:]


async def test_events_older_than_the_age_limit_expire() -> None:
    clock = Clock()
    buffers = EventBuffers(EventLimits(max_age_seconds=60), clock=clock)
    store = buffers.for_session("s1")
    old = await store.store_event("3", None)
    clock.now += 30
    middle = await store.store_event("3", progress(1))
    clock.now += 31

    refusal = buffers.resume_refusal("s1", old)
    assert refusal is not None and "has expired" in refusal and "60 s" in refusal
    assert buffers.resume_refusal("s1", middle) is None
    clock.now += 60
    assert buffers.resume_refusal("s1", middle) is not None
    assert buffers.event_count == 0 and buffers.total_bytes == 0


async def test_an_event_larger_than_the_limits_is_still_kept_as_the_newest() -> None:
    buffers = EventBuffers(EventLimits(max_session_bytes=1000, max_total_bytes=2000))
    store = buffers.for_session("s1")
    priming = await store.store_event("9", None)
    big = await store.store_event("9", answer(9, "y" * 50_000))
    assert buffers.resume_refusal("s1", big) is None
    assert buffers.resume_refusal("s1", priming) is not None  # dropped to make room
    assert buffers.event_count == 1


async def test_all_sessions_share_one_byte_budget_and_memory_stays_bounded() -> None:
    limits = EventLimits(max_session_bytes=10**9, max_session_events=10**9, max_total_bytes=2**20)
    buffers = EventBuffers(limits)
    stores = [buffers.for_session(f"s{i}") for i in range(30)]
    text = "z" * 1000

    async def load(rounds: int) -> None:
        for n in range(rounds):
            for i, store in enumerate(stores):
                await store.store_event(str(n % 7), progress(n, text) if i % 5 else answer(n, text))

    gc.collect()
    tracemalloc.start()
    try:
        await load(50)  # fill the budget first, then measure what more traffic costs
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        await load(200)  # 6 000 more events, about 6.5 MB of JSON
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()

    largest = len(answer(1, text).model_dump_json()) + EVENT_OVERHEAD_BYTES
    assert buffers.total_bytes <= limits.max_total_bytes + largest
    assert buffers.event_count < limits.max_total_bytes // EVENT_OVERHEAD_BYTES
    assert held - before < 64 * 2**10, f"memory grew by {held - before} bytes under a full budget"
    assert held < 1.5 * limits.max_total_bytes, f"{held} bytes held for a {limits.max_total_bytes} byte budget"


async def test_release_forgets_a_session_and_its_bytes() -> None:
    buffers = EventBuffers()
    kept, ended = buffers.for_session("kept"), buffers.for_session("ended")
    kept_id = await kept.store_event("1", answer(1))
    ended_id = await ended.store_event("1", answer(1))
    before = buffers.total_bytes

    buffers.release("ended")
    buffers.release("ended")  # every way a session ends reports it; twice is fine

    assert buffers.session_count == 1 and buffers.event_count == 1
    assert buffers.total_bytes < before
    assert buffers.resume_refusal("ended", ended_id) is None  # unknown session: the SDK answers 404
    assert await ended.replay_events_after(ended_id, Sink()) is None
    assert buffers.resume_refusal("kept", kept_id) is None


@pytest.mark.parametrize(
    "message", [answer(42), JSONRPCError(jsonrpc="2.0", id=42, error=ErrorData(code=-1, message="cancelled"))]
)
async def test_storing_an_answer_reports_the_request_as_done(message: Any) -> None:
    done: list[tuple[str, str]] = []
    store = EventBuffers(on_response=lambda session, request: done.append((session, request))).for_session("s1")
    await store.store_event("42", None)
    await store.store_event("42", progress(1))
    assert done == []
    await store.store_event("42", message)
    assert done == [("s1", "42")]
