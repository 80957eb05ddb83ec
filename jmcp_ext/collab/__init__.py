"""The agent as a collaborator: its presence in JupyterLab, the person's focus, what changed, stale-write checks,
per-session undo, and reverting a live notebook to a checkpoint.

Everything here works on in-memory documents (jupyter_ydoc ``YNotebook`` over pycrdt) and awareness objects;
nothing talks to the Jupyter server, so the tools layer decides when to call what:

- Writes: every LiveNotebook transaction of a session uses ``AgentOrigin(session_id, display_name)``; outputs,
  execution counts and running state written while executing use ``origin.running()`` (not undone).
- Opening a live notebook: ``tracker_for(ynb, reload_lock=rooms.update_lock(room))`` (before changes must be seen).
- Each tool call on a notebook: ``digest_since(tracker, session_id)`` opens the result when not empty; for calls
  that may write, ``session_undo(ynb, origin, tracker).next_step()`` before the first write.
- Reads: ``ReadMarks.saw_notebook()`` / ``saw_cells(ids)`` (one ``ReadMarks`` per session per notebook); before
  overwrite/delete/clear_outputs/move without force: ``check_replace(tracker, marks, session_id, cell_id, source)``.
- Presence: ``agents_in(room).presence(session_id, who)``: ``.show(source_text, index)`` in the notebook's room,
  ``.show_global(path, documents)`` in ``JupyterLab:globalAwareness``; ``refresh_everywhere()`` every 10-15 s;
  ``leave_everywhere(session_id)`` when the session ends or idles. ``who`` comes from ``IdentityPool.identity``.
- Focus: ``describe_focus(people_focus(ynb.ycells, room.awareness.states, path=..., current=..., ids=...))``.
- Undo tool: ``existing_undo(ynb, session_id)``, then ``.undo(force)`` / ``.redo()`` and ``.describe(...)``.
- Revert: ``apply_notebook(ynb, await read_checkpoint(contents_manager, path), origin)`` inside a step.
- Session end: ``leave_everywhere``, ``changes.forget_session``, ``undo.drop_session``, ``IdentityPool.release``.
- Per-session bookkeeping (identity, read marks, where it is, what it changed): ``sessions.AgentSessions``.

The wiring is ``jmcp_ext/tools/notebook_call.py`` (one tool call), ``jmcp_ext/tools/collaboration.py`` (presence
over time, checkpoints, focus) and ``jmcp_ext/checkpoints.py`` (JupyterLab's own revert, applied live).
"""
