"""Mirror a run's output changes into its notebook cell, so open tabs and the saved file show what JupyterLab would.

A stream redrawn with ``\\r`` (a progress bar) becomes an edit of its last line in the live text, a display update
replaces the output in place, ``clear_output`` clears; updates of displays shown by earlier cells reach those.
"""

from __future__ import annotations

from ..kernels import Displays, DisplayUpdate, OutputEvent
from ..kernels.displays import same_output
from ..notebooks import Notebook
from ..outputs import Append, Change, Clear, OutputList, Replace, StreamEdit


class CellWriter:
    """Writes one run's output changes into its cell, finding the cell again by id if cells moved meanwhile."""

    def __init__(self, notebook: Notebook, index: int, model: OutputList, displays: Displays | None = None) -> None:
        self.notebook = notebook
        self.cell_id = notebook.cell_id(index)
        self.model = model
        self._displays = displays
        self._index = index
        # UTF-8 length of the last output's text as written, while that output is a stream: lets a redraw cut
        # its old end without reading the whole text back (live documents count bytes).
        self._stream_bytes = 0

    def index(self) -> int | None:
        if self._index < len(self.notebook) and self.notebook.cell_id(self._index) == self.cell_id:
            return self._index
        found = self.notebook.index_of(self.cell_id)
        self._index = -1 if found is None else found
        return None if self._index < 0 else self._index

    def write(self, events: list[OutputEvent]) -> None:
        """Apply the events of one iopub message (the model already holds their result)."""
        changes: list[Change] = []
        for event in events:
            if isinstance(event, DisplayUpdate):
                self._update_elsewhere(event)
            else:
                changes.append(event)
        index = self.index()
        if index is None or not changes:
            return  # the cell was deleted while it ran: keep executing, drop the outputs
        replaced = [change.index for change in changes if isinstance(change, Replace)]
        if replaced:
            # Rewrite from the first replaced output, from the model (which already holds anything this
            # message also added or cleared).
            self._rewrite(index, 0 if any(isinstance(c, Clear) for c in changes) else min(replaced))
            return
        for change in changes:
            if isinstance(change, Clear):
                self.notebook.set_outputs(index, [])
                self._stream_bytes = 0
            elif isinstance(change, Append):
                self.notebook.append_output(index, change.output)
                self._stream_bytes = _stream_bytes(change.output)
            elif isinstance(change, StreamEdit):
                if self.notebook.edit_stream(index, change.index, change.removed, change.text, self._stream_bytes):
                    self._stream_bytes += len(change.text.encode()) - len(change.removed.encode())
                else:
                    self._rewrite(index, change.index)

    def _rewrite(self, index: int, start: int) -> None:
        outputs = self.model.outputs
        self.notebook.replace_outputs(index, start, [dict(output) for output in outputs[start:]])
        self._stream_bytes = _stream_bytes(outputs[-1]) if outputs else 0

    def _update_elsewhere(self, update: DisplayUpdate) -> None:
        """Update the outputs that earlier cells of this notebook showed under the same display id."""
        if self._displays is None:
            return
        for shown in self._displays.shown(update.display_id, self.notebook.path, besides=self.cell_id):
            index = self.notebook.index_of(shown.cell_id)
            if index is None:
                continue
            outputs = list(self.notebook.cell(index).get("outputs") or [])
            if shown.index >= len(outputs) or not same_output(outputs[shown.index], shown.output):
                continue  # cleared or changed since: that display no longer follows updates
            self.notebook.replace_outputs(index, shown.index, [update.output, *outputs[shown.index + 1 :]])
            shown.output = dict(update.output)


def _stream_bytes(output: dict[str, object]) -> int:
    text = output.get("text")
    return len(text.encode()) if output.get("output_type") == "stream" and isinstance(text, str) else 0
