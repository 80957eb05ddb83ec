"""Bounded waits for tests: observe a state until it is accepted, and say what was last seen if it never is.

Every wait in the suite goes through ``poll`` or ``poll_async``. Both treat an exception raised while
observing or judging an intermediate state (a notebook with no cells on disk yet, a half-written file,
a server not yet listening) as "not yet", and when time runs out they fail with the last state seen and
the last exception, so a timeout under load says what the test was looking at.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")
SHOWN_CHARS = 2000  # enough to recognise a notebook or a log tail, short enough to read in a report


class WaitTimeout(AssertionError):
    """A bounded wait ran out of time (an AssertionError, so pytest shows it as a test failure)."""


class _NothingSeen:
    def __repr__(self) -> str:
        return "nothing (every attempt raised)"


_NOTHING: Any = _NothingSeen()


def shorten(value: object, limit: int = SHOWN_CHARS) -> str:
    """``value`` as text for a failure message: strings as they are, the rest by repr; head and tail if long."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return text
    half = limit // 2  # a log's news is at its end, a notebook's cells at its start: keep both
    return f"{text[:half]}\n... ({len(text) - 2 * half} characters left out) ...\n{text[-half:]}"


class _Attempts:
    """What a wait has seen so far: the last state, the last exception, and how many tries."""

    def __init__(self, what: str, timeout: float, fatal: tuple[type[BaseException], ...]) -> None:
        self.what = what
        self.timeout = timeout
        self.fatal = fatal
        self.state: Any = _NOTHING
        self.error: Exception | None = None
        self.count = 0

    def judge(self, state: Any, accept: Callable[[Any], object]) -> bool:
        """Record ``state`` and whether ``accept`` holds for it; an exception from ``accept`` means no."""
        self.state = state
        try:
            accepted = bool(accept(state))
        except self.fatal:
            raise
        except Exception as exc:
            self.error = exc
            return False
        self.error = None
        return accepted

    def failed_to_observe(self, exc: Exception) -> None:
        if isinstance(exc, self.fatal):
            raise exc
        self.error = exc

    def timed_out(self, show: Callable[[], object] | None) -> WaitTimeout:
        lines = [f"timed out after {self.timeout:g} s ({self.count} attempts) waiting for {self.what}"]
        lines.append(f"last state seen: {shorten(self.state)}")
        if self.error is not None:
            lines.append(f"last attempt raised {type(self.error).__name__}: {shorten(str(self.error))}")
        if show is not None:
            try:
                lines.append(f"state at timeout: {shorten(show())}")
            except Exception as exc:  # describing the state must not hide the timeout itself
                lines.append(f"state at timeout: unavailable ({type(exc).__name__}: {exc})")
        return WaitTimeout("\n".join(lines))


def poll(
    observe: Callable[[], T],
    accept: Callable[[T], object] = bool,
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
    fatal: tuple[type[BaseException], ...] = (),
    show: Callable[[], object] | None = None,
) -> T:
    """Call ``observe()`` until ``accept(state)`` holds; return that state.

    Exceptions from either count as "not yet", except those of a ``fatal`` type, which end the wait at
    once. At least one attempt is made, and one more once the deadline has passed. On timeout the
    WaitTimeout names ``what``, the last state and exception, and ``show()`` if given.
    """
    attempts = _Attempts(what, timeout, fatal)
    deadline = time.monotonic() + timeout
    while True:
        attempts.count += 1
        try:
            state = observe()
        except Exception as exc:
            attempts.failed_to_observe(exc)
        else:
            if attempts.judge(state, accept):
                return state
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise attempts.timed_out(show) from attempts.error
        time.sleep(min(interval, remaining))


@overload
async def poll_async(
    observe: Callable[[], Awaitable[T]],
    accept: Callable[[T], object] = ...,
    *,
    timeout: float,
    what: str,
    interval: float = ...,
    fatal: tuple[type[BaseException], ...] = ...,
    show: Callable[[], object] | None = ...,
) -> T: ...


@overload
async def poll_async(
    observe: Callable[[], T],
    accept: Callable[[T], object] = ...,
    *,
    timeout: float,
    what: str,
    interval: float = ...,
    fatal: tuple[type[BaseException], ...] = ...,
    show: Callable[[], object] | None = ...,
) -> T: ...


async def poll_async(
    observe: Callable[[], Any],
    accept: Callable[[Any], object] = bool,
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
    fatal: tuple[type[BaseException], ...] = (),
    show: Callable[[], object] | None = None,
) -> Any:
    """``poll`` for an event loop: ``observe`` may be a coroutine function; no attempt outlives the deadline."""
    attempts = _Attempts(what, timeout, fatal)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        attempts.count += 1
        # An attempt that hangs (a request to a stuck server) must not make the wait unbounded;
        # the last attempt still gets a moment even when the deadline has just passed.
        timer = asyncio.timeout(max(deadline - loop.time(), interval, 0.5))
        try:
            async with timer:
                state = observe()
                if inspect.isawaitable(state):
                    state = await state
        except Exception as exc:
            if isinstance(exc, TimeoutError) and timer.expired():
                exc = TimeoutError("an attempt was still running at the deadline")
            attempts.failed_to_observe(exc)
        else:
            if attempts.judge(state, accept):
                return state
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise attempts.timed_out(show) from attempts.error
        await asyncio.sleep(min(interval, remaining))
