"""A time limit per HTML page: extraction runs in a worker process that is killed past it.

Python cannot stop a thread, and a signal-based alarm only works on the main
thread (Prefect and Dask run tasks on worker threads), while lxml and
trafilatura can spend minutes on a pathological page. So pages go to a child
process over a pipe; when the answer does not come within the limit, the
child is killed, the page becomes a ``timeout`` rejection, and the next page
starts a fresh child. A child that dies (a parser crash, the OOM killer)
costs only its page (``extraction_crash``).

Children come from a ``forkserver`` that has imported the HTML stage once,
so a restart costs a fork, not a re-import of trafilatura; forking from a
clean server also avoids forking a process that runs threads.
"""
from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from ..config import CleanConfig
from ..model import Page, PageResult, Rejection

_CONTEXT: Any = None
_CONTEXT_LOCK = threading.Lock()


def _context() -> Any:
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["cleaners.html.page"])
            _CONTEXT = ctx
    return _CONTEXT


Work = Callable[[Page, CleanConfig], PageResult]


def _serve(conn: Connection, work: Work | None) -> None:
    """The child: clean pages until the pipe closes."""
    if work is None:
        from .page import clean_html_page as work

    while True:
        try:
            page, config = conn.recv()
        except EOFError:
            return
        try:
            conn.send(work(page, config))
        except Exception as exc:  # a bug on one page costs that page
            conn.send(PageResult(rejection=Rejection(page.source, page.record, "cleaning_error",
                                                     f"{type(exc).__name__}: {exc}", page.page_id)))


class BoundedExtractor:
    """Cleans HTML pages in a child process with a time limit per page; use as a context manager."""

    def __init__(self, timeout: float, work: Work | None = None) -> None:
        """``work``: what runs on each page (a module-level function), the HTML stage by default."""
        self.timeout = timeout
        self.work = work
        self._process: Any = None
        self._conn: Connection | None = None

    def __enter__(self) -> BoundedExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def clean(self, page: Page, config: CleanConfig) -> PageResult:
        conn = self._start()
        try:
            conn.send((page, config))
            if conn.poll(self.timeout):
                return conn.recv()
            detail, reason = f"extraction took longer than {self.timeout:g} s (html_timeout)", "timeout"
        except (EOFError, OSError, BrokenPipeError) as exc:
            detail, reason = f"the extraction process died: {type(exc).__name__}", "extraction_crash"
        self._kill()
        return PageResult(rejection=Rejection(page.source, page.record, reason, detail, page.page_id))

    def _start(self) -> Connection:
        if self._conn is None:
            ctx = _context()
            parent, child = ctx.Pipe()
            self._process = ctx.Process(target=_serve, args=(child, self.work), daemon=True, name="html-extract")
            self._process.start()
            child.close()
            self._conn = parent
        return self._conn

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()  # the child sees EOF and returns
        if self._process is not None:
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
        self._process = self._conn = None
