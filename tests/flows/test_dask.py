"""The shard tasks on Dask: an existing cluster (dask://HOST:PORT) and a temporary one (dask) give
exactly the rows of a threads run, and the shards really ran in the Dask worker processes."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cleaners.config import CleanConfig
from cleaners.summary import RunSummary
from flows.clean import clean_flow
from tests.conftest import ROOT, SEEDS
from tests.flows.helpers import DATASETS, base_env, cli, table
from tests.html.pages import article_page
from tests.s3server import s3_server

pytestmark = pytest.mark.prefect

#: Small shards, so that the corpus below makes several tasks. Both runners get the same value:
#: site boilerplate is counted per chunk inside a shard, so other shards give other rows.
SHARD_BYTES = 20_000
CONFIG = CleanConfig(shard_bytes=SHARD_BYTES)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds, an HTML page (cleaned in a child process, which a Dask worker must be able to start)
    and 400 generated JSONL news items with near-duplicates across files: 9 shards."""
    root = tmp_path_factory.mktemp("corpus")
    shutil.copytree(SEEDS, root / "seeds")
    (root / "html").mkdir()
    (root / "html" / "ferry.html").write_text(article_page(), encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_news_corpus.py"), str(root / "jsonl"),
                    "--docs", "400", "--files", "4"], check=True, capture_output=True, timeout=120)
    return root


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[object]:
    """A cluster like one started with `dask scheduler` and `dask worker --nworkers 2 --nthreads 1`:
    Dask's usual daemonic worker processes, in which the HTML page's time guard must work too."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"logging.distributed": "warning"}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def threads_run(prefect_server: str, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("threads") / "out"
    return out, clean_flow(inputs=[str(corpus)], output=str(out), config=CONFIG)


def worker_pids(workers: dict[str, str]) -> set[int]:
    return {int(w.rsplit(":", 1)[1]) for w in workers.values()}


def assert_same_datasets(out: Path, reference: Path) -> None:
    for name in DATASETS:
        assert table(out, name) == table(reference, name), name


def test_threads_reference_run_has_several_shards_in_worker_processes(threads_run: tuple[Path, dict]) -> None:
    out, summary = threads_run
    shards = summary.orchestration.shard_workers
    assert summary.timings.shards == len(shards) >= 4
    # the task threads wait while the flow's process pool cleans (cleaners.parallel): one process per core
    pids = worker_pids(shards)
    assert pids and os.getpid() not in pids and len(pids) <= len(os.sched_getaffinity(0))
    assert summary.rejected_by_reason == {}, "the HTML page and every record must be readable"
    assert any(r["source"] == "html/ferry.html" for r in table(out, "articles"))
    assert summary.counts.duplicates > 0


def test_an_existing_dask_cluster_gives_the_rows_of_a_threads_run(
        threads_run: tuple[Path, dict], dask_cluster: object, corpus: Path, tmp_path: Path) -> None:
    from distributed import Client

    address = dask_cluster.scheduler_address  # type: ignore[attr-defined]
    summary = clean_flow(inputs=[str(corpus)], output=str(tmp_path / "dask"), config=CONFIG,
                         task_runner="dask://" + address.removeprefix("tcp://"))
    with Client(address, set_as_default=False) as client:
        dask_pids = set(client.run(os.getpid).values())
    assert len(dask_pids) == 2 and os.getpid() not in dask_pids
    shards = summary.orchestration.shard_workers
    assert len(shards) == threads_run[1].timings.shards
    assert worker_pids(shards) == dask_pids, "every shard ran in a Dask worker, and both workers got some"
    assert summary.engine == "prefect+dask" and summary.rejected_by_reason == {}
    held = summary.dedup["sketches_per_worker"]  # the dedup step's groups were computed on the cluster
    assert len(held) == 2 and summary.dedup["sketches_largest_task"] < summary.counts.articles_kept + \
        summary.counts.duplicates
    assert_same_datasets(tmp_path / "dask", threads_run[0])


def test_cli_task_runner_dask_starts_a_temporary_cluster_and_stays_quiet(
        prefect_server: str, threads_run: tuple[Path, dict], corpus: Path, tmp_path: Path) -> None:
    env = base_env(tmp_path) | {"PREFECT_API_URL": prefect_server}
    done = cli([str(corpus), "-o", "out", "--task-runner", "dask", "--shard-bytes", str(SHARD_BYTES), "--json"],
               tmp_path, env)
    assert done.returncode == 0, done.stderr[-4000:]
    summary = RunSummary.model_validate_json(done.stdout)
    run = summary.orchestration
    flow_pid = int(run.flow_process.rsplit(":", 1)[1])
    assert run.task_runner == "dask" and summary.engine == "prefect+dask"
    assert flow_pid not in worker_pids(run.shard_workers), "shards ran in the cluster's worker processes"
    assert len(run.shard_workers) == threads_run[1].timings.shards
    assert_same_datasets(tmp_path / "out", threads_run[0])
    assert "distributed." not in done.stderr and "Traceback" not in done.stderr, done.stderr[-4000:]
    assert "Task run" not in done.stderr, done.stderr[-4000:]  # the workers' consoles keep to warnings


def prefect_servers() -> set[int]:
    """Pids of the Prefect API servers running on this machine now (embedded ones are uvicorn children)."""
    import psutil

    found = set()
    for process in psutil.process_iter(["pid", "cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if "uvicorn" in command and "prefect.server" in command or "prefect server start" in command:
            found.add(process.info["pid"])
    return found


def test_dask_workers_report_to_the_flows_embedded_server_and_start_none_of_their_own(
        corpus: Path, tmp_path: Path) -> None:
    """No PREFECT_API_URL: the command starts its embedded server, and the workers of its temporary
    cluster send their task runs there instead of each starting a server of its own."""
    import sqlite3
    import threading
    import time

    before = prefect_servers()
    seen: set[int] = set()
    most = 0
    running = True

    def watch() -> None:
        nonlocal most
        while running:
            now = prefect_servers() - before
            seen.update(now)
            most = max(most, len(now))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        done = cli([str(corpus), "-o", "out", "--task-runner", "dask", "--shard-bytes", str(SHARD_BYTES), "--json"],
                   tmp_path, base_env(tmp_path), timeout=600)
    finally:
        running = False
        watcher.join()
    assert done.returncode == 0, done.stderr[-4000:]
    summary = RunSummary.model_validate_json(done.stdout)
    assert summary.timings.shards >= 4 and len(set(summary.orchestration.shard_workers.values())) >= 1
    assert len(seen) == 1 and most == 1, f"Prefect servers started during the run: {sorted(seen)}"
    with sqlite3.connect(tmp_path / "prefect-home" / "prefect.db") as db:
        names = [row[0] for row in db.execute("SELECT name FROM task_run")]
    assert sum(name.startswith("clean-shard") for name in names) == summary.timings.shards  # all on the one server


def test_relative_paths_travel_to_an_existing_cluster_as_absolute_ones(
        prefect_server: str, readme_cluster: tuple[str, list], corpus: Path, tmp_path: Path) -> None:
    """The workers run in another folder: relative INPUT and -o must reach them as absolute paths, and
    nothing may be written into the workers' own folder."""
    address, _ = readme_cluster
    here = tmp_path / "elsewhere"
    here.mkdir()
    shutil.copytree(corpus / "seeds", here / "in")
    env = base_env(here) | {"PREFECT_API_URL": prefect_server}
    done = cli(["in", "-o", "out", "--task-runner", "dask://" + address.removeprefix("tcp://"),
                "--shard-bytes", "10000", "--json"], here, env)
    assert done.returncode == 0, done.stderr[-4000:]
    summary = RunSummary.model_validate_json(done.stdout)
    assert summary.rejected_by_reason == {} and summary.counts.articles_kept == 11 and summary.timings.shards >= 2
    assert len(table(here / "out", "articles")) == 11
    strays = [p for p in tmp_path.rglob("*") if "elsewhere" not in p.relative_to(tmp_path).parts
              and (p.suffix == ".parquet" or p.name in ("out", ".staging", "in"))]
    assert strays == []  # nothing in the workers' own folder


