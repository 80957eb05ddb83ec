"""Kernels on a kernel gateway (``--gateway-url``): a client that authenticates and waits without spinning.

Jupyter Server's ``GatewayKernelClient`` talks to a gateway kernel over one websocket. As shipped
(jupyter_server 2.21) it opens that websocket without the gateway's auth headers (a gateway with a token
answers 401), keeps the connect timeout as the socket's read timeout (the reader thread stops after
that long without a message), and waits for messages by yielding to the event loop in a busy loop.
This subclass fixes those three things and nothing else.
"""

from __future__ import annotations

import asyncio
import time
from queue import Empty
from threading import Thread
from typing import Any

import websocket
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_server.gateway.gateway_client import GatewayClient
from jupyter_server.gateway.managers import GatewayKernelClient, GatewayKernelManager
from jupyter_server.utils import url_path_join
from tornado.escape import url_escape

#: How often a waiting ``get_*_msg`` looks at its queue (the reader thread fills it).
_POLL_SECONDS = 0.005


class GatewayConnectionLost(ConnectionError):
    """The websocket to the gateway closed: no more messages will arrive on this client."""


class JMCPGatewayKernelClient(GatewayKernelClient):
    """``GatewayKernelClient`` with the gateway's auth headers, no read timeout, and a sleeping wait."""

    async def start_channels(  # type: ignore[override]  # async, as in GatewayKernelClient
        self, shell: bool = True, iopub: bool = True, stdin: bool = True, hb: bool = True, control: bool = True
    ) -> None:
        gateway = GatewayClient.instance()
        url = url_path_join(gateway.ws_url or "", gateway.kernels_endpoint, url_escape(self.kernel_id), "channels")
        headers = gateway.load_connection_args().get("headers", {})
        ssl = {"ca_certs": gateway.ca_certs, "certfile": gateway.client_cert, "keyfile": gateway.client_key}
        self.channel_socket = await asyncio.to_thread(
            websocket.create_connection,
            url,
            timeout=gateway.KERNEL_LAUNCH_TIMEOUT,
            enable_multithread=True,
            sslopt=ssl,
            header=headers,
        )
        self.channel_socket.settimeout(None)  # an idle kernel is not a dead connection
        AsyncKernelClient.start_channels(self, shell=shell, iopub=iopub, stdin=stdin, hb=hb, control=control)
        self.response_router = Thread(target=self._route_responses, daemon=True)
        self.response_router.start()

    async def _wait_msg(self, channel: Any, timeout: float | None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                msg: dict[str, Any] = channel.get_nowait()
            except Empty:
                if channel.response_router_finished:
                    raise GatewayConnectionLost("the websocket to the kernel gateway closed") from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(_POLL_SECONDS)
                continue
            channel.task_done()
            return msg

    async def get_shell_msg(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> dict[str, Any]:
        return await self._wait_msg(self.shell_channel, timeout)

    async def get_iopub_msg(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> dict[str, Any]:
        return await self._wait_msg(self.iopub_channel, timeout)

    async def get_stdin_msg(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> dict[str, Any]:
        return await self._wait_msg(self.stdin_channel, timeout)

    async def get_control_msg(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> dict[str, Any]:
        return await self._wait_msg(self.control_channel, timeout)


def connection_lost(client: Any) -> bool:
    """Whether a cached gateway client's websocket reader has stopped (a local client never has one)."""
    router = getattr(client, "response_router", None)
    return isinstance(client, GatewayKernelClient) and router is not None and not router.is_alive()


def client_for(kernel: Any) -> Any:
    """``kernel.client()``; for a gateway kernel, one of ours."""
    if isinstance(kernel, GatewayKernelManager) and not issubclass(kernel.client_factory, JMCPGatewayKernelClient):
        kernel.client_factory = JMCPGatewayKernelClient
    return kernel.client()
