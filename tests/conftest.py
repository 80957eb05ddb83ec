"""Shared fixtures: one real Jupyter server (subprocess, with the extension) for the whole session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import JupyterServer, running_server

_names = itertools.count()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    base = tmp_path_factory.mktemp("jupyter")
    with running_server(base / "root", base / "home", "--JMCPExtension.progress_interval=0.2") as srv:
        yield srv


@pytest.fixture
def nb_name(request: pytest.FixtureRequest) -> str:
    """A notebook path unique to the test."""
    return f"{request.node.name.replace('[', '_').replace(']', '')}_{next(_names)}.ipynb"


@pytest.fixture
def root(server: JupyterServer) -> Path:
    return server.root
