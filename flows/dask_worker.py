"""What the workers of the temporary Dask cluster are given (imported only when a Dask runner is used)."""
from __future__ import annotations

import logging
import os
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

CONSOLE_LEVEL = "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"

#: What a worker of a temporary cluster logs when the cluster closes under a heartbeat in flight: the
#: scheduler is gone by design, the run's outcome is already decided, and the traceback would reach
#: the command's terminal. ``distributed.worker`` logs these at ERROR and WARNING from the heartbeat.
CLOSED_COMM = {"CommClosedError", "StreamClosedError"}
SHUTDOWN_RACE = ("Failed to communicate with scheduler during heartbeat", "Scheduler was unaware of this worker")


class ShutdownRaceFilter(logging.Filter):
    """Drops the heartbeat records of a scheduler that has closed (see :data:`SHUTDOWN_RACE`).

    Only these messages, and only for a connection that is closed: any other
    worker error still reaches the terminal. Losing the scheduler in the
    middle of a run is not hidden by this: the flow's client sees the closed
    cluster and the run fails with its own error.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.getMessage().startswith(SHUTDOWN_RACE):
            return True
        if record.levelno < logging.ERROR:  # the scheduler dropped the worker first: it closes anyway
            return False
        error = record.exc_info[1] if record.exc_info else None
        return error is None or type(error).__name__ not in CLOSED_COMM


class QuietConsole(WorkerPlugin):
    """The worker's terminal keeps to warnings, as the command's own does (``flows.clean.quiet_console``).

    The workers share the command's terminal, and their task runs log at INFO
    (to the flow run's log in the API). An environment variable alone is not
    enough: a worker started by ``python -m flows.clean`` imports that module,
    and Prefect with it, before the nanny applies the worker's environment;
    so the plugin also lowers the console handlers Prefect has already made.
    """

    name = "newsclean-quiet-console"

    def setup(self, worker: Any) -> None:
        os.environ[CONSOLE_LEVEL] = "WARNING"  # for a Prefect logging setup still to come
        worker_logger = logging.getLogger("distributed.worker")
        if not any(isinstance(f, ShutdownRaceFilter) for f in worker_logger.filters):
            worker_logger.addFilter(ShutdownRaceFilter())
        for handler in logging.getLogger().handlers:
            if type(handler).__name__ == "PrefectConsoleHandler":
                handler.setLevel(logging.WARNING)
