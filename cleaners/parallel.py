"""Shards in worker processes, one per core: cleaning is Python text code that holds the GIL.

Threads share one core however many there are (py-spy on 100,000 news pages:
two shard threads, 0.96 cores). So a shard's work goes to a worker process,
and the thread that asked waits for it: the ``--no-prefect`` command keeps
one such thread per core, and the Prefect flow's shard tasks, on their
thread runner, do the same. Prefect still sees one task per shard (state,
retries, timing), and no worker starts a Prefect server or talks to one.

- **One worker per thread**, over a pipe of its own (:class:`ShardWorker`),
  not a shared ``ProcessPoolExecutor``: in Python 3.11 a pool whose worker
  dies fails its futures before it has stopped its other workers, and a
  worker it was starting in that instant is never stopped. That worker
  then ran a shard already reported as failed, deleting its
  ``shard_failed`` rows and taking its file into the ledger (the file was
  lost for good), and the pool waited for it forever (a review reproduced
  both). Here a dead worker is joined before its shard is settled, and it
  costs that shard alone; the thread's next shard starts a fresh worker.
- Workers are fresh interpreters (``spawn``): each imports the cleaning
  stages once, about 2 s, paid only by runs with more than one shard. Not
  ``fork``: the command runs threads (Prefect's, the progress line's) whose
  locks a fork would copy mid-state. They do not run the command's module
  again, as :mod:`multiprocessing` would (:mod:`cleaners.children`): for
  ``python -m flows.clean`` that imported Prefect in every worker.
- Each worker exits within about 2 s once the command is gone, even
  mid-shard (``kill -9``, the OOM killer): a thread in it watches for the
  reparenting (:func:`cleaners.html.guard.exit_when_orphaned`; the kernel's
  parent-death signal fires when the starting *thread* exits).
- An error a shard raises comes back as itself when it can cross the pipe
  (``OSError`` keeps its errno, so a transient fault is retried), else as a
  ``RuntimeError`` naming it.
- One shard, or one core, runs in the calling thread: a worker would only add
  its start (seeds: one shard). So do all shards when the calling program
  registered a reader of its own for some of the files, which a worker would
  not have (:func:`cleaners.io.readers.builtin_reader_for`). One large file
  is one shard too: there, the pages of its large chunks are cleaned by
  helper processes (:class:`PageHelpers`), while reading and writing stay in
  the thread.
"""
from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from contextvars import ContextVar
from multiprocessing.connection import Connection
from typing import Any

from . import progress
from .children import main_module_skipped
from .config import CleanConfig
from .faults import process_name, with_retries
from .html.guard import BoundedExtractor, exit_when_orphaned
from .io.readers import InputFile, builtin_reader_for
from .io.writer import StagingArea
from .model import Page, PageResult
from .pipeline import (
    PAGE_HELPERS,
    ShardExecutor,
    ShardStats,
    clean_pages,
    clean_shard,
    clean_shards_inline,
    settle_shard,
    shard_name,
)
from .text.boilerplate import site_key


class WorkerDied(RuntimeError):
    """The worker process cleaning a shard ended without an answer (killed, out of memory, a crash)."""