def test_dask_workers_in_folders_of_their_own_read_and_write_only_s3(
        threads_run: tuple[Path, dict], corpus: Path, tmp_path: Path) -> None:
    """The corpus and the output only in a loopback S3 server: each worker, in a working folder of its own,
    opens the objects and writes its part files itself with the credentials of its environment; nothing is
    written locally, and the Delta tables hold the rows of the threads run."""
    import dask
    import fsspec
    from distributed import Client, LocalCluster

    pytest.importorskip("deltalake")
    with s3_server() as env, pytest.MonkeyPatch.context() as patch:
        env = {**env, "AWS_ALLOW_HTTP": "true", "AWS_REGION": env["AWS_DEFAULT_REGION"]}
        for key, value in env.items():
            patch.setenv(key, value)
        fsspec.filesystem("s3").put(str(corpus), "corpus/in", recursive=True)
        with dask.config.set({"logging.distributed": "warning"}), LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}, env=env) as cluster, \
                Client(cluster, set_as_default=False) as client:
            for n, worker in enumerate(client.scheduler_info()["workers"]):
                (tmp_path / f"home{n}").mkdir()
                client.run(os.chdir, str(tmp_path / f"home{n}"), workers=[worker])
            summary = clean_flow(inputs=["s3://corpus/in"], output="s3://corpus/out", config=CONFIG,
                                 task_runner="dask://" + cluster.scheduler_address.removeprefix("tcp://"))
            homes = set(client.run(os.getcwd).values())
        assert homes == {str(tmp_path / "home0"), str(tmp_path / "home1")}
        assert summary.engine == "prefect+dask" and summary.rejected_by_reason == {}
        assert len(worker_pids(summary.orchestration.shard_workers)) == 2
        for name in DATASETS:
            assert table("s3://corpus/out", name) == table(threads_run[0], name), name
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no local output, in no worker's folder
