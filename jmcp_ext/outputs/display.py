"""A cell's outputs under the kernel's iopub messages, changed exactly as JupyterLab's output area changes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .terminal import StreamText

Output = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Append:
    """Add ``output`` at the end of the cell's outputs."""

    output: Output


@dataclass(frozen=True, slots=True)
class Replace:
    """Put ``output`` in place of the output at ``index`` (a display update)."""

    index: int
    output: Output


@dataclass(frozen=True, slots=True)
class Clear:
    """Remove every output of the cell."""


@dataclass(frozen=True, slots=True)
class StreamEdit:
    """The stream output at ``index`` now holds its old text cut at ``start``, followed by ``text``.

    ``start`` equal to the old length means a plain append. ``removed`` is the old text from ``start`` on (a
    part of its last line), so a live cell can cut it from its end without reading the whole text.
    """

    index: int
    start: int
    text: str
    removed: str = ""


Change = Append | Replace | Clear | StreamEdit


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def output_from_message(msg_type: str, content: dict[str, Any]) -> Output | None:
    """The nbformat output for an iopub message (None for messages that are not outputs); drops ``transient``."""
    if msg_type == "stream":
        text = _joined(content.get("text", ""))
        return {"output_type": "stream", "name": content.get("name", "stdout"), "text": text}
    if msg_type in ("display_data", "update_display_data"):
        return {"output_type": "display_data", "data": content.get("data", {}), "metadata": content.get("metadata", {})}
    if msg_type == "execute_result":
        return {
            "output_type": "execute_result",
            "execution_count": content.get("execution_count"),
            "data": content.get("data", {}),
            "metadata": content.get("metadata", {}),
        }
    if msg_type == "error":
        return {
            "output_type": "error",
            "ename": content.get("ename", ""),
            "evalue": content.get("evalue", ""),
            "traceback": list(content.get("traceback", [])),
        }
    return None


def display_id_of(content: dict[str, Any]) -> str | None:
    """The display id a message carries (in ``transient``, which nbformat outputs do not keep)."""
    transient = content.get("transient") or {}
    display_id = transient.get("display_id") if isinstance(transient, dict) else None
    return display_id if isinstance(display_id, str) and display_id else None


class OutputList:
    """A cell's outputs as JupyterLab's ``OutputAreaModel`` and ``OutputArea._onIOPub`` keep them.

    - consecutive stream messages of the same name merge into one output, with ``\\r`` and ``\\b`` applied;
    - ``clear_output`` clears now, or with ``wait=True`` just before the next output is added;
    - ``display_data`` with a display id is remembered, and ``update_display_data`` replaces every output
      shown with that id, in place (an update for an unknown id changes nothing);
    - a ``display_data`` with an id already shown first updates those outputs, then is added too (JupyterLab's
      kernel connection turns it into an update for the requests that showed the id, ``_handleDisplayId``);
    - clearing forgets the display ids, as the output area does.
    """

    def __init__(self) -> None:
        self._outputs: list[Output] = []
        self._stream: StreamText | None = None  # the text of the last output while it is a stream
        self._last_stream = ""  # name of the stream the next stream message may merge into
        self._clear_next = False
        self._display_ids: dict[str, list[int]] = {}

    @classmethod
    def from_outputs(cls, outputs: list[Output]) -> OutputList:
        """Outputs as JupyterLab shows them after loading them (``fromJSON``): streams merged and applied."""
        model = cls()
        for output in outputs:
            model._add(dict(output))
        return model

    @property
    def outputs(self) -> list[Output]:
        """The current nbformat outputs (do not modify them)."""
        if self._stream is not None and self._outputs:
            self._outputs[-1]["text"] = self._stream.text
        return self._outputs

    def __len__(self) -> int:
        return len(self._outputs)

    def display_ids(self) -> dict[str, list[int]]:
        """Each display id shown, with the indices of the outputs showing it (for updates from later cells)."""
        return {display_id: list(indices) for display_id, indices in self._display_ids.items()}

    def stream_line(self) -> str | None:
        """The last line of the last output if it is a stream (what a progress bar redraws), else None."""
        return self._stream.line if self._stream is not None else None

    def apply(self, msg_type: str, content: dict[str, Any]) -> list[Change]:
        """Apply one iopub message; return the changes that bring a copy of the previous outputs up to date."""
        if msg_type == "clear_output":
            return self.clear(wait=bool(content.get("wait", False)))
        if msg_type == "update_display_data":
            return self._update(content)
        output = output_from_message(msg_type, content)
        if output is None:
            return []
        display_id = display_id_of(content)
        changes = self._update(content) if display_id and msg_type == "display_data" else []
        changes += self.add(output)
        if display_id and msg_type == "display_data":
            self._display_ids.setdefault(display_id, []).append(len(self._outputs) - 1)
        return changes

    def add(self, output: Output) -> list[Change]:
        """Add an nbformat output (a pending ``clear_output(wait=True)`` clears first)."""
        changes: list[Change] = []
        if self._clear_next:
            changes.extend(self._clear())
            self._clear_next = False
        changes.extend(self._add(output))
        return changes

    def clear(self, *, wait: bool = False) -> list[Change]:
        """``clear_output``: now, or (``wait``) when the next output arrives."""
        self._last_stream = ""
        if wait:
            self._clear_next = True
            return []
        return self._clear()

    def _clear(self) -> list[Change]:
        had_outputs = bool(self._outputs)
        self._outputs = []
        self._stream = None
        self._display_ids.clear()
        return [Clear()] if had_outputs else []

    def _add(self, output: Output) -> list[Change]:
        is_stream = output.get("output_type") == "stream"
        text = _joined(output.get("text", "")) if is_stream else ""
        if is_stream and self._outputs and self._stream is not None and output.get("name") == self._last_stream:
            edit = self._stream.write(text)
            if edit is None:
                return []
            return [StreamEdit(len(self._outputs) - 1, *edit)]
        if self._stream is not None and self._outputs:
            self._outputs[-1]["text"] = self._stream.text  # the finished stream keeps its final text
        if is_stream:
            self._stream = StreamText(text)
            output = {**output, "text": self._stream.text}
            self._last_stream = str(output.get("name", ""))
        else:
            self._stream = None
            self._last_stream = ""
        self._outputs.append(output)
        return [Append(dict(output))]

    def _update(self, content: dict[str, Any]) -> list[Change]:
        display_id = display_id_of(content)
        targets = self._display_ids.get(display_id, []) if display_id else []
        changes: list[Change] = []
        for index in targets:
            # Targets are display_data outputs, never the merging stream, so stream state is untouched.
            output = output_from_message("update_display_data", content)
            assert output is not None
            self._outputs[index] = output
            changes.append(Replace(index, dict(output)))
        return changes
