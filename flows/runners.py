"""Where the shard tasks run: the task runner for a ``task_runner`` parameter, and back.

Kept in a module of its own so that the command line, the flow and the tests
build runners the same way, and map a flow run's runner back to the
parameter (a deployment starts on threads and switches when asked).

``prefect_dask`` and ``distributed`` are imported only when a Dask runner is
asked for: a threads run does not pay for them, and ``flows/__init__.py`` has
set the quiet logging default before ``distributed`` reads its config.
"""
from __future__ import annotations

import os
from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from cleaners.parallel import default_workers

from .parameters import dask_address

#: A thread per core: each waits for its shard's worker process (:class:`cleaners.parallel.ShardPool`),
#: so more threads than cores would only queue there.
THREADS = default_workers()


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


def dask_client(runner: TaskRunner[Any]) -> Any:
    """The Dask client of a running Dask task runner (its cluster computes the dedup step), else None."""
    if type(runner).__name__ != "DaskTaskRunner":  # no import of prefect_dask for a threads run
        return None
    return runner.client  # type: ignore[attr-defined]


def local_cluster(**kwargs: Any) -> Any:
    """A temporary ``distributed.LocalCluster`` for one run: a worker process per core, one thread each.

    Processes because cleaning holds the GIL; one thread each so a worker
    cleans one shard at a time. Every socket is on 127.0.0.1 and on a free
    port, so that two runs at once never collide: ``host`` for the scheduler's,
    the nannies' and the workers' comm ports, and no dashboard, with the HTTP
    server the scheduler starts anyway (health and metrics routes) on
    ``127.0.0.1:0``; ``dashboard_address=None`` alone still binds
    127.0.0.1:8787 and warns when a second cluster finds it taken. The
    workers are Dask's usual daemonic processes: the HTML stage starts its
    time-limit child in them too (:mod:`cleaners.html.guard`).
    """
    from distributed import LocalCluster

    from .dask_worker import QuietConsole

    options: dict[str, Any] = {
        "n_workers": os.cpu_count() or 1, "threads_per_worker": 1, "processes": True, "host": "127.0.0.1",
        "dashboard_address": None, "worker_dashboard_address": None,
        "scheduler_kwargs": {"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        "plugins": {QuietConsole()},
    } | kwargs
    return LocalCluster(**options)
