"""Where the shard tasks run: the task runner for a ``task_runner`` parameter, and back.

Kept in an importable module of its own, apart from ``flows/clean.py``: a
worker loads a deployment's entrypoint by file path (as a module named
``clean``, not ``flows.clean``), and anything a Dask worker unpickles by
reference (the :class:`ShardRun` a task returns) must be importable there
under the same name.

``prefect_dask`` and ``distributed`` are imported only when a Dask runner is
asked for: a threads run does not pay for them, and ``flows/__init__.py`` has
set the quiet logging default before ``distributed`` reads its config.
"""
from __future__ import annotations

import multiprocessing
import os
import socket
from dataclasses import dataclass
from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from cleaners.config import CleanConfig
from cleaners.pipeline import ShardStats

from .parameters import dask_address

#: Shards are CPU-bound and mostly hold the GIL (Python text code), so more threads than cores buy nothing.
THREADS = 2


@dataclass(frozen=True, slots=True)
class ShardRun:
    """A shard's counts and the process that cleaned it (``host:pid``), for the run summary."""

    stats: ShardStats
    worker: str


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def build_task_runner(spec: str) -> TaskRunner[Any]:
    """The task runner for a validated ``task_runner`` parameter (see :data:`flows.parameters.TaskRunnerSpec`)."""
    if spec == "threads":
        return ThreadPoolTaskRunner(max_workers=THREADS)
    from prefect_dask import DaskTaskRunner

    address = dask_address(spec)
    if address is not None:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_class=local_cluster)


def runner_spec(runner: TaskRunner[Any]) -> str:
    """The ``task_runner`` parameter a runner made by :func:`build_task_runner` (or an equal one) stands for."""
    if isinstance(runner, ThreadPoolTaskRunner):
        return "threads"
    if type(runner).__name__ == "DaskTaskRunner":  # no import of prefect_dask for a threads run
        address = getattr(runner, "address", None)
        return "dask://" + address.split("://", 1)[-1] if address else "dask"
    return f"<{type(runner).__name__}>"


def local_cluster(**kwargs: Any) -> Any:
    """A temporary ``distributed.LocalCluster`` for one run: a worker process per core, one thread each.

    Processes because cleaning holds the GIL; one thread each so a worker
    cleans one shard at a time. The workers are not daemonic processes, so
    the HTML stage can start its time-limit child process in them (see
    :func:`check_can_start_children`). No dashboard: a second run at the
    same time would only warn that its port is taken.
    """
    import dask
    from distributed import LocalCluster

    options: dict[str, Any] = {"n_workers": os.cpu_count() or 1, "threads_per_worker": 1,
                               "processes": True, "dashboard_address": None} | kwargs
    with dask.config.set({"distributed.worker.daemon": False}):
        return LocalCluster(**options)


def check_can_start_children(config: CleanConfig) -> None:
    """Fail a shard task at once where HTML pages could not get their time limit.

    The HTML stage cleans each page in a child process that it kills past
    ``html_timeout``. A daemonic process cannot start children, and Dask's
    nanny starts its worker processes as daemons by default: every HTML page
    would then become a ``cleaning_error`` row, silently. Better a failed run
    that says what to change.
    """
    if config.html_timeout > 0 and multiprocessing.current_process().daemon:
        raise RuntimeError(
            f"this Dask worker ({worker_id()}) is a daemonic process, so the HTML stage cannot start the child "
            "process that enforces html_timeout. Start the workers with DASK_DISTRIBUTED__WORKER__DAEMON=False "
            "in their environment (or `dask worker --no-nanny`), or set html_timeout to 0."
        )
