"""The agent as a collaborator: its presence in JupyterLab, the person's focus, what changed, stale-write checks,
per-session undo, and reverting a live notebook to a checkpoint.

Everything here works on in-memory documents (jupyter_ydoc ``YNotebook`` over ``pycrdt``) and awareness objects;
nothing talks to the Jupyter server, so the tools layer decides when to call what.
"""
