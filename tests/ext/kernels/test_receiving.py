"""Taking kernel messages off real zmq sockets, signed by jupyter_client's Session, as a kernel publishes them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from queue import Empty
from typing import Any

import pytest
import zmq
import zmq.asyncio
from jupyter_client.session import Session

from jmcp_ext.kernels.receiving import next_message


@dataclass
class Channel:
    """What ``next_message`` reads of jupyter_client's ``AsyncZMQSocketChannel``."""

    socket: zmq.asyncio.Socket
    session: Session


@dataclass
class Client:
    iopub_channel: Channel
    shell_channel: Channel


@dataclass
class Kernel:
    publish: zmq.asyncio.Socket
    session: Session

    async def send(self, msg_type: str, parent: dict[str, Any], **content: Any) -> None:
        self.session.send(self.publish, msg_type, content=content, parent=parent)
        await asyncio.sleep(0)


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Kernel, Client]]:
    context = zmq.asyncio.Context()
    publish, subscribe = context.socket(zmq.PUB), context.socket(zmq.SUB)
    port = publish.bind_to_random_port("tcp://127.0.0.1")
    subscribe.setsockopt(zmq.SUBSCRIBE, b"")
    subscribe.connect(f"tcp://127.0.0.1:{port}")
    key = b"secret"
    kernel = Kernel(publish, Session(key=key))
    client_session = Session(key=key)
    shell = context.socket(zmq.PULL)
    client = Client(Channel(subscribe, client_session), Channel(shell, client_session))
    deadline = time.monotonic() + 10
    while True:  # a subscription takes a moment to reach the publisher
        await kernel.send("status", {}, execution_state="starting")
        if await subscribe.poll(50):
            await subscribe.recv_multipart()
            break
        assert time.monotonic() < deadline, "the subscription never came up"
    while await subscribe.poll(50):
        await subscribe.recv_multipart()
    yield kernel, client
    for socket in (publish, subscribe, shell):
        socket.close(linger=0)
    context.term()


def parent(msg_id: str) -> dict[str, Any]:
    return {"msg_id": msg_id, "msg_type": "execute_request", "session": "s", "username": "u", "version": "5.3"}


async def test_messages_of_other_requests_are_skipped_and_ours_and_parentless_ones_come_through(
    pair: tuple[Kernel, Client],
) -> None:
    kernel, client = pair
    await kernel.send("status", parent("theirs-1"), execution_state="busy")
    await kernel.send("stream", parent("theirs-1"), name="stdout", text="not mine")
    await kernel.send("status", parent("mine-1"), execution_state="busy")
    await kernel.send("status", {}, execution_state="restarting")  # a notice nobody asked for
    await kernel.send("execute_result", parent("mine-1"), data={"text/plain": "2"})

    got = [await next_message(client, "iopub", 5, request="mine-1") for _ in range(3)]
    assert [(m["msg_type"], m["parent_header"].get("msg_id")) for m in got] == [
        ("status", "mine-1"),
        ("status", None),
        ("execute_result", "mine-1"),
    ]
    assert got[2]["content"]["data"] == {"text/plain": "2"}
    with pytest.raises(Empty):
        await next_message(client, "iopub", 0.05, request="mine-1")


async def test_without_a_request_every_message_comes_through_in_order(pair: tuple[Kernel, Client]) -> None:
    kernel, client = pair
    for n in range(5):
        await kernel.send("stream", parent(f"r{n}"), name="stdout", text=str(n))
    texts = [(await next_message(client, "iopub", 5))["content"]["text"] for _ in range(5)]
    assert texts == ["0", "1", "2", "3", "4"]


async def test_a_message_arriving_while_waiting_is_taken_and_an_empty_wait_ends_on_time(
    pair: tuple[Kernel, Client],
) -> None:
    kernel, client = pair
    started = time.monotonic()
    with pytest.raises(Empty):
        await next_message(client, "iopub", 0.2, request="x")
    assert 0.15 < time.monotonic() - started < 2

    async def later() -> None:
        await asyncio.sleep(0.1)
        await kernel.send("status", parent("x"), execution_state="idle")

    task = asyncio.create_task(later())
    message = await next_message(client, "iopub", 5, request="x")
    await task
    assert message["content"] == {"execution_state": "idle"}


async def test_a_wait_that_times_out_loses_nothing_that_comes_after(pair: tuple[Kernel, Client]) -> None:
    kernel, client = pair
    for _ in range(3):  # each timed-out wait leaves no receive behind that could swallow a later message
        with pytest.raises(Empty):
            await next_message(client, "iopub", 0.05, request="x")
    await kernel.send("status", parent("x"), execution_state="busy")
    await kernel.send("status", parent("x"), execution_state="idle")
    states = [(await next_message(client, "iopub", 5, request="x"))["content"]["execution_state"] for _ in range(2)]
    assert states == ["busy", "idle"]


async def test_cancelling_a_waiting_call_cancels_it_and_the_next_message_still_arrives(
    pair: tuple[Kernel, Client],
) -> None:
    kernel, client = pair
    waiting = asyncio.create_task(next_message(client, "iopub", 30, request="x"))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):  # a cancellation, not a timeout's Empty
        await waiting
    await kernel.send("status", parent("x"), execution_state="idle")
    message = await next_message(client, "iopub", 5, request="x")
    assert message["content"] == {"execution_state": "idle"}


async def test_a_message_with_a_bad_signature_is_refused_as_jupyter_client_refuses_it(
    pair: tuple[Kernel, Client],
) -> None:
    kernel, client = pair
    forger = Session(key=b"not the key")
    forger.send(kernel.publish, "status", content={"execution_state": "idle"}, parent=parent("mine"))
    await asyncio.sleep(0.05)
    with pytest.raises(ValueError, match="Invalid Signature"):
        await next_message(client, "iopub", 5, request="mine")


async def test_clients_without_a_zmq_socket_are_read_through_their_own_methods() -> None:
    class Websocket:
        async def get_iopub_msg(self, timeout: float | None = None) -> dict[str, Any]:
            return {"msg_type": "status", "timeout": timeout}

        async def get_shell_msg(self, timeout: float | None = None) -> dict[str, Any]:
            raise Empty

    assert await next_message(Websocket(), "iopub", 3, request="r") == {"msg_type": "status", "timeout": 3}
    with pytest.raises(Empty):
        await next_message(Websocket(), "shell", 0)
