"""``python -m flows.clean``: the cleaning run as a Prefect flow, and its command line.

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

    start_early(sys.argv[1:])

import argparse
import importlib
import logging
import socket
import threading
import time
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from prefect import Flow, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.futures import wait
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import ValidationError

from cleaners import pipeline, progress
from cleaners.config import CleanConfig
from cleaners.faults import RETRIES, RETRY_DELAYS, is_transient
from cleaners.io.readers import InputFile, supported_suffixes
from cleaners.io.writer import OutputError, StagingArea
from cleaners.outcome import NothingCommitted, Outcome, not_committed
from cleaners.parallel import (
    clean_shard_here,
    clean_shards_in_processes,
    count_elsewhere,
    page_helpers,
    shard_workers,
    use_processes,
)
from cleaners.pipeline import ShardStats, settle_shard, worker_id
from cleaners.reasons import kind_of
from cleaners.summary import Orchestration, RunSummary
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
    dask_address,
    documented_by,
    redis_address,
)
from flows.progress import PROGRESS_KEY, PrefectProgress, TerminalProgress
from flows.runners import build_task_runner, dask_client, runner_spec
from flows.server import ServerDidNotStart, start_embedded_server

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


def run_pipeline(params: CleanParameters, context: FlowRunContext | None) -> RunSummary | State:
    """The library's run with the shard and dedup steps as tasks; Failed when the run failed."""
    logger = get_run_logger() if context is not None else logging.getLogger(__name__)
    if context is not None:  # the run's end writes its report: its imports load while this thread waits on the API
        threading.Thread(target=importlib.import_module, args=("cleaners.report.render",), daemon=True,
                         name="import-report").start()
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
        load_report,  # matplotlib and jinja2: not in every process that imports this
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


# ---------------------------------------------------------------------- command line
#: How the CLI names a parameter in an error message.
FLAGS = {"inputs": "INPUT"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flows.clean",
        # Short: argparse prints the usage above every error, and the full one is 30 lines of options.
        usage="%(prog)s [INPUT ...] [-o OUTPUT] [options]   (--help lists every option)",
        description="Strip site chrome from scraped pages, split them into articles, collapse "
        "repeats and near-duplicates, and write Parquet datasets (articles/, duplicates/, "
        "rejected/, removed/, runs/).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("inputs", nargs="*", metavar="INPUT", default=DEFAULT_INPUTS,
                        help="files or directories (read recursively), or fsspec URLs such as s3://bucket/crawl/ "
                             "(credentials from the environment; s3:// needs the s3 extra): "
                             + ", ".join(supported_suffixes()))
    parser.add_argument("-o", "--output", default=DEFAULT_OUTPUT,
                        help="output directory, or a URL such as s3://lake/news, kept as Delta tables "
                        "(credentials from the environment)")
    parser.add_argument("--layout", choices=["auto", "snapshots", "delta"], default="auto",
                        help="how OUTPUT keeps its datasets: delta (Delta Lake tables; an OUTPUT of the snapshot "
                        "layout is moved into tables in place first), snapshots (hive Parquet folders switched by "
                        "one link, local only: outputs written before tables were the default), auto (delta)")
    parser.add_argument("--full-rebuild", action="store_true",
                        help="ignore what earlier runs into OUTPUT processed and rebuild it from these inputs alone")
    parser.add_argument("--index", metavar="URL", default=None,
                        help="keep the dedup index in Redis at redis://HOST:PORT/DB; none: next to the dataset")
    parser.add_argument("--task-runner", metavar="{threads,dask,dask://HOST:PORT}", default=DEFAULT_TASK_RUNNER,
                        help="where the shard tasks run: threads in this process; dask: a temporary local "
                        "Dask cluster (a worker process per core) for this run; dask://HOST:PORT: an existing "
                        "Dask scheduler whose workers have this package and see INPUT and OUTPUT")
    parser.add_argument("--no-prefect", action="store_true",
                        help="run the same pipeline without Prefect (no server start); the shards run in "
                        "--workers processes")
    parser.add_argument("--workers", type=int, default=0, metavar="N",
                        help="with --no-prefect: worker processes for the shards (0: one per core; 1: in this "
                        "process, one shard after the other)")
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress line on stderr (files, records, articles per second)")
    parser.add_argument("--publish", metavar="TARGET", default=None,
                        help="after the run, publish an output of the snapshot layout as Delta Lake tables in TARGET "
                        "(a folder or a URL such as s3://lake/news); a failed publish fails the run (exit 3), whose "
                        "rows stay committed; see python -m flows.publish")
    parser.add_argument("--strict", action="store_true",
                        help="fail the run (exit 3) when any input could not be used (rejections of kind input, "
                        "limit or fault; not pages that held no article); the run is still committed")
    options = parser.add_argument_group("cleaning options")
    for name, info in CleanConfig.model_fields.items():
        kind = typing.get_origin(info.annotation)
        flag = "--" + name.replace("_", "-")
        if kind is typing.Literal:
            options.add_argument(flag, choices=typing.get_args(info.annotation), default=info.default,
                                 help=info.description)
        else:
            options.add_argument(flag, type=cast("Callable[[str], Any]", info.annotation), default=info.default,
                                 help=info.description, metavar=name.upper())
    return parser