def default_workers() -> int:
    """The cores this process may run on (its CPU affinity, as ``taskset`` and containers set it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class ShardWorker:
    """One worker process, used by one thread at a time; started again after it died."""

    def __init__(self) -> None:
        self._process: Any = None
        self._conn: Connection | None = None

    def clean(self, files: Sequence[InputFile], shard: str, area: StagingArea, config: CleanConfig) -> ShardStats:
        """:func:`cleaners.pipeline.clean_shard` in the worker process; its stats name that process."""
        stats: ShardStats = self.call(clean_shard, (list(files), shard, area, config), f"shard {shard}")
        return stats

    def call(self, function: Callable[..., Any], args: tuple[Any, ...], what: str) -> Any:
        """``function(*args)`` in the worker process (a module-level function: it travels by name)."""
        conn = self._start()
        try:
            conn.send((function, args))
            ok, value = conn.recv()
        except (EOFError, OSError) as exc:  # the worker is gone: join it before the shard is settled
            code = self._stop(kill=True)
            raise WorkerDied(f"the worker process cleaning {what} ended (exit code {code}) "
                             f"without an answer: {type(exc).__name__}") from None
        if ok:
            return value
        raise value

    def close(self) -> None:
        self._stop(kill=False)

    def hang_up(self) -> None:
        """Tell an idle worker to exit (its pipe closes) without waiting for it: :meth:`close` then joins it."""
        if self._conn is not None:
            self._conn.close()

    def _start(self) -> Connection:
        if self._conn is None:
            ctx = multiprocessing.get_context("spawn")
            parent, child = ctx.Pipe()
            self._process = ctx.Process(target=_serve, args=(child, os.getpid()), daemon=True, name="shard-worker")
            with main_module_skipped():
                self._process.start()
            child.close()
            self._conn = parent
        return self._conn

    def _stop(self, kill: bool) -> int | None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None and not conn.closed:
            conn.close()  # an idle worker sees EOF and returns
        if process is None:
            return None
        if kill:
            process.kill()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()
        return process.exitcode


def _serve(conn: Connection, parent: int) -> None:
    """The worker: clean shards (or pages) until the pipe closes."""
    exit_when_orphaned(parent)
    while True:
        try:
            function, args = conn.recv()
        except EOFError:
            gc.freeze()  # the exit's last collection would scan the whole heap for nothing (0.4 s and more)
            return
        try:
            answer: tuple[bool, Any] = (True, function(*args))
        except Exception as exc:  # noqa: BLE001 (the calling thread settles it, as if the shard ran there)
            answer = (False, _portable(exc))
        conn.send(answer)


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling (the pipe), else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 (any failure to round-trip)
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class ShardPool:
    """A :class:`ShardWorker` per calling thread, for one run; closed with the run."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._workers: list[ShardWorker] = []
        self._lock = threading.Lock()
        self._closed = False

    def clean(self, files: Sequence[InputFile], shard: str, area: StagingArea, config: CleanConfig) -> ShardStats:
        return self._worker().clean(files, shard, area, config)

    def call(self, function: Callable[..., Any], args: tuple[Any, ...], what: str) -> Any:
        return self._worker().call(function, args, what)

    def _worker(self) -> ShardWorker:
        """This thread's worker."""
        with self._lock:
            if self._closed:  # a worker started now would outlive the run
                raise RuntimeError("the run's shard workers are closed")
            worker = getattr(self._local, "worker", None)
            if worker is None:
                worker = self._local.worker = ShardWorker()
                self._workers.append(worker)
        return worker

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
        for worker in workers:  # all exit at once, then each is joined
            worker.hang_up()
        for worker in workers:
            worker.close()

    def __enter__(self) -> ShardPool:  # noqa: PYI034 (typing.Self needs Python 3.11; 3.10 is supported)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: The pool of the run in progress in this context: a Prefect flow run's shard tasks run on threads in a
#: copy of the submitting context, so each flow run in a process sees its own pool, and others none.
_CURRENT: ContextVar[ShardPool | None] = ContextVar("shard_workers", default=None)


@contextmanager
def shard_workers() -> Iterator[ShardPool]:
    """Worker processes for the shards cleaned in this context (:func:`clean_shard_here`) until it ends."""
    with ShardPool() as pool:
        token = _CURRENT.set(pool)
        try:
            yield pool
        finally:
            _CURRENT.reset(token)


def clean_shard_here(files: Sequence[InputFile], shard: str, area: StagingArea, config: CleanConfig) -> ShardStats:
    """A shard cleaned by this context's worker processes (:func:`shard_workers`), or in this thread."""
    pool = _CURRENT.get()
    if pool is None:
        return clean_shard(files, shard, area, config)
    return pool.clean(files, shard, area, config)


#: Pages a chunk must weigh before its cleaning goes to helper processes while none runs yet: starting one
#: costs about 2 s of imports, about what 2,000 news-length text pages take to clean on one core. An HTML
#: page weighs :data:`HTML_PAGE_WEIGHT` text pages (extraction takes about that much longer).
FIRST_HELPED_CHUNK = 2_000
#: Once helpers run, a smaller chunk (a file's last one) is still worth sending them.
HELPED_CHUNK = 200
HTML_PAGE_WEIGHT = 10
#: Batches per helper and chunk: helpers that finish early take another batch, so none idles at the end.
BATCHES_PER_HELPER = 4


