"""Shards in worker processes: the same rows as one process; a dead worker costs its shards, never success."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cleaners.config import CleanConfig
from cleaners.faults import process_name
from cleaners.parallel import FIRST_HELPED_CHUNK, clean_shards_in_processes
from cleaners.pipeline import run
from cleaners.summary import Orchestration, RunSummary
from tests.badinput import story
from tests.test_pipeline import comparable

#: one shard per file
SMALL_SHARDS = CleanConfig(shard_bytes=1_000)


def inbox(root: Path, n: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        (root / f"story_{k:02d}.txt").write_text(story(f"town {k}"), encoding="utf-8")
    (root / "story_dup.txt").write_text(story("town 3"), encoding="utf-8")  # dedup across shards and processes
    return root


def test_processes_give_the_rows_one_process_gives(tmp_path: Path, seeds_dir: Path) -> None:
    folder = inbox(tmp_path / "in", 6)
    inputs = [folder, *sorted(seeds_dir.glob("*.txt"))]
    run(inputs, tmp_path / "one", SMALL_SHARDS)
    where = Orchestration(task_runner="processes", flow_process=process_name())
    summary = run(inputs, tmp_path / "two", SMALL_SHARDS, clean_shards=clean_shards_in_processes(2),
                  orchestration=where)
    assert summary.outcome.ok and summary.timings.shards > 2
    workers = set(where.shard_workers.values())
    assert len(workers) == 2 and process_name() not in workers  # two processes, neither this one
    for name in ("articles", "duplicates", "removed", "rejected"):
        assert comparable(tmp_path / "one", name) == comparable(tmp_path / "two", name), name
    assert summary.dataset.duplicates >= 1


def test_one_shard_runs_in_this_process(tmp_path: Path) -> None:
    where = Orchestration(task_runner="processes", flow_process=process_name())
    summary = run([inbox(tmp_path / "in", 2)], tmp_path / "out", clean_shards=clean_shards_in_processes(4),
                  orchestration=where)
    assert summary.outcome.ok and summary.timings.shards == 1
    assert set(where.shard_workers.values()) == {process_name()}  # no pool started for one shard


def _descendants() -> dict[int, int]:
    """pid -> parent pid of every process below this one."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    below, frontier = {}, [os.getpid()]
    while frontier:
        parent = frontier.pop()
        for pid, p in parents.items():
            if p == parent and pid not in below:
                below[pid] = p
                frontier.append(pid)
    return below


def _is_worker(pid: int) -> bool:
    """A shard worker (a spawned interpreter), not multiprocessing's resource tracker."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def killing_a_worker(start: Callable[[], RunSummary], after: float, within: float = 60) -> RunSummary:
    """``start()`` in a thread; SIGKILL the first worker process it started once that has lived ``after``
    seconds (as the OOM killer meets one); the run's summary."""
    before = _descendants()
    result: list[RunSummary | BaseException] = []

    def clean() -> None:
        try:
            result.append(start())
        except BaseException as exc:  # noqa: BLE001 (the assertion below shows it)
            result.append(exc)

    thread = threading.Thread(target=clean)
    thread.start()
    killed = None
    seen: dict[int, float] = {}
    deadline = time.monotonic() + within
    while killed is None and time.monotonic() < deadline and thread.is_alive():
        for pid in _descendants():
            if pid not in before and _is_worker(pid):
                seen.setdefault(pid, time.monotonic())
        old = [pid for pid, since in seen.items() if time.monotonic() - since > after]
        if old:
            killed = old[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.01)
    thread.join(120)
    assert killed is not None and result, "no worker to kill, or the run did not end"
    summary = result[0]
    assert isinstance(summary, RunSummary), summary
    return summary


def test_a_worker_killed_mid_run_fails_shards_and_the_run_never_reports_success(tmp_path: Path) -> None:
    folder = inbox(tmp_path / "in", 80)
    # a worker that has run a while (with its shard, started or not)
    summary = killing_a_worker(lambda: run([folder], tmp_path / "out", SMALL_SHARDS,
                                           clean_shards=clean_shards_in_processes(2)), after=0.3)
    assert not summary.outcome.ok  # shards were lost: the run says so, whatever else it committed
    # the killed worker's shard alone is lost; its thread's next shard starts a fresh worker
    assert len(summary.failed_shards) == 1 and "WorkerDied" in summary.failed_shards[0].error
    lost = sum(s.files for s in summary.failed_shards)
    rows = summary.dataset
    assert (rows.articles + rows.duplicates, rows.rejected) == (81 - lost, lost)  # shard_failed rows, none silent


