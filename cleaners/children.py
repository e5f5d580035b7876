"""Starting child processes without re-running the command's main module in each of them.

:mod:`multiprocessing` makes every ``spawn`` and ``forkserver`` child run the
parent's ``__main__`` module again (as ``__mp_main__``), so that functions
defined there can be unpickled. For ``python -m flows.clean`` that module is
the Prefect flow: each shard worker imported Prefect for nothing, 2.2 s of CPU
per worker (py-spy, 10,000 news pages), and each HTML extraction child 0.6 s.
The children run module-level functions of :mod:`cleaners`, which travel by
name and need nothing from the command's module.

So a child started inside :func:`main_module_skipped` is told nothing about
the main module when, and only when, that module is one of this project's
commands (:data:`OWN_COMMANDS`). A user's script keeps the standard
behaviour: it may define functions its children need.

How: :func:`multiprocessing.spawn.get_preparation_data`, which both start
methods call in the starting thread to describe the parent to the child, is
wrapped once; the wrapper drops the main module's entry for a thread inside
the context and changes nothing for any other thread or caller. Nothing
else of the process changes (``sys.modules`` stays as it is, so no other
thread can see a different ``__main__``), and the context nests.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing import spawn
from typing import Any

#: Packages whose modules, run as ``__main__`` (``python -m flows.clean``), no child process needs.
OWN_COMMANDS = ("flows.",)
#: The keys of the preparation data that make a child run the main module again.
_MAIN_KEYS = ("init_main_from_name", "init_main_from_path")

_STATE = threading.local()
_INSTALL = threading.Lock()
_installed = False


def _own_command(main: object) -> bool:
    name = getattr(getattr(main, "__spec__", None), "name", None)
    return isinstance(name, str) and name.startswith(OWN_COMMANDS)


def _install() -> None:
    """Wrap :func:`multiprocessing.spawn.get_preparation_data` (once per process)."""
    global _installed
    with _INSTALL:
        if _installed:
            return
        original = spawn.get_preparation_data

        def get_preparation_data(name: str) -> dict[str, Any]:
            data: dict[str, Any] = original(name)
            if getattr(_STATE, "skip", False):
                for key in _MAIN_KEYS:
                    data.pop(key, None)
            return data

        spawn.get_preparation_data = get_preparation_data
        _installed = True


@contextmanager
def main_module_skipped() -> Iterator[None]:
    """Around ``Process.start()``: the child will not run this command's main module again."""
    if not _own_command(sys.modules.get("__main__")):
        yield
        return
    _install()
    before = getattr(_STATE, "skip", False)
    _STATE.skip = True
    try:
        yield
    finally:
        _STATE.skip = before
