"""What the flow tests share: reading a dataset for comparison, running the CLI, a clean environment."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds

from tests.conftest import ROOT

#: Columns that name the run, so differ between two runs that wrote the very same rows.
RUN_COLUMNS = {"run_id", "run"}
DATASETS = ("articles", "duplicates", "rejected", "removed")


def table(out: Path, name: str) -> list[dict]:
    """Rows of one dataset, sorted, without the run columns (``run`` is the hive partition)."""
    rows = ds.dataset(out / name, format="parquet", partitioning="hive").to_table().to_pylist()
    return sorted(({k: v for k, v in r.items() if k not in RUN_COLUMNS} for r in rows),
                  key=lambda r: json.dumps(r, sort_keys=True, default=str))  # a total order: ties cannot flip


def cli(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.clean", *args], cwd=cwd, env=env, timeout=timeout,
                          capture_output=True, text=True)


def base_env(tmp_path: Path) -> dict[str, str]:
    """This environment without Prefect settings, with a private PREFECT_HOME; the project importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DASK_"))}
    env["PYTHONPATH"] = str(ROOT)
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    return env


def free_port() -> int:
    """A free loopback port outside 8000-8999, where Prefect's embedded servers pick theirs."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not 8000 <= port <= 8999:
            return port