#: Each site's line on most of its pages: site boilerplate, counted over a whole chunk
SITE_LINES = {"gazette.example": "Porthaven Gazette, harbour news since 1901",
              "courier.example": "The Valley Courier: independent local reporting"}


def feed(path: Path, pages: int) -> Path:
    """One JSONL file of ``pages`` stories of two sites, each site's line on 4 of its 5 pages, and an HTML
    copy of one story: one shard."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for k in range(pages):
        site = sorted(SITE_LINES)[k % 2]
        footer = f"\n\n{SITE_LINES[site]}\n" if k % 5 else ""
        rows.append({"id": f"s{k}", "url": f"https://{site}/{k}", "text": story(f"town {k}", n=2) + footer})
    paragraphs = "".join(f"<p>{p}</p>" for p in story("town 7", n=2).split("\n\n")[1:])
    rows.append({"id": "html", "html": f"<html><body><article><h1>Town 7</h1>{paragraphs}</article></body></html>"})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_a_large_file_has_its_pages_cleaned_in_helpers_with_the_rows_of_one_process(tmp_path: Path) -> None:
    path = feed(tmp_path / "in" / "feed.jsonl", FIRST_HELPED_CHUNK + 100)
    run([path], tmp_path / "one", CleanConfig())  # no executor: every page in this thread
    where = Orchestration(task_runner="processes", flow_process=process_name())
    summary = run([path], tmp_path / "two", clean_shards=clean_shards_in_processes(2), orchestration=where)
    assert summary.outcome.ok and summary.timings.shards == 1
    assert set(where.shard_workers.values()) == {process_name()}  # the shard: here
    assert len(where.page_workers) == 2 and process_name() not in where.page_workers  # its pages: two helpers
    for name in ("articles", "duplicates", "removed", "rejected"):
        assert comparable(tmp_path / "one", name) == comparable(tmp_path / "two", name), name
    assert summary.dataset.duplicates >= 1  # the HTML copy
    # each site's line went as its site's boilerplate, from batches that held pages of both sites
    assert summary.removed_by_reason.get("site_boilerplate", 0) >= 0.8 * FIRST_HELPED_CHUNK


def test_a_small_file_starts_no_helper(tmp_path: Path) -> None:
    where = Orchestration(task_runner="processes", flow_process=process_name())
    summary = run([feed(tmp_path / "in" / "feed.jsonl", 50)], tmp_path / "out",
                  clean_shards=clean_shards_in_processes(2), orchestration=where)
    assert summary.outcome.ok and where.page_workers == []


def test_a_helper_killed_mid_chunk_fails_its_shard_and_the_run_never_reports_success(tmp_path: Path) -> None:
    path = feed(tmp_path / "in" / "feed.jsonl", 4 * FIRST_HELPED_CHUNK)
    # a helper 3 s after its start: its imports done, and cleaning
    summary = killing_a_worker(lambda: run([path], tmp_path / "out", clean_shards=clean_shards_in_processes(2)),
                               after=3.0, within=90)
    assert not summary.outcome.ok
    assert len(summary.failed_shards) == 1 and "WorkerDied" in summary.failed_shards[0].error
    rows = summary.dataset
    assert (rows.rejected, rows.articles, rows.duplicates) == (1, 0, 0)  # the file's shard_failed row, none silent


def test_an_error_comes_back_as_itself_when_it_can_cross_the_pipe() -> None:
    import errno

    from cleaners.faults import is_transient
    from cleaners.parallel import _portable

    class Odd(Exception):
        def __init__(self, a: int, b: int) -> None:  # pickling calls Odd(message): fails
            super().__init__(f"{a}/{b}")

    fault = _portable(OSError(errno.EIO, "EIO reading x"))
    assert isinstance(fault, OSError) and is_transient(fault)  # still retried
    odd = _portable(Odd(1, 2))
    assert type(odd) is RuntimeError and str(odd) == "Odd: 1/2"


def test_files_of_a_reader_the_program_registered_stay_in_its_process(tmp_path: Path) -> None:
    from tests import faulty  # registers a reader for .flaky files, as a user's program may

    folder = inbox(tmp_path / "in", 3)
    (folder / "extra.flaky").write_text(story("harbour"), encoding="utf-8")
    faulty.reset()
    where = Orchestration(task_runner="processes", flow_process=process_name())
    summary = run([folder], tmp_path / "out", SMALL_SHARDS, clean_shards=clean_shards_in_processes(2),
                  orchestration=where)
    assert summary.outcome.ok and summary.rejected_by_reason == {}  # a worker would reject it as unsupported
    assert set(where.shard_workers.values()) == {process_name()}
