"""``python -m flows.clean``: the cleaning run as a Prefect flow (its command line: :mod:`flows.cli`).

The flow is thin on purpose: :func:`cleaners.pipeline.run` decides what
happens and in which order; this module only says that the shards run as
Prefect tasks (one task per shard of several MB of input, never per page,
since a task costs 10-25 ms on threads and ~300 ms on Dask) and the dedup as
one more task, in the flow's own process. Where the shard tasks run is the
``task_runner`` parameter (:mod:`flows.runners`). ``--no-prefect`` runs the
very same pipeline without Prefect's server and bookkeeping
(``flows/__init__.py`` has set Prefect's defaults before the import below).
"""
from __future__ import annotations

import sys

if __name__ == "__main__":  # before the imports below: the server starts while they run (flows/server.py)
    from flows.server import start_early

    start_early(sys.argv[1:])  # nothing for a --no-prefect command
    from flows.cli import run_without_prefect

    run_without_prefect(sys.argv[1:])  # a --no-prefect command ends here, without importing Prefect

import importlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, cast

from prefect import Flow, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.futures import wait
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    get_current_settings,
    temporary_settings,
)
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from cleaners import pipeline, progress
from cleaners.config import CleanConfig
from cleaners.faults import RETRIES, RETRY_DELAYS, is_transient
from cleaners.io.readers import InputFile
from cleaners.io.writer import OutputError, StagingArea
from cleaners.outcome import NothingCommitted, not_committed
from cleaners.parallel import (
    clean_shard_here,
    count_elsewhere,
    page_helpers,
    shard_workers,
    use_processes,
)
from cleaners.pipeline import ShardStats, settle_shard, worker_id
from cleaners.reasons import kind_of
from cleaners.summary import Orchestration, RunSummary
from flows.cli import build_parser, exit_with, main, unreachable_services
from flows.parameters import (
    DEFAULT_INPUTS,
    DEFAULT_OUTPUT,
    DEFAULT_TASK_RUNNER,
    CleanParameters,
    FullRebuild,
    IndexURL,
    InputPaths,
    Layout,
    OutputPath,
    PublishTarget,
    Strict,
    TaskRunnerSpec,
    documented_by,
)
from flows.progress import PROGRESS_KEY, PrefectProgress
from flows.runners import build_task_runner, dask_client, runner_spec

#: The command line's names (:mod:`flows.cli`) stay importable from here, as the flow's module.
__all__ = ["ARTIFACT_KEYS", "build_parser", "clean_flow", "main", "run_as_flow", "with_task_runner"]

# The library's narrative (run start, each shard's result, retries, the summary line) at INFO: the
# flow run's log gets it through PREFECT_LOGGING_EXTRA_LOGGERS (flows/__init__.py, the work pool).
if logging.getLogger("cleaners").level == logging.NOTSET:
    logging.getLogger("cleaners").setLevel(logging.INFO)


