"""A server extension for ``python -m bench.ab --without-activity-watcher`` only: no kernel activity watcher.

jupyter_server watches every kernel's iopub channel (``MappingKernelManager.start_watching_activity``) to keep
each kernel's last activity and execution state, decoding every message it publishes with jupyter_client's
``Session`` (the status messages twice). In the server's own process that work shares the event loop with
jmcp's, so an MCP call waits for it, where a raw kernel client (another process) does not; on a 2-core
machine the raw client still shares the CPU with it, which ``--with-raw`` shows. Turning it off in one of the
two compared servers shows its share of an ``execute_code`` call. Never loaded outside the bench:
without the watcher, culling idle kernels and the kernels' ``execution_state`` in the REST API stop working.
"""

from __future__ import annotations

from typing import Any


def _load_jupyter_server_extension(serverapp: Any) -> None:
    # An instance attribute: kernels started from now on (jmcp's, on the first call) are not watched.
    serverapp.kernel_manager.start_watching_activity = lambda kernel_id: None
    serverapp.log.warning("bench.no_activity_watcher: kernels started by this server are not watched for activity")
