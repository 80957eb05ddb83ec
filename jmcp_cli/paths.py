"""Where jmcp keeps its own state: the one place that knows platformdirs.

``JMCP_HOME`` overrides the directory (tests point it at a tmp dir); otherwise the platform's user
config dir for ``jmcp`` is used.
"""

import os
from pathlib import Path

ENV_HOME = "JMCP_HOME"


def config_dir() -> Path:
    """The directory holding jmcp's token and server record."""
    override = os.environ.get(ENV_HOME)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("jmcp", appauthor=False))


def token_file() -> Path:
    return config_dir() / "token"


def server_record_file() -> Path:
    return config_dir() / "server.json"


def server_log_file() -> Path:
    return config_dir() / "jupyterlab.log"