def transient_failure(task: Any, task_run: Any, state: State) -> bool:
    """Prefect's retry condition: only an I/O fault a retry may cure (:func:`cleaners.faults.is_transient`)."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 (any failure: retried only when transient)
        return is_transient(exc)
    return False


@task(name="clean-shard", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=list(RETRY_DELAYS),
      retry_condition_fn=transient_failure)
def clean_shard_task(files: list[InputFile], shard: str, area: StagingArea, config: CleanConfig) -> ShardStats:
    """One shard, wherever the task runner put it (the stats name the process).

    The shard reads inputs and writes its part files, so a transient I/O fault
    is retried (the shard starts again from nothing); the dedup task is not
    retried: its input is this run's own files, and a failure there is a bug.
    On the thread runner the work itself runs in a worker process of the
    flow's :class:`~cleaners.parallel.ShardPool` (the GIL would otherwise
    hold the shards to one core); the task's thread waits for it.
    """
    return clean_shard_here(files, shard, area, config)


@task(name="dedup", cache_policy=NO_CACHE)
def dedup_task(shards: list[ShardStats], area: StagingArea, config: CleanConfig) -> dict[str, Any]:
    """The dedup over every shard's articles: one task, so its time and state show in the UI.

    On a Dask task runner the groups are computed on the run's cluster
    (:mod:`cleaners.dedup.distributed`), so the flow's process never holds
    the signatures; the task itself stays in the flow's process.
    """
    context = FlowRunContext.get()
    return pipeline.dedup_stage(shards, area, config, dask_client(context.task_runner) if context else None)


def _shards_as_tasks(shards: list[list[InputFile]], area: StagingArea, config: CleanConfig) -> list[ShardStats]:
    """One task per shard on the flow's task runner; on threads, with the work in worker processes (one
    shard: its pages in helper processes, :class:`~cleaners.parallel.PageHelpers`)."""
    context = FlowRunContext.get()
    on_threads = context is not None and isinstance(context.task_runner, ThreadPoolTaskRunner)
    if not on_threads:
        return _submit_shards(shards, area, config)
    with shard_workers() if use_processes(shards) else page_helpers():
        return _submit_shards(shards, area, config)


def _submit_shards(shards: list[list[InputFile]], area: StagingArea, config: CleanConfig) -> list[ShardStats]:
    """Each shard's task submitted, each result settled by the library's shard policy."""
    futures = [clean_shard_task.submit(files, pipeline.shard_name(n), area, config)
               for n, files in enumerate(shards)]
    here = worker_id()
    done: list[ShardStats] = []
    for n, (files, future) in enumerate(zip(shards, futures)):
        try:
            stats = settle_shard(files, pipeline.shard_name(n), area, future.result)
        except OutputError:  # the run ends; let the other tasks finish first, or they write into its cleared folder
            wait(futures)
            raise
        count_elsewhere(stats, files, here)  # counted where it ran, in a process whose counts cannot reach us
        done.append(stats)
    return done


def _dedup_as_task(shards: list[ShardStats], area: StagingArea, config: CleanConfig) -> dict[str, Any]:
    return dedup_task(shards, area, config)  # called, not submitted: it runs in the flow's process


@flow(name="clean-news", task_runner=build_task_runner(DEFAULT_TASK_RUNNER))
@documented_by(CleanParameters)
def clean_flow(inputs: InputPaths = DEFAULT_INPUTS, output: OutputPath = DEFAULT_OUTPUT,
               config: CleanConfig = CleanConfig(),  # noqa: B008 (frozen; Prefect's form shows the default)
               full_rebuild: FullRebuild = False,
               index: IndexURL = None, task_runner: TaskRunnerSpec = DEFAULT_TASK_RUNNER,
               strict: Strict = False, publish: PublishTarget = None, layout: Layout = "auto") -> RunSummary | State:
    """Clean scraped pages into the Parquet layout of CONTRACT.md; returns the run summary.

    The parameters are those of :class:`flows.parameters.CleanParameters`.
    The flow run ends Failed, with the cause as its state message, whenever
    :func:`cleaners.outcome.judge` says the run failed (missing inputs, shards
    given up, nothing readable, ``strict``) or nothing could be committed; its
    result is then still the summary (or the :class:`~cleaners.outcome.Outcome`).

    A flow's task runner is fixed before its body runs, so when
    ``task_runner`` asks for another runner than the one this flow run has
    (a deployment always starts with threads), the run continues as a
    subflow with that runner; ``python -m flows.clean`` sets the runner
    itself with ``with_options`` and needs no subflow.
    """
    params = CleanParameters(inputs=inputs, output=output, config=config, full_rebuild=full_rebuild,
                             index=index, task_runner=task_runner, strict=strict, publish=publish, layout=layout)
    if problem := unreachable_services(params):  # a deployment's run: the CLI has checked this already
        get_run_logger().error("nothing was committed: %s", problem)
        return Failed(message=problem, data=not_committed(problem))
    context = FlowRunContext.get()
    if context is not None and runner_spec(context.task_runner) != params.task_runner:
        state, result = run_as_flow(params)
        if isinstance(result, BaseException):
            raise result
        return Failed(message=state.message, data=result) if state.is_failed() else result
    return run_pipeline(params, context)


def with_task_runner(params: CleanParameters) -> Flow[..., Any]:
    """``clean_flow`` running its shard tasks where ``params.task_runner`` says."""
    return clean_flow.with_options(task_runner=build_task_runner(params.task_runner))


def run_as_flow(params: CleanParameters) -> tuple[State[Any], Any]:
    """``clean_flow`` run with ``params``: its final state, and its result whatever the state.

    The result is the :class:`~cleaners.summary.RunSummary` (also of a Failed
    run), an :class:`~cleaners.outcome.Outcome` when nothing was committed,
    or the exception of a crash.
    """
    state = cast("State[Any]", with_task_runner(params)(**params.flow_kwargs(), return_state=True))
    return state, state.result(raise_on_failure=False)


def run_from_command_line(params: CleanParameters) -> tuple[State[Any], Any]:
    """:func:`run_as_flow` for ``python -m flows.clean``: without flow run heartbeats unless Prefect's
    settings ask for them.

    A heartbeat only helps a server that watches for runs that stopped sending them (an automation the
    user sets up); a command's temporary server dies with the command anyway. Its thread sleeps in 1 s
    steps and the flow's end waits for it: a bare flow run took 1.12 s with it, 0.17 s without (README,
    "Wall time"). Deployment runs (a worker's process) keep Prefect's default.
    """
    if "heartbeat_frequency" in get_current_settings().flows.model_fields_set:  # the environment, a profile
        return run_as_flow(params)
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return run_as_flow(params)


def run_pipeline(params: CleanParameters, context: FlowRunContext | None) -> RunSummary | State:
    """The library's run with the shard and dedup steps as tasks; Failed when the run failed."""
    logger = get_run_logger() if context is not None else logging.getLogger(__name__)
    if context is not None:  # the dedup step and the report need imports: they load while this thread waits on the API
        threading.Thread(target=_import_ahead, args=("datasketch", "cleaners.report.render"), daemon=True,
                         name="import-ahead").start()
    logger.info("cleaning %s into %s (task runner %s)", ", ".join(params.inputs), params.output,
                params.task_runner)
    sinks = [PrefectProgress()] if context is not None else []
    orchestration = Orchestration(task_runner=params.task_runner, flow_process=worker_id(),
                                  flow_run_id=str(context.flow_run.id) if context and context.flow_run else None)
    try:
        with progress.reporting_to(*sinks), _api_for_workers(params, context):
            summary = pipeline.run(params.inputs, params.output, params.config,
                                   engine="prefect+dask" if params.uses_dask else "prefect",
                                   full_rebuild=params.full_rebuild, index=params.index, strict=params.strict,
                                   clean_shards=_shards_as_tasks, dedup=_dedup_as_task,
                                   orchestration=orchestration, publish_to=params.publish, layout=params.layout)
    except NothingCommitted as exc:  # the message says what to fix; anything else is a bug, with its traceback
        outcome = not_committed(str(exc))
        logger.error("nothing was committed: %s", outcome.cause)
        return Failed(message=outcome.cause, data=outcome)
    if context is not None:
        publish_artifacts(summary)
    if not summary.outcome.ok:
        return Failed(message=summary.outcome.cause, data=summary)
    return summary


def _import_ahead(*modules: str) -> None:
    """Import modules the run needs later (the dedup step's datasketch, the report's templates) while the
    flow's thread waits on the API; an import that fails here fails again, with its traceback, where it is used."""
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001, S112
            continue


@contextmanager
def _api_for_workers(params: CleanParameters, context: FlowRunContext | None) -> Iterator[None]:
    """Dask workers report their task runs to this flow's Prefect API, not to servers of their own.

    Tasks carry the flow's settings to the workers, but the address of the
    embedded server that ``python -m flows.clean`` starts is not a setting:
    without it each worker process would start a temporary server of its own
    (and its task states would go to a database that is thrown away). So
    the flow's API address becomes a setting for the duration of the run.
    """
    if not params.uses_dask or context is None or PREFECT_API_URL.value() or context.client is None:
        with nullcontext():
            yield
        return
    with temporary_settings(updates={PREFECT_API_URL: str(context.client.api_url).rstrip("/")}):
        yield


def publish_artifacts(summary: RunSummary) -> None:
    """The run report as Prefect artifacts under stable keys, so the UI lists each run's under one name."""
    from cleaners.report.data import (
        load_report,  # jinja2 and pyarrow.dataset: not in every process that imports this
    )
    from cleaners.report.render import cluster_rows, markdown_summary, site_rows
    from cleaners.store.files import is_remote

    try:
        out = summary.output if is_remote(summary.output) else Path(summary.output).absolute()
        report = load_report(out, summary.run_id, summary)
        create_markdown_artifact(markdown_summary(report), key=ARTIFACT_KEYS["summary"],
                                 description="what the run kept, collapsed and rejected")
        create_table_artifact([{"reason": r, "kind": kind_of(r), "records": n}
                               for r, n in summary.rejected_by_reason.items()],
                              key=ARTIFACT_KEYS["rejections"], description="rejected records by reason")
        create_table_artifact(site_rows(report), key=ARTIFACT_KEYS["sites"], description="per-site figures")
        create_table_artifact(cluster_rows(report), key=ARTIFACT_KEYS["clusters"],
                              description="the largest duplicate clusters, member by member")
    except Exception as exc:  # noqa: BLE001 (the run is committed; its artifacts are a view of it)
        get_run_logger().warning("run %s is committed, but its artifacts could not be published: %s: %s",
                                 summary.run_id, type(exc).__name__, exc)


#: Keys of the artifacts every run publishes (lowercase, digits and dashes, as Prefect requires).
ARTIFACT_KEYS = {"summary": "newsclean-run-summary", "rejections": "newsclean-rejections",
                 "sites": "newsclean-sites", "clusters": "newsclean-clusters", "progress": PROGRESS_KEY}


if __name__ == "__main__":
    # Run the importable module's flow, not this __main__ copy's: Dask workers get tasks by reference
    # (flows.clean.clean_shard_task), as they do for a deployment, instead of cloudpickled by value.
    exit_with(main())
