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

**Inside daemonic processes.** Dask's nanny runs its worker processes as
daemons, and :mod:`multiprocessing` refuses to start a child from a daemon
(``daemonic processes are not allowed to have children``): a daemon is
killed with its parent, and its children would be orphaned. Ours cannot be:

- the child is started with the caller's daemon flag lifted only around
  ``Process.start()``, under a lock (:func:`_children_allowed`; the public
  ``daemon`` setter, restored at once). The child is itself a daemon, so it
  is terminated when the caller exits normally;
- idle, the child waits on its pipe and returns on EOF, which comes as soon as
  the caller is gone, however it died;
- busy on a page (one that never ends, maybe in C code that holds the GIL),
  it is killed by the kernel: it drops the copy of the forkserver's "alive"
  pipe every forkserver child inherits (it never starts processes), so the
  forkserver exits as soon as its last client, the caller, dies, and the
  child asked for ``SIGKILL`` when its parent, the forkserver, exits
  (``PR_SET_PDEATHSIG``; elsewhere than Linux a thread watches the parent).

The alternative, a child started by :mod:`subprocess`, needs no flag but
pays a fresh interpreter and trafilatura import for every restart after a
timeout, and still needs the same care to die with its caller.
"""
from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from ..children import main_module_skipped
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


@contextlib.contextmanager
def _children_allowed() -> Iterator[None]:
    """Let this process start a child even when it is a daemon (see the module's docstring).

    The flag is lifted only while ``Process.start()`` runs, under a lock, so that
    two threads starting children cannot restore it out of order.
    """
    me = multiprocessing.current_process()
    with _START_LOCK:
        daemon = me.daemon
        if daemon:
            me.daemon = False
        try:
            yield
        finally:
            if daemon:
                me.daemon = True


_START_LOCK = threading.Lock()
#: prctl(2) option: the signal the kernel sends this process when its parent exits.
_PR_SET_PDEATHSIG = 1


def _die_with_the_caller() -> None:
    """In the child: never outlive the process that uses it, even in the middle of a page.

    The forkserver exits when no process holds its "alive" pipe any more, and
    every child it forks inherits one: dropping ours leaves the caller the last
    holder. Then the forkserver's exit becomes this child's ``SIGKILL``.
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if server is not None and isinstance(alive, int):
        with contextlib.suppress(OSError):
            os.close(alive)
        server._forkserver_alive_fd = None
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    else:  # no parent-death signal: a thread notices the reparenting (while Python code runs)
        exit_when_orphaned()
    caller = multiprocessing.parent_process()
    try:  # the caller died (and so the forkserver) before the signal was asked for
        if caller is not None and caller.pid is not None:
            os.kill(caller.pid, 0)
    except ProcessLookupError:
        os._exit(1)


def exit_when_orphaned(parent: int | None = None) -> None:
    """In a child: exit (within half a second, even mid-work) once ``parent`` (its parent) is gone.

    For children whose parent-death signal would fire at the wrong time: the
    kernel sends it when the parent *thread* that started the child exits
    (shard workers are started by whichever thread needs one), and it does
    not exist outside Linux. A reparented child sees a new ``getppid()``;
    the caller passes its pid, so a parent that died while the child was
    still importing is noticed too.
    """
    threading.Thread(target=_watch_parent, args=(os.getppid() if parent is None else parent,), daemon=True,
                     name="parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _serve(conn: Connection, work: Work | None) -> None:
    """The child: clean pages until the pipe closes."""
    _die_with_the_caller()
    if work is None:
        from .page import clean_html_page

        work = clean_html_page
    while True:
        try:
            page, config = conn.recv()
        except EOFError:
            return
        try:
            conn.send(work(page, config))
        except Exception as exc:  # noqa: BLE001 (a bug on one page costs that page)
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

    def __enter__(self) -> BoundedExtractor:  # noqa: PYI034 (never subclassed; typing.Self is 3.11+)
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
            with _children_allowed(), main_module_skipped():
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
