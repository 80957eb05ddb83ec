"""The bounded waits retry through states a predicate cannot judge yet, and a timeout says what was last seen."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.polling import WaitTimeout, poll, poll_async
from tests.support import JupyterServer, wait_until


def first_source(notebook: dict[str, Any]) -> str:
    """The predicate that flaked under load: it raises IndexError while the notebook has no cells."""
    return "".join(notebook["cells"][0]["source"])


def states(*values: Any) -> Any:
    """An observer that returns ``values`` one per call, then keeps returning the last one."""
    queue = list(values)
    return lambda: queue.pop(0) if len(queue) > 1 else queue[0]


def test_a_predicate_that_raises_on_an_intermediate_state_is_retried() -> None:
    observe = states({"cells": []}, {}, {"cells": []}, {"cells": [{"source": ["first"]}]})
    seen = poll(observe, lambda nb: first_source(nb) == "first", timeout=5, what="the first cell", interval=0)
    assert first_source(seen) == "first"


def test_an_observer_that_raises_on_an_intermediate_state_is_retried() -> None:
    calls = iter([FileNotFoundError("not yet"), json.JSONDecodeError("half-written", "{", 1), {"ok": True}])

    def observe() -> Any:
        outcome = next(calls)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert poll(observe, lambda s: s["ok"], timeout=5, what="the file", interval=0) == {"ok": True}


def test_a_timeout_reports_the_last_state_and_the_last_exception() -> None:
    counter = iter(range(1_000_000))
    with pytest.raises(WaitTimeout) as failure:
        poll(lambda: {"cells": [], "n": next(counter)}, first_source, timeout=0.2, what="a cell", interval=0.01)
    message = str(failure.value)
    assert "waiting for a cell" in message
    last = int(message.split("'n': ")[1].split("}")[0])
    assert last > 1, message  # the last state seen, not the first
    assert "IndexError: list index out of range" in message
    assert isinstance(failure.value.__cause__, IndexError)


def test_a_state_judged_false_after_an_exception_clears_the_stale_exception() -> None:
    observe = states({"cells": []}, {"cells": [{"source": "other"}]})
    with pytest.raises(WaitTimeout) as failure:
        poll(observe, lambda nb: first_source(nb) == "first", timeout=0.1, what="a cell", interval=0.01)
    assert "'other'" in str(failure.value) and "IndexError" not in str(failure.value)


def test_a_fatal_exception_ends_the_wait_at_once() -> None:
    def observe() -> None:
        raise ProcessLookupError("the server exited")

    started = time.monotonic()
    with pytest.raises(ProcessLookupError):
        poll(observe, timeout=30, what="a dead server", fatal=(ProcessLookupError,))
    assert time.monotonic() - started < 1


def test_wait_for_disk_retries_until_autosave_writes_the_first_cell(tmp_path: Path) -> None:
    server = JupyterServer(root=tmp_path, home=tmp_path)  # never started: only its file polling is used
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": [], "nbformat": 4}))
    saved = {"cells": [{"cell_type": "code", "source": ["first"]}], "nbformat": 4}
    autosave = threading.Timer(0.2, lambda: path.write_text(json.dumps(saved)))
    autosave.start()
    try:
        on_disk = server.wait_for_disk("nb.ipynb", lambda nb: first_source(nb) == "first", timeout=10)
    finally:
        autosave.cancel()
    assert on_disk == saved


def test_wait_for_disk_timeout_shows_the_content_last_read(tmp_path: Path) -> None:
    server = JupyterServer(root=tmp_path, home=tmp_path)
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": [], "metadata": {"marker": "seen-last"}}))
    with pytest.raises(WaitTimeout) as failure:
        server.wait_for_disk("nb.ipynb", lambda nb: first_source(nb) == "first", timeout=0.2)
    message = str(failure.value)
    assert "nb.ipynb on disk" in message and "seen-last" in message and "IndexError" in message


async def test_poll_async_retries_through_a_raising_coroutine_and_an_exception_in_the_predicate() -> None:
    outcomes: list[Any] = [ConnectionError("refused"), [], [], ["ready"]]

    async def observe() -> list[str]:
        await asyncio.sleep(0)
        outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return list(outcome)

    assert await poll_async(observe, lambda s: s[0] == "ready", timeout=5, what="ready", interval=0) == ["ready"]


async def test_poll_async_bounds_an_attempt_that_hangs() -> None:
    async def observe() -> None:
        await asyncio.sleep(60)

    started = time.monotonic()
    with pytest.raises(WaitTimeout) as failure:
        await poll_async(observe, timeout=0.3, what="a stuck request", interval=0.05)
    assert time.monotonic() - started < 2
    assert "still running at the deadline" in str(failure.value)


async def test_wait_until_shows_the_state_it_waited_on() -> None:
    cells: list[str] = []
    with pytest.raises(WaitTimeout) as failure:
        await wait_until(lambda: cells[0] == "x", 0.1, what="a first cell", show=lambda: {"cells": cells})
    message = str(failure.value)
    assert "a first cell" in message and "{'cells': []}" in message and "IndexError" in message
    cells.append("x")
    assert await wait_until(lambda: cells[0] == "x", 1) < 1
