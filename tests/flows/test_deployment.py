"""prefect.yaml served for real: a `prefect server start`, a process work pool, `prefect deploy --all`,
a Dask scheduler and two workers started with the README's commands, three runs (the scheduled
deployment on threads, `manual` on `dask://`, `manual` with a missing input) and one
`prefect worker start --run-once` without NEWSCLEAN_DIR.

Every step is the command the README gives; only the checks read the API through Prefect's client.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cleaners.config import CleanConfig
from cleaners.pipeline import run
from cleaners.summary import RunSummary
from tests.conftest import ROOT, SEEDS
from tests.flows.helpers import DATASETS, base_env, free_port, readme_dask_cluster, table
from tests.html.pages import PARAGRAPHS, article_page

pytestmark = pytest.mark.prefect

FLOW = "clean-news"
SCHEDULED = "nightly-inbox"
POOL = "local-pool"
SERVER_START_TIMEOUT = 240  # a fresh database migrates for 20-26 s on a loaded 2-core box


@dataclass
class Server:
    url: str
    env: dict[str, str]
    log: Path

    def tail(self, chars: int = 4000) -> str:
        return f"--- server log ({self.log}) ---\n" + self.log.read_text(errors="replace")[-chars:]


def prefect(args: list[str], server: Server, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
    """Run the `prefect` CLI of this environment from the project root, as the README says."""
    return subprocess.run([sys.executable, "-m", "prefect", *args], cwd=ROOT, env=server.env | env,
                          capture_output=True, text=True, timeout=timeout)


def ok(done: subprocess.CompletedProcess, server: Server) -> str:
    assert done.returncode == 0, (f"{' '.join(map(str, done.args[2:]))} exited {done.returncode}\n"
                                  f"--- stdout ---\n{done.stdout[-3000:]}\n--- stderr ---\n{done.stderr[-3000:]}\n"
                                  + server.tail())
    return done.stdout


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prefect server exited {process.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"prefect server not healthy after {SERVER_START_TIMEOUT} s:\n{log.read_text(errors='replace')[-4000:]}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`prefect server start` on a free loopback port with its own PREFECT_HOME; stopped by PID."""
    port = free_port()
    env = base_env(tmp_path) | {"PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                    "--port", str(port)], cwd=tmp_path, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/api"
        wait_healthy(url, process, log)
        yield Server(url, env | {"PREFECT_API_URL": url}, log)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def make_inbox(inbox: Path) -> None:
    """Two seed pages as dropped by a crawler, and a JSONL export of two more records."""
    inbox.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for seed in seeds[:2]:
        shutil.copy(seed, inbox / seed.name)
    records = [{"url": "https://coastal.example/ferry", "title": "Ferry terminal opening delayed",
                "text": "\n\n".join(PARAGRAPHS)},
               {"url": "https://example.org/seed", "text": seeds[3].read_text(encoding="utf-8")}]
    (inbox / "export.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (inbox / "ferry.html").write_text(article_page(), encoding="utf-8")


def test_scheduled_deployment_runs_on_a_worker_and_writes_the_dataset(server: Server, tmp_path: Path) -> None:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    project_file = (ROOT / "prefect.yaml").read_text()
    ok(prefect(["work-pool", "create", "--type", "process", POOL], server), server)
    ok(prefect(["--no-prompt", "deploy", "--all"], server), server)
    assert (ROOT / "prefect.yaml").read_text() == project_file, "prefect deploy must not rewrite prefect.yaml"

    with SyncPrefectClient(server.url) as client:
        nightly = client.read_deployment_by_name(f"{FLOW}/{SCHEDULED}")
        manual = client.read_deployment_by_name(f"{FLOW}/manual")
        [schedule] = nightly.schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == ("0 3 * * *", "UTC", True)
        assert manual.schedules == []
        assert nightly.enforce_parameter_schema and manual.enforce_parameter_schema
        assert nightly.parameters == manual.parameters
        assert nightly.parameters["inputs"] == ["data/inbox"] and nightly.parameters["output"] == "data/clean"
        assert nightly.work_pool_name == POOL
        # The worker below takes every run due within 10 s: make sure none is a 03:00 run over the
        # checkout's own data/inbox (the scheduler may have created them already).
        client.update_deployment_schedule(nightly.id, schedule.id, active=False)
        due = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[nightly.id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                any_=[StateType.SCHEDULED]))))
        for flow_run in due:
            client.delete_flow_run(flow_run.id)

    # The server enforces the flow's parameter schema when a run is created, and says so readably.
    refused = prefect(["deployment", "run", f"{FLOW}/{SCHEDULED}", "--param", "index=localhost:6379"], server)
    said = " ".join((refused.stdout + refused.stderr).split())
    assert "Validation failed for field 'index'" in said and "'localhost:6379' does not match '^redis://'" in said, said

    inbox, out = tmp_path / "inbox", tmp_path / "clean"
    make_inbox(inbox)
    # 1. the scheduled deployment, on threads
    scheduled = run_now(server, SCHEDULED, f'inputs=["{inbox}"]', f"output={out}")
    # 2. `manual` on an existing Dask cluster started with the README's commands: plain daemonic workers,
    #    an HTML page to clean in a time-limited child, several shards, paths the workers must see
    # 3. `manual` with an input that is not there
    missing = tmp_path / "not-there"
    with readme_dask_cluster(tmp_path) as (address, _):
        spec = "dask://" + address.removeprefix("tcp://")
        on_dask = run_now(server, "manual", f'inputs=["{inbox}"]', f"output={tmp_path / 'dask'}",
                          f"task_runner={spec}", 'config={"shard_bytes": 2000}')
        failing = run_now(server, "manual", f'inputs=["{inbox}", "{missing}"]', f"output={tmp_path / 'failing'}")
        # Without NEWSCLEAN_DIR, as Prefect's own hint starts a worker: the runs use the installed checkout.
        env = {k: v for k, v in server.env.items() if k != "NEWSCLEAN_DIR"}
        worker = subprocess.run([sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--run-once"],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        from distributed import Client

        with Client(address, set_as_default=False) as dask_client:
            dask_pids = set(dask_client.run(os.getpid).values())
    told = (f"--- worker stdout ---\n{worker.stdout[-4000:]}\n--- worker stderr ---\n{worker.stderr[-4000:]}\n"
            + server.tail())

    with SyncPrefectClient(server.url) as client:
        states = {name: client.read_flow_run(run_id) for name, run_id in
                  (("scheduled", scheduled), ("dask", on_dask), ("failing", failing))}
    assert {name: run.state.type for name, run in states.items()} == {
        "scheduled": StateType.COMPLETED, "dask": StateType.COMPLETED, "failing": StateType.FAILED}, told
    assert states["failing"].state.message == f"input not found: {missing}"
    assert states["scheduled"].parameters["inputs"] == [str(inbox)]
    assert states["scheduled"].parameters["task_runner"] == "threads"

    run([inbox], tmp_path / "plain")
    assert len(table(out, "articles")) == len(table(tmp_path / "plain", "articles")) >= 5
    for name in DATASETS:
        assert table(out, name) == table(tmp_path / "plain", name), name
    [summary] = [RunSummary.read(p) for p in (out / "runs").glob("*.json")]
    assert summary.engine == "prefect" and summary.counts.input_files == 4

    # the Dask run: every shard in a Dask worker process, and the rows of a threads run
    run([inbox], tmp_path / "threads", CleanConfig(shard_bytes=2000))
    for name in DATASETS:
        assert table(tmp_path / "dask", name) == table(tmp_path / "threads", name), name
    [summary] = [RunSummary.read(p) for p in (tmp_path / "dask" / "runs").glob("*.json")]
    assert summary.engine == "prefect+dask" and summary.timings.shards >= 3 and summary.rejected_by_reason == {}
    assert summary.orchestration is not None
    shard_pids = {int(w.rsplit(":", 1)[1]) for w in summary.orchestration.shard_workers.values()}
    assert len(summary.orchestration.shard_workers) == summary.timings.shards and shard_pids <= dask_pids
    # the HTML page was cleaned in its time-limited child on a daemonic worker (the JSONL holds the same story)
    assert any(r["source"] == "ferry.html" for r in table(tmp_path / "dask", "duplicates")
               + table(tmp_path / "dask", "articles"))

    # the failed run still cleaned what it could and wrote its report
    [summary] = [RunSummary.read(p) for p in (tmp_path / "failing" / "runs").glob("*.json")]
    assert summary.outcome.status == "failed" and summary.committed and summary.counts.articles_kept > 0
    assert (tmp_path / "failing" / "runs" / f"{summary.run_id}.html").is_file()


def run_now(server: Server, deployment: str, *params: str) -> str:
    """`prefect deployment run` with ``--param`` for each of ``params``; the new flow run's id."""
    args = ["deployment", "run", f"{FLOW}/{deployment}"]
    for param in params:
        args += ["--param", param]
    started = ok(prefect(args, server), server)
    match = re.search(r"UUID: ([0-9a-f-]{36})", started)
    assert match, started
    return match.group(1)
