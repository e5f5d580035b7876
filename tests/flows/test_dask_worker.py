"""The temporary cluster's workers drop only the heartbeat records of a scheduler that has closed."""
from __future__ import annotations

import logging

import pytest

pytest.importorskip("distributed")

from distributed.comm.core import CommClosedError  # noqa: E402

from flows.dask_worker import ShutdownRaceFilter  # noqa: E402

HEARTBEAT = "Failed to communicate with scheduler during heartbeat."


def passes(message: str, error: BaseException | None = None, level: int = logging.ERROR) -> bool:
    exc_info = (type(error), error, None) if error is not None else None
    record = logging.LogRecord("distributed.worker", level, __file__, 1, message, None, exc_info)
    return ShutdownRaceFilter().filter(record)


def test_a_heartbeat_on_a_closed_comm_at_shutdown_is_dropped() -> None:
    assert not passes(HEARTBEAT, CommClosedError("in <TCP (closed) ConnectionPool.heartbeat_worker>"))
    assert not passes("Scheduler was unaware of this worker; shutting down.", level=logging.WARNING)


def test_other_worker_errors_still_reach_the_terminal() -> None:
    assert passes(HEARTBEAT, OSError(28, "No space left on device"))
    assert passes(HEARTBEAT)  # no exception attached: not the race
    assert passes("Compute Failed", CommClosedError("x"))
