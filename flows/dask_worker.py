"""What the workers of the temporary Dask cluster are given (imported only when a Dask runner is used)."""
from __future__ import annotations

import logging
import os
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

CONSOLE_LEVEL = "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"


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
        for handler in logging.getLogger().handlers:
            if type(handler).__name__ == "PrefectConsoleHandler":
                handler.setLevel(logging.WARNING)