def config_from_args(args: argparse.Namespace) -> CleanConfig:
    return CleanConfig(**{name: getattr(args, name) for name in CleanConfig.model_fields})


def params_from_args(args: argparse.Namespace) -> CleanParameters:
    """The flow's parameters from the command line; raises pydantic's ValidationError."""
    return CleanParameters(inputs=list(args.inputs), output=args.output, config=config_from_args(args),
                           full_rebuild=args.full_rebuild, index=args.index, task_runner=args.task_runner,
                           strict=args.strict, publish=args.publish, layout=args.layout)


def describe_errors(exc: ValidationError) -> str:
    """pydantic's errors as the CLI's options: ``--index: index must be redis://..., got 'x'``."""
    lines = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        names = [str(part) for part in error["loc"] if isinstance(part, str)]
        if names:
            message = f"{FLAGS.get(names[-1], '--' + names[-1].replace('_', '-'))}: {message}"
        lines.append(message)
    return "; ".join(lines)


def unreachable(host: str, port: int, timeout: float = 5.0) -> str | None:
    """Why nothing answers at ``host:port``, or None when something does."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def unreachable_services(params: CleanParameters) -> str | None:
    """Why the Dask scheduler or the Redis index the run needs cannot be reached, or None.

    Checked before the flow starts: Dask's client would retry for 30 s and
    Redis' for longer, and both end in a traceback that buries the address.
    """
    if (address := dask_address(params.task_runner)) is not None:
        parts = urlsplit(address)
        assert parts.hostname is not None and parts.port is not None  # validated by TaskRunnerSpec
        if problem := unreachable(parts.hostname, parts.port):
            return (f"cannot reach the Dask scheduler at {parts.hostname}:{parts.port} ({problem}); start it "
                    f"with `dask scheduler --host 127.0.0.1 --port {parts.port}` and some `dask worker` "
                    "processes, or use --task-runner dask")
    if params.index is not None:
        host, port = redis_address(params.index)
        if problem := unreachable(host, port):
            return (f"cannot reach the Redis index at {host}:{port} ({problem}); start redis-server there, or "
                    "leave out --index to keep the index next to the dataset")
    return None


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> CleanParameters:
    """Validated parameters, or exit 2 with argparse's usage line and a message saying what to change.

    A missing INPUT is not refused here: like a deployment's run, the run goes
    on with the inputs that exist and fails with exit 3 naming the missing
    ones. Only the default input, when the command runs outside the checkout,
    is a usage error.
    """
    try:
        params = params_from_args(args)
    except ValidationError as exc:
        parser.error(describe_errors(exc))
    if args.no_prefect and params.uses_dask:
        parser.error(f"--task-runner {params.task_runner} needs Prefect: drop --no-prefect "
                     "(without Prefect the shards run in --workers local processes)")
    if args.workers < 0:
        parser.error(f"--workers {args.workers}: give a number of processes, or 0 for one per core")
    if args.workers and not args.no_prefect:
        parser.error("--workers applies to --no-prefect; a Prefect run on threads uses a worker process per core, "
                     "and --task-runner dask one per Dask worker")
    if args.inputs == DEFAULT_INPUTS and not Path(DEFAULT_INPUTS[0]).exists():
        parser.error(f"input not found: {DEFAULT_INPUTS[0]} (run from the project folder, or pass INPUT paths)")
    if problem := unreachable_services(params):
        parser.error(problem)
    if params.publish is not None:  # before Prefect's server starts, not after the run
        from cleaners.store.delta import PublishError, check_target

        try:
            check_target(params.publish, params.output)
        except PublishError as exc:
            parser.error(f"--publish: {exc}")
    return params


def format_summary(summary: RunSummary) -> str:
    c, out = summary.counts, summary.output
    segments = ", ".join(f"{k} {v}" for k, v in summary.segments.items()) or "none"
    rejected = ", ".join(f"{k} {v}" for k, v in summary.rejected_by_reason.items())
    took = f"in {summary.command_seconds:.1f} s " if summary.command_seconds is not None else ""
    lines = [(f"cleaned {c.input_files} input files ({c.pages} pages) {took}"
             f"[{summary.engine}; pipeline {summary.wall_seconds:.1f} s]")]
    if not summary.committed and summary.outcome.ok:
        lines.append(f"  {summary.nothing_new_line()}")
    else:
        lines += [
            f"  articles kept          {c.articles_kept:>6}   ({segments})",
            f"  duplicates collapsed   {c.duplicates:>6}",
            (f"  chrome lines removed   {c.chrome_lines_removed:>6}   (+{c.glued_promos_cut} glued promos cut, "
            f"{c.repeats_collapsed} repeated paragraphs collapsed)"),
            f"  rejected               {c.rejected:>6}" + (f"   ({rejected})" if rejected else ""),
        ]
        for label, counts in (("legacy encodings", summary.decoding.legacy_encodings),
                              ("text repairs", summary.decoding.repairs)):
            if counts:
                told = ", ".join(f"{k} {v}" for k, v in counts.items())
                lines.append(f"  {label:<22} {sum(counts.values()):>6}   ({told})")
        inc = summary.incremental
        if inc.files_already_processed or inc.records_already_processed:
            lines.append(f"  already in the dataset {inc.files_already_processed:>6}   files "
                         f"(+{inc.records_already_processed} records), skipped")
        if summary.committed:
            d = summary.dataset
            lines.append(f"  dataset now holds      {d.articles:>6}   articles ({d.duplicates} duplicates, "
                         f"{d.rejected} rejected)")
    if summary.orchestration is not None:
        run = summary.orchestration
        processes = len(set(run.shard_workers.values()))
        helped = (f"; pages in {len(run.page_workers)} helper process{'es' if len(run.page_workers) != 1 else ''}"
                  if run.page_workers else "")
        lines.append(f"  shard tasks            {summary.timings.shards:>6}   (on {run.task_runner}, "
                     f"{processes} process{'es' if processes != 1 else ''}{helped})")
    if summary.committed:
        lines.append(f"output: {out}/  articles/ duplicates/ rejected/ removed/  "
                     f"summary: {out}/runs/{summary.run_id}.json")
    else:
        from cleaners.store.migrate import MOVED

        moved = (summary.incremental.note or "").startswith(MOVED)
        lines.append(f"output: {out}/ {'moved into Delta tables, no new rows' if moved else 'unchanged'}  "
                     f"summary: {out}/runs/{summary.run_id}.json")
    if summary.published is not None:
        p = summary.published
        tables = ", ".join(f"{t.dataset} v{t.version}" + ("" if t.committed else " (unchanged)") for t in p.tables)
        lines.append(f"published: {p.target}  {tables or 'nothing'}" + ("  FAILED (see the error)" if p.error else ""))
    if summary.report:
        lines.append(f"report: {summary.report}  (one page line by line: python -m flows.report {out} --doc ID)")
    return "\n".join(lines)


class _ConsoleFilter(logging.Filter):
    """What the terminal shows of the logs: warnings, not the run's narrative nor Prefect's tracebacks.

    Flow and task run records are in the flow run's log (the API), and so is
    the library's narrative (:data:`cleaners.pipeline.NARRATIVE`); the command
    prints its own summary and, when the run failed, the cause in one line,
    so a failed shard is not followed by Prefect's traceback of it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return (record.levelno >= logging.WARNING and not getattr(record, "narrative", False)
                and not record.name.startswith(("prefect.flow_runs", "prefect.task_runs")))


