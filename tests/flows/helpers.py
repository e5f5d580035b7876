"""What the flow tests share: reading a dataset for comparison, running the CLI, a clean environment."""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow.dataset as ds

from tests.conftest import ROOT

#: Columns that name the run, so differ between two runs that wrote the very same rows.
RUN_COLUMNS = {"run_id", "run"}
DATASETS = ("articles", "duplicates", "rejected", "removed")


def table(out: Path | str, name: str) -> list[dict]:
    """Rows of one dataset, sorted, without the run columns (``run`` is the hive partition); of an output at a
    URL, the current version of its Delta table."""
    if isinstance(out, str):
        from deltalake import DeltaTable

        rows = DeltaTable(f"{out}/{name}").to_pyarrow_table().to_pylist()
    else:
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


def prefect_servers(prefect_home: str) -> list[int]:
    """Pids of the Prefect servers (uvicorn) running with this PREFECT_HOME: none once a command has ended."""
    import psutil

    found = []
    for process in psutil.process_iter():
        try:
            if "uvicorn" in " ".join(process.cmdline()) and process.environ().get("PREFECT_HOME") == prefect_home:
                found.append(process.pid)
        except psutil.Error:
            pass
    return found


def free_port() -> int:
    """A free loopback port outside 8000-8999, where Prefect's embedded servers pick theirs."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not 8000 <= port <= 8999:
            return port


def flow_run_log(flow_run_id: str | None, until: str = "Finished in state",
                 timeout: float = 30.0) -> list[tuple[int, str]]:
    """(level, message) of every log line of a flow run (its task runs' too), from the current Prefect API.

    Logs reach the API in batches, after the run returned: read again until a line holds ``until``.
    """
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    assert flow_run_id is not None
    APILogWorker.drain_all(timeout=10)  # what this process still holds (a flow run's own process drains at exit)
    deadline = time.monotonic() + timeout
    while True:
        with get_client(sync_client=True) as client:
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
        found = [(entry.level, entry.message) for entry in logs]
        if any(until in message for _, message in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


#: The port the README's Dask commands use, replaced by a free one when the tests run them.
README_PORT = "8786"


def readme_dask_commands() -> list[tuple[dict[str, str], list[str]]]:
    """The ``dask scheduler`` and ``dask worker`` lines of the README's Dask section: (env, argv)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Scale-out on Dask"):]
    section = section[: section.index("\n## ")]
    commands = []
    code = "\n".join(re.findall(r"^```bash\n(.*?)^```", section, flags=re.DOTALL | re.MULTILINE))
    for line in code.splitlines():
        words = shlex.split(line.strip().removesuffix("&"), comments=True)
        env = {}
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        if words[:1] == ["dask"] and words[1:2] in (["scheduler"], ["worker"]):
            commands.append((env, words))
    assert [argv[1] for _, argv in commands] == ["scheduler", "worker"], commands
    return commands


@contextmanager
def readme_dask_cluster(folder: Path, env: dict[str, str] | None = None) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """The README's scheduler and worker commands as they are written, on a free port.

    Yields the scheduler's address and the two processes; stops them (and
    only them: each runs in its own session) on the way out.
    """
    port = str(free_port())
    dask = str(Path(sys.executable).parent / "dask")
    started: list[subprocess.Popen] = []
    try:
        for extra, argv in readme_dask_commands():
            argv = [dask if a == "dask" else a.replace(README_PORT, port) for a in argv]
            with open(folder / f"{argv[1]}.log", "w") as log:  # the child keeps its own copy
                started.append(subprocess.Popen(
                    argv, cwd=folder, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
                    env=(env or base_env(folder)) | extra | {"DASK_LOGGING__DISTRIBUTED": "warning"}))
        yield f"tcp://127.0.0.1:{port}", started
    finally:
        for process in reversed(started):
            process.send_signal(signal.SIGTERM)  # the CLIs close their nannies and workers on SIGTERM
        for process in reversed(started):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # its own session: only what this test started
                process.wait(10)
