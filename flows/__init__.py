"""Prefect orchestration over the ``cleaners`` library.

Prefect reads its settings once, at ``import prefect``, so the defaults that
make the embedded server start reliably and quietly on a fresh machine are
set here, before any submodule imports it (PREFECT_NOTES.md section 1).
Dask's ``distributed`` likewise reads its logging config once, at import
(only when a Dask task runner is asked for, so after this), and a temporary
cluster's worker processes inherit the environment.
``setdefault`` keeps whatever the user or a worker already set, including
``PREFECT_API_URL`` for a long-lived server.
"""
from __future__ import annotations

import os

PREFECT_DEFAULTS = {
    # A fresh database needs 20-26 s of migrations here; the default timeout is 20 s.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    # Offline machines print a telemetry ERROR and sometimes a 'database is locked' traceback.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # Hides server start/stop and Prefect's own INFO lines; the CLI prints its own summary.
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # ... but a flow run's log (in the API, the UI) holds its story at INFO: start, each shard's
    # result, retries, the summary line. The CLI keeps these records off the terminal
    # (flows.clean.quiet_console); the library's own logger reaches the flow run's log as an extra logger.
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_EXTRA_LOGGERS": "cleaners",
    # The library logs outside flow runs too (--no-prefect, tests): that is not worth a warning.
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    # Tasks take paths and return counts; hashing inputs for a cache key is pure cost.
    "PREFECT_TASKS_DEFAULT_NO_CACHE": "true",
    # A temporary Dask cluster logs ~67 INFO lines per run (workers, nannies, clients starting and closing).
    "DASK_LOGGING__DISTRIBUTED": "warning",
}

for _key, _value in PREFECT_DEFAULTS.items():
    os.environ.setdefault(_key, _value)
