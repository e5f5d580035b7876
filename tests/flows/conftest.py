"""One real Prefect server for the flow tests (PREFECT_NOTES.md: the harness's 30 s default is marginal)."""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.flows.helpers import readme_dask_cluster


@pytest.fixture(scope="session")
def prefect_server() -> str:
    """Start a temporary Prefect server with its own database; yield its API URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield PREFECT_API_URL.value()


@pytest.fixture
def readme_cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """A Dask scheduler and two workers started with the README's commands, on a free loopback port."""
    with readme_dask_cluster(tmp_path) as cluster:
        yield cluster
