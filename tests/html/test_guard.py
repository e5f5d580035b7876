from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from typing import Any

import psutil
import pytest

from cleaners.config import CleanConfig
from cleaners.html.guard import BoundedExtractor
from cleaners.model import Page, PageResult

from .pages import article_page, dies, sleepy, stuck

CONFIG = CleanConfig()


def _page(html: str, name: str = "p.html") -> Page:
    return Page(name, None, "", "sha", html=html)


def test_pages_are_cleaned_in_the_worker_process() -> None:
    with BoundedExtractor(timeout=60) as guard:
        result = guard.clean(_page(article_page()), CONFIG)
    assert result.rejection is None and result.articles[0].title == "Ferry terminal opening delayed to spring"


def test_a_page_over_the_time_limit_is_rejected_and_the_next_one_is_cleaned() -> None:
    with BoundedExtractor(timeout=1.0, work=sleepy) as guard:
        start = time.monotonic()
        result = guard.clean(_page("<p>x</p>"), CONFIG)
        assert time.monotonic() - start < 30
    assert result.rejection.reason == "timeout" and "1 s" in result.rejection.detail


def test_a_worker_that_dies_costs_only_its_page() -> None:
    with BoundedExtractor(timeout=60, work=dies) as guard:
        crashed = guard.clean(_page("<p>crash</p>", "a.html"), CONFIG)
        fine = guard.clean(_page("<p>fine</p>", "b.html"), CONFIG)
    assert crashed.rejection.reason == "extraction_crash" and crashed.rejection.source == "a.html"
    assert fine.rejection is None


# --------------------------------------------------------------------- inside daemonic processes
# Dask's nanny runs worker processes as daemons, which multiprocessing forbids to have children.

def clean_two_pages() -> tuple[bool, PageResult, PageResult]:
    """Run where the test sends it (a daemonic process, a Dask worker): a real page, then a slow one."""
    with BoundedExtractor(timeout=60) as guard:
        cleaned = guard.clean(_page(article_page()), CONFIG)
    with BoundedExtractor(timeout=1.0, work=sleepy) as guard:
        slow = guard.clean(_page("<p>x</p>", "slow.html"), CONFIG)
    return multiprocessing.current_process().daemon, cleaned, slow


def _report_to(queue: Any, function: Callable[[], Any]) -> None:
    try:
        queue.put(function())
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails with it
        queue.put(exc)


def _start_and_hold(queue: Any, busy: bool) -> None:
    """Start a guard's child, report it, then leave it idle, or busy on a page that never ends."""
    guard = BoundedExtractor(timeout=3600, work=stuck if busy else None)
    guard._start()
    queue.put((multiprocessing.current_process().daemon, guard._process.pid))
    if busy:
        guard.clean(_page("<p>x</p>"), CONFIG)
    time.sleep(3600)


def _in_a_daemon(target: Callable[..., None], *args: Any) -> tuple[Any, Any]:
    ctx = multiprocessing.get_context("spawn")  # as Dask's nanny starts its workers
    queue = ctx.Queue()
    process = ctx.Process(target=target, args=(queue, *args), daemon=True)
    process.start()
    return process, queue


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_guard_works_inside_a_daemonic_process() -> None:
    process, queue = _in_a_daemon(_report_to, clean_two_pages)
    try:
        answer = queue.get(timeout=120)
    finally:
        process.join(30)
    assert not isinstance(answer, BaseException), repr(answer)
    daemon, cleaned, slow = answer
    assert daemon and process.exitcode == 0
    assert cleaned.rejection is None and cleaned.articles[0].title == "Ferry terminal opening delayed to spring"
    assert slow.rejection.reason == "timeout" and slow.rejection.source == "slow.html"


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "busy-holding-the-gil"])
def test_no_process_is_left_when_a_daemonic_caller_is_killed(busy: bool) -> None:
    """Idle, the child sees EOF on its pipe; busy, it dies with the forkserver, which dies with the caller."""
    process, queue = _in_a_daemon(_start_and_hold, busy)
    descendants: list[psutil.Process] = []
    try:
        daemon, child = queue.get(timeout=120)
        descendants = psutil.Process(process.pid).children(recursive=True)
        assert daemon and child in {p.pid for p in descendants}
        time.sleep(1.0)  # the busy child is inside its page by now
        assert psutil.Process(child).status() != psutil.STATUS_ZOMBIE
        os.kill(process.pid, signal.SIGKILL)  # as the nanny or the OOM killer would: no clean-up runs
        process.join(30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(_gone(p.pid) for p in descendants):
            time.sleep(0.1)
        left = [p for p in descendants if not _gone(p.pid)]
        assert left == [], f"left behind: {[(p.pid, p.cmdline()[-1][:60]) for p in left]}"
    finally:  # whatever the outcome, leave no process behind
        if process.is_alive():
            descendants += psutil.Process(process.pid).children(recursive=True)
            process.kill()
        for p in descendants:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()


def test_the_guard_works_on_a_daemonic_dask_worker() -> None:
    """A plain ``LocalCluster`` (and ``dask worker`` with its nanny) runs daemonic workers: no setting needed."""
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set({"logging.distributed": "error"}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                     dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        daemon, cleaned, slow = client.submit(clean_two_pages, pure=False).result(timeout=120)
    assert daemon, "the worker was not daemonic: the test proves nothing"
    assert cleaned.rejection is None and cleaned.articles[0].title == "Ferry terminal opening delayed to spring"
    assert slow.rejection.reason == "timeout"
