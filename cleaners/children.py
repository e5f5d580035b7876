"""Starting child processes without re-running the command's main module in each of them.

:mod:`multiprocessing` makes every ``spawn`` and ``forkserver`` child run the
parent's ``__main__`` module again (as ``__mp_main__``), so that functions
defined there can be unpickled. For ``python -m flows.clean`` that module is
the Prefect flow: each shard worker imported Prefect for nothing, 2.2 s of CPU
per worker (py-spy, 10,000 news pages), and each HTML extraction child 0.6 s.
The children run module-level functions of :mod:`cleaners`, which travel by
name and need nothing from the command's module.

So while a child starts, ``sys.modules["__main__"]`` is a bare stand-in when,
and only when, the main module is one of this project's commands
(:data:`OWN_COMMANDS`). A user's script keeps the standard behaviour: it may
define functions its children need.
"""
from __future__ import annotations

import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager

#: Packages whose modules, run as ``__main__``, no child process needs.
OWN_COMMANDS = ("flows.", "cleaners.", "benchmarks.")

_LOCK = threading.Lock()


def _own_command(main: object) -> bool:
    name = getattr(getattr(main, "__spec__", None), "name", None)
    return isinstance(name, str) and name.startswith(OWN_COMMANDS)


@contextmanager
def main_module_skipped() -> Iterator[None]:
    """Around ``Process.start()``: the child will not run this command's main module again.

    :mod:`multiprocessing` reads the main module's ``__spec__`` and ``__file__``
    while it starts the child (:func:`multiprocessing.spawn.get_preparation_data`);
    a stand-in without either makes the child skip it. Only the ``sys.modules``
    entry changes, for the start's few milliseconds, under a lock: the module
    object itself, and every reference to it, stays as it is.
    """
    with _LOCK:  # read under the lock: another thread's start may hold the stand-in in place
        main = sys.modules.get("__main__")
        if main is None or not _own_command(main):
            yield
            return
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main
