"""A reader whose files fail like a network mount does: the test says how many reads fail, and how.

Registered for the ``.flaky`` suffix (a name no real input has); the pages
are plain text. Failures are real ``OSError`` s raised from inside the
reader, where an NFS timeout or a stale handle would surface.
"""
from __future__ import annotations

import errno
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from cleaners.io.readers import InputFile, register_reader, sha256
from cleaners.model import Page, Rejection

#: file name -> (reads still to fail, errno to fail with); attempts per file name by the cleaning step
FAILURES: dict[str, tuple[int, int]] = {}
ATTEMPTS: dict[str, int] = {}
_LOCK = threading.Lock()


class FlakyReader:
    suffixes = (".flaky",)

    def read(self, file: InputFile, limit: int | None) -> Iterator[Page | Rejection]:
        with _LOCK:
            if _cleaning():
                ATTEMPTS[file.path.name] = ATTEMPTS.get(file.path.name, 0) + 1
            left, code = FAILURES.get(file.path.name, (0, 0))
            if left:
                FAILURES[file.path.name] = (left - 1, code)
        if left:
            raise OSError(code, f"{errno.errorcode[code]} reading {file.path.name} (injected by the test reader)")
        data = file.path.read_bytes()
        yield Page(source=file.source, record=None, text=data.decode(), content_sha=sha256(data))


def _cleaning() -> bool:
    """Whether the read comes from a cleaning task (the run report reads inputs again, for its page views)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "clean_shard" and frame.f_globals.get("__name__") == "cleaners.pipeline":
            return True
        frame = frame.f_back
    return False


register_reader(FlakyReader())


def reset() -> None:
    """Forget every earlier test's failures and attempts (file names repeat across tests)."""
    FAILURES.clear()
    ATTEMPTS.clear()


def fail(path: Path, times: int, code: int = errno.EIO) -> None:
    FAILURES[path.name] = (times, code)
    ATTEMPTS.pop(path.name, None)