def quiet_console() -> None:
    """Add :class:`_ConsoleFilter` to the handlers that write to the terminal (Prefect's console handler)."""
    for handler in logging.getLogger().handlers:
        if type(handler).__name__ == "PrefectConsoleHandler":
            handler.addFilter(_ConsoleFilter())


def main(argv: list[str] | None = None) -> int:
    """The command line; its exit status is :attr:`cleaners.outcome.Outcome.exit_code` (README table)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    params = check_args(parser, args)
    quiet_console()
    start = time.perf_counter()
    sinks = [] if args.no_progress else [TerminalProgress()]
    result: RunSummary | Outcome | BaseException | None
    with progress.reporting_to(*sinks):
        if args.no_prefect:
            try:
                result = pipeline.run(params.inputs, params.output, params.config, full_rebuild=params.full_rebuild,
                                      index=params.index, strict=params.strict,
                                      clean_shards=clean_shards_in_processes(args.workers or None),
                                      orchestration=Orchestration(task_runner="processes", flow_process=worker_id()),
                                      publish_to=params.publish, layout=params.layout)
            except NothingCommitted as exc:  # the output, its index or Redis: what to fix, no traceback
                result = not_committed(str(exc))
        else:
            try:
                server = start_embedded_server()  # None when an API is configured (a long-lived server)
                if server is not None:
                    server.wait_ready()
            except ServerDidNotStart as exc:
                result = not_committed(str(exc))
            else:
                _, result = run_as_flow(params)
    if isinstance(result, BaseException):
        raise result  # a bug: Python's traceback and exit status 1
    if not isinstance(result, RunSummary):
        outcome = result if isinstance(result, Outcome) else not_committed(f"the flow returned {result!r}")
        print(f"error: {outcome.cause}", file=sys.stderr)
        return outcome.exit_code
    result.command_seconds = round(time.perf_counter() - start, 3)  # with Prefect's server start
    print(result.to_json() if args.json else format_summary(result))
    if not result.outcome.ok:
        print(f"error: {result.outcome.cause}", file=sys.stderr)
    return result.outcome.exit_code


if __name__ == "__main__":
    # Run the importable module's flow, not this __main__ copy's: Dask workers get tasks by reference
    # (flows.clean.clean_shard_task), as they do for a deployment, instead of cloudpickled by value.
    import gc

    from flows.clean import main as _main

    code = _main()
    # The interpreter's exit ends with collections that scan the whole heap (Prefect's and pydantic's
    # objects among it): about 1 s of the seeds' 5 s, for memory the process gives back anyway. Frozen
    # objects are skipped; exit hooks (Prefect's log and event drains, the embedded server's stop) still run.
    gc.freeze()
    sys.exit(code)