class PageHelpers:
    """Helper processes that clean the pages of a shard cleaned in this process, chunk by chunk.

    One large input file is one shard, cleaned in the thread that runs the
    command: without help it used one core. Reading, the ledger and the
    writes stay in the shard's thread, in the same order as before; only
    :func:`cleaners.pipeline.clean_pages` (where the time goes) runs in the
    helpers, on batches of a chunk, and the chunk is written from their
    results in page order, so the rows are those of a run without helpers.
    The site boilerplate of a chunk is still counted over the whole chunk.
    A helper that dies fails the shard with :class:`WorkerDied`, as a shard
    worker's death does. Threads that clean chunks at the same time take
    turns (they would share one core anyway).
    """

    def __init__(self, helpers: int) -> None:
        self.helpers = helpers
        self._pool = ShardPool()
        self._threads = ThreadPoolExecutor(helpers, thread_name_prefix="pages")
        self._lock = threading.Lock()
        self._started = False

    def __call__(self, pages: list[Page], site_lines: dict[str, frozenset[str]],
                 config: CleanConfig) -> tuple[list[PageResult], list[str]] | None:
        weight = sum(HTML_PAGE_WEIGHT if page.html is not None else 1 for page in pages)
        if weight < (HELPED_CHUNK if self._started else FIRST_HELPED_CHUNK):
            return None
        with self._lock:
            self._started = True
            step = -(-len(pages) // (self.helpers * BATCHES_PER_HELPER))
            futures = []
            for start in range(0, len(pages), step):
                batch = pages[start:start + step]
                sites = {key: site_lines[key] for key in {site_key(p) for p in batch} if key in site_lines}
                futures.append(self._threads.submit(self._pool.call, _clean_batch, (batch, sites, config),
                                                    f"pages {start:,}-{start + len(batch) - 1:,} of a chunk"))
            try:
                # a helper's death or error fails the shard: the batches not yet started are not started
                wait(futures, return_when=FIRST_EXCEPTION)
            finally:  # (also on Ctrl-C)
                for future in futures:
                    future.cancel()
                wait(futures)  # every helper done with this chunk before it is settled
            failed = next((f.exception() for f in futures if not f.cancelled() and f.exception()), None)
            if failed is not None:
                raise failed
            results: list[PageResult] = []
            names: list[str] = []
            for future in futures:
                batch_results, name = future.result()
                results.extend(batch_results)
                if name not in names:
                    names.append(name)
        return results, names

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        self._pool.close()


#: A helper's time-bounded HTML extractor (:class:`cleaners.html.guard.BoundedExtractor`), kept for its life.
_EXTRACTORS: dict[float, BoundedExtractor] = {}


def _clean_batch(pages: list[Page], site_lines: dict[str, frozenset[str]],
                 config: CleanConfig) -> tuple[list[PageResult], str]:
    """In a helper: a batch's results, and the helper's name."""
    html = None
    if config.html_timeout > 0 and any(page.html is not None for page in pages):
        html = _EXTRACTORS.get(config.html_timeout)
        if html is None:
            html = _EXTRACTORS[config.html_timeout] = BoundedExtractor(config.html_timeout)
    return clean_pages(pages, site_lines, config, html), process_name()


@contextmanager
def page_helpers(workers: int | None = None) -> Iterator[PageHelpers | None]:
    """:class:`PageHelpers` for the shards cleaned in this context and process (:data:`PAGE_HELPERS`), when
    there are cores to spare and this process may start children; else None, and pages are cleaned here."""
    n = workers or default_workers()
    if n <= 1 or multiprocessing.current_process().daemon:
        yield None
        return
    helpers = PageHelpers(n)
    token = PAGE_HELPERS.set(helpers)
    try:
        yield helpers
    finally:
        PAGE_HELPERS.reset(token)
        helpers.close()


def use_processes(shards: list[list[InputFile]]) -> bool:
    """Whether shards go to worker processes: more than one shard and core, only files the package's own
    readers read, and a process that may start children (a daemonic one, a Dask worker, may not)."""
    return (len(shards) > 1 and default_workers() > 1 and not multiprocessing.current_process().daemon
            and all(builtin_reader_for(f.path) for files in shards for f in files))


def clean_shards_in_processes(workers: int | None = None) -> ShardExecutor:
    """A shard executor for :func:`cleaners.pipeline.run` with ``workers`` processes (None: one per core)."""

    def execute(shards: list[list[InputFile]], area: StagingArea, config: CleanConfig) -> list[ShardStats]:
        n = min(workers or default_workers(), len(shards))
        if n <= 1 or not use_processes(shards):
            with page_helpers(workers):
                return clean_shards_inline(shards, area, config)
        here = process_name()
        with ShardPool() as pool, ThreadPoolExecutor(n, thread_name_prefix="shard") as threads:
            futures = [threads.submit(with_retries, functools.partial(pool.clean, files, shard_name(k), area, config))
                       for k, files in enumerate(shards)]
            for files, future in zip(shards, futures):  # progress as shards end, in any order
                future.add_done_callback(functools.partial(_count, files=files, here=here))
            done: list[ShardStats] = []
            try:
                for k, (files, future) in enumerate(zip(shards, futures)):
                    done.append(settle_shard(files, shard_name(k), area, future.result))  # OutputError: run ends
            except BaseException:
                for future in futures:
                    future.cancel()  # the running shards finish before the run clears its folders
                raise
            return done

    return execute


def _count(future: Any, files: Sequence[InputFile], here: str) -> None:
    if not future.cancelled() and future.exception() is None:
        count_elsewhere(future.result(), files, here)


def count_elsewhere(stats: ShardStats, files: Sequence[InputFile], here: str) -> None:
    """Add a shard cleaned in another process to this one's progress line (its counts stayed there)."""
    if stats.worker and stats.worker != here:
        progress.add(files=stats.files, records=stats.records, articles=stats.articles,
                     nbytes=sum(f.size for f in files))
