"""Which failures are worth a retry, and the retry policy every executor applies.

A transient fault is an I/O error that a second attempt seconds later can
plausibly not meet: a network filesystem timing out or going stale, an
interrupted call, a busy resource. Everything else (a file that does not
exist or may not be read, a full disk, a bug) fails the same way every time,
so retrying it only delays the report. Readers let transient errors escape
(instead of turning them into ``read_error`` rows) so that the shard they hit
is retried whole; :mod:`flows.clean` gives the same policy to Prefect's task
retries, :func:`cleaners.pipeline.clean_shards_inline` applies it itself.
"""
from __future__ import annotations

import errno
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import TypeVar

#: errno values a retry can cure (NFS/SMB/FUSE mounts and sockets under load).
TRANSIENT_ERRNOS = frozenset({
    errno.EIO, errno.EAGAIN, errno.EBUSY, errno.EINTR, errno.ETIMEDOUT, errno.ESTALE,
    errno.ECONNRESET, errno.ECONNABORTED, errno.ECONNREFUSED, errno.ENETDOWN, errno.ENETUNREACH,
    errno.EHOSTUNREACH, errno.ENOLCK,
})
#: Attempts after the first, and the pause before each.
RETRIES = 2
RETRY_DELAYS = (1.0, 5.0)

T = TypeVar("T")

log = logging.getLogger(__name__)


def process_name() -> str:
    """``host:pid``: names a process across machines, for summaries, logs and setup errors."""
    return f"{socket.gethostname()}:{os.getpid()}"


class WorkerSetupError(RuntimeError):
    """The process a shard landed on cannot do it (it does not see the inputs or the output).

    Not transient: a retry on the same worker meets the same setup. The
    message says what the worker lacks.
    """


def is_transient(exc: BaseException) -> bool:
    """True for an I/O error a retry may cure (see :data:`TRANSIENT_ERRNOS`); timeouts count too."""
    if isinstance(exc, TimeoutError):
        return True
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


def with_retries(work: Callable[[], T], sleep: Callable[[float], None] = time.sleep) -> T:
    """``work()``, attempted again after a transient error, :data:`RETRIES` times at most."""
    for attempt in range(RETRIES + 1):
        try:
            return work()
        except Exception as exc:
            if attempt == RETRIES or not is_transient(exc):
                raise
            delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
            log.warning("transient fault (%s: %s); retry %d of %d in %.0f s", type(exc).__name__, exc,
                        attempt + 1, RETRIES, delay)
            sleep(delay)
    raise AssertionError("unreachable")
