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

import argparse
import json
import socket
import sys
import time
import typing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prefect import Flow, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from pydantic import ValidationError

from cleaners import pipeline, progress
from cleaners.config import CleanConfig
from cleaners.faults import RETRIES, RETRY_DELAYS, is_transient
from cleaners.reasons import kind_of, strict_failures
from cleaners.io.readers import InputFile, supported_suffixes
from cleaners.io.writer import OutputError, StagingArea
from cleaners.pipeline import ShardExecutor, ShardStats
from flows.parameters import (
    DEFAULT_INPUTS,
    DEFAULT_OUTPUT,
    DEFAULT_TASK_RUNNER,
    CleanParameters,
    FullRebuild,
    IndexURL,
    InputPaths,
    OutputPath,
    TaskRunnerSpec,
    dask_address,
    documented_by,
)
from flows.progress import PROGRESS_KEY, PrefectProgress, TerminalProgress
from flows.runners import ShardRun, build_task_runner, check_can_start_children, runner_spec, worker_id


def transient_failure(task: Any, task_run: Any, state: State) -> bool:
    """Prefect's retry condition: only an I/O fault a retry may cure (:func:`cleaners.faults.is_transient`)."""
    try:
        state.result()
    except Exception as exc:
        return is_transient(exc)
    return False


@task(name="clean-shard", cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=list(RETRY_DELAYS),
      retry_condition_fn=transient_failure)
def clean_shard_task(files: list[InputFile], shard: str, area: StagingArea, config: CleanConfig) -> ShardRun:
    """One shard, wherever the task runner put it; says which process that was (for the summary).

    The shard reads inputs and writes its part files, so a transient I/O fault
    is retried (the shard starts again from nothing); the dedup task is not
    retried: its input is this run's own files, and a failure there is a bug.
    """
    check_can_start_children(config)
    return ShardRun(pipeline.clean_shard(files, shard, area, config), worker_id())


@task(name="dedup", cache_policy=NO_CACHE)
def dedup_task(shards: list[ShardStats], area: StagingArea, config: CleanConfig) -> dict[str, Any]:
    """The dedup over every shard's articles: one task, so its time and state show in the UI."""
    return pipeline.dedup_stage(shards, area, config)


def _shards_as_tasks(workers: dict[str, str]) -> ShardExecutor:
    """Submit one task per shard to the flow's task runner; note in ``workers`` which process ran each."""
    def clean_shards(shards: list[list[InputFile]], area: StagingArea, config: CleanConfig) -> list[ShardStats]:
        futures = [clean_shard_task.submit(files, pipeline.shard_name(n), area, config)
                   for n, files in enumerate(shards)]
        done: list[ShardStats] = []
        here = worker_id()
        for n, (files, future) in enumerate(zip(shards, futures)):
            try:
                run: ShardRun = future.result()
            except OutputError:
                raise  # the output cannot be written: no shard's work can be committed
            except Exception as exc:  # this shard's files get rows and are retried next run; the others stay
                done.append(pipeline.shard_failed(files, pipeline.shard_name(n), area, exc))
                continue
            workers[run.stats.shard] = run.worker
            if run.worker != here:  # counted where it ran, in a process whose counts cannot reach this one
                progress.add(files=run.stats.files, records=run.stats.records, articles=run.stats.articles)
            done.append(run.stats)
        return done
    return clean_shards


def _dedup_as_task(shards: list[ShardStats], area: StagingArea, config: CleanConfig) -> dict[str, Any]:
    return dedup_task(shards, area, config)  # called, not submitted: it runs in the flow's process


@flow(name="clean-news", task_runner=build_task_runner(DEFAULT_TASK_RUNNER))
@documented_by(CleanParameters)
def clean_flow(inputs: InputPaths = DEFAULT_INPUTS, output: OutputPath = DEFAULT_OUTPUT,
               config: CleanConfig = CleanConfig(), full_rebuild: FullRebuild = False,
               index: IndexURL = None, task_runner: TaskRunnerSpec = DEFAULT_TASK_RUNNER) -> dict[str, Any]:
    """Clean scraped pages into the Parquet layout of CONTRACT.md; returns the run summary.

    The parameters are those of :class:`flows.parameters.CleanParameters`.
    A flow's task runner is fixed before its body runs, so when
    ``task_runner`` asks for another runner than the one this flow run has
    (a deployment always starts with threads), the run continues as a
    subflow with that runner; ``python -m flows.clean`` sets the runner
    itself with ``with_options`` and needs no subflow.
    """
    params = CleanParameters(inputs=inputs, output=output, config=config, full_rebuild=full_rebuild,
                             index=index, task_runner=task_runner)
    context = FlowRunContext.get()
    if context is not None and runner_spec(context.task_runner) != params.task_runner:
        return with_task_runner(params)(**params.flow_kwargs())
    return run_pipeline(params, context)


def with_task_runner(params: CleanParameters) -> Flow[..., dict[str, Any]]:
    """``clean_flow`` running its shard tasks where ``params.task_runner`` says."""
    return clean_flow.with_options(task_runner=build_task_runner(params.task_runner))


def run_pipeline(params: CleanParameters, context: FlowRunContext | None) -> dict[str, Any]:
    """The library's run with the shard and dedup steps as tasks; the summary says which processes ran shards."""
    workers: dict[str, str] = {}
    sinks = [PrefectProgress()] if context is not None else []
    with progress.reporting_to(*sinks):
        summary = pipeline.run(params.inputs, Path(params.output), params.config,
                               engine="prefect+dask" if params.uses_dask else "prefect",
                               full_rebuild=params.full_rebuild, index=params.index,
                               clean_shards=_shards_as_tasks(workers), dedup=_dedup_as_task)
    if context is not None:
        publish_artifacts(Path(params.output), summary["run_id"])
    summary["orchestration"] = {
        "task_runner": params.task_runner,
        "flow_run_id": str(context.flow_run.id) if context and context.flow_run else None,
        "flow_process": worker_id(),
        "shard_workers": dict(sorted(workers.items())),
    }
    return summary


def publish_artifacts(output: Path, run_id: str) -> None:
    """The run report as Prefect artifacts under stable keys, so the UI lists each run's under one name."""
    from cleaners.report.data import load_report  # matplotlib and jinja2: not in every process that imports this
    from cleaners.report.render import cluster_rows, markdown_summary, site_rows

    try:
        report = load_report(output, run_id)
    except (OSError, ValueError) as exc:
        get_run_logger().warning("no report artifacts: %s", exc)
        return
    create_markdown_artifact(markdown_summary(report), key=ARTIFACT_KEYS["summary"],
                             description="what the run kept, collapsed and rejected")
    create_table_artifact([{"reason": r, "kind": kind_of(r), "records": n}
                           for r, n in report.summary["rejected_by_reason"].items()],
                          key=ARTIFACT_KEYS["rejections"], description="rejected records by reason")
    create_table_artifact(site_rows(report), key=ARTIFACT_KEYS["sites"], description="per-site figures")
    create_table_artifact(cluster_rows(report), key=ARTIFACT_KEYS["clusters"],
                          description="the largest duplicate clusters, member by member")


#: Keys of the artifacts every run publishes (lowercase, digits and dashes, as Prefect requires).
ARTIFACT_KEYS = {"summary": "newsclean-run-summary", "rejections": "newsclean-rejections",
                 "sites": "newsclean-sites", "clusters": "newsclean-clusters", "progress": PROGRESS_KEY}


# ---------------------------------------------------------------------- command line
#: How the CLI names a parameter in an error message.
FLAGS = {"inputs": "INPUT"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flows.clean",
        description="Strip site chrome from scraped pages, split them into articles, collapse "
        "repeats and near-duplicates, and write Parquet datasets (articles/, duplicates/, "
        "rejected/, removed/, runs/).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("inputs", nargs="*", metavar="INPUT", default=DEFAULT_INPUTS,
                        help="files or directories (read recursively): " + ", ".join(supported_suffixes()))
    parser.add_argument("-o", "--output", default=DEFAULT_OUTPUT, help="output directory")
    parser.add_argument("--full-rebuild", action="store_true",
                        help="ignore what earlier runs into OUTPUT processed and rebuild it from these inputs alone")
    parser.add_argument("--index", metavar="URL", default=None,
                        help="keep the dedup index in Redis at redis://HOST:PORT/DB; none: next to the dataset")
    parser.add_argument("--task-runner", metavar="{threads,dask,dask://HOST:PORT}", default=DEFAULT_TASK_RUNNER,
                        help="where the shard tasks run: threads in this process; dask: a temporary local "
                        "Dask cluster (a worker process per core) for this run; dask://HOST:PORT: an existing "
                        "Dask scheduler whose workers have this package and see INPUT and OUTPUT")
    parser.add_argument("--no-prefect", action="store_true",
                        help="run the same pipeline in this process without Prefect (no server start; "
                        "the shards run one after the other)")
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress line on stderr (files, records, articles per second)")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 3 when any input could not be used (rejections of kind input, "
                        "limit or fault; not pages that held no article); the run is still committed")
    options = parser.add_argument_group("cleaning options")
    for name, info in CleanConfig.model_fields.items():
        kind = typing.get_origin(info.annotation)
        flag = "--" + name.replace("_", "-")
        if kind is typing.Literal:
            options.add_argument(flag, choices=typing.get_args(info.annotation), default=info.default,
                                 help=info.description)
        else:
            options.add_argument(flag, type=info.annotation, default=info.default, help=info.description,
                                 metavar=name.upper())
    return parser


def config_from_args(args: argparse.Namespace) -> CleanConfig:
    return CleanConfig(**{name: getattr(args, name) for name in CleanConfig.model_fields})


def params_from_args(args: argparse.Namespace) -> CleanParameters:
    """The flow's parameters from the command line; raises pydantic's ValidationError."""
    return CleanParameters(inputs=list(args.inputs), output=args.output, config=config_from_args(args),
                           full_rebuild=args.full_rebuild, index=args.index, task_runner=args.task_runner)


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


def unreachable_scheduler(spec: str, timeout: float = 5.0) -> str | None:
    """Why the Dask scheduler of ``dask://HOST:PORT`` cannot be reached, or None when it answers.

    Checked before the flow starts: Dask's own client would retry for 30 s
    and then fail the run with a traceback.
    """
    address = dask_address(spec)
    if address is None:
        return None
    parts = urlsplit(address)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
            return None
    except OSError as exc:
        return f"cannot reach the Dask scheduler at {parts.hostname}:{parts.port} ({exc}); start it with " \
               f"`dask scheduler --port {parts.port}` and some `dask worker` processes, or use --task-runner dask"


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> CleanParameters:
    """Validated parameters, or exit with argparse's usage line and a message saying what to change."""
    try:
        params = params_from_args(args)
    except ValidationError as exc:
        parser.error(describe_errors(exc))
    if args.no_prefect and params.uses_dask:
        parser.error(f"--task-runner {params.task_runner} needs Prefect: drop --no-prefect "
                     "(without Prefect the shards run one after the other in this process)")
    missing = [p for p in params.inputs if not Path(p).exists()]
    if missing:
        hint = " (run from the project folder, or pass INPUT paths)" if args.inputs == DEFAULT_INPUTS else ""
        parser.error(f"input not found: {', '.join(missing)}{hint}")
    problem = unreachable_scheduler(params.task_runner)
    if problem:
        parser.error(problem)
    return params


def format_summary(summary: dict[str, Any]) -> str:
    c = summary["counts"]
    segments = ", ".join(f"{k} {v}" for k, v in summary["segments"].items()) or "none"
    rejected = ", ".join(f"{k} {v}" for k, v in summary["rejected_by_reason"].items())
    out = summary["output"]
    lines = [
        f"cleaned {c['input_files']} input files ({c['pages']} pages) in {summary['command_seconds']:.1f} s "
        f"[{summary['engine']}; pipeline {summary['wall_seconds']:.1f} s]",
        f"  articles kept          {c['articles_kept']:>6}   ({segments})",
        f"  duplicates collapsed   {c['duplicates']:>6}",
        f"  chrome lines removed   {c['chrome_lines_removed']:>6}   (+{c['glued_promos_cut']} glued promos cut, "
        f"{c['repeats_collapsed']} repeated paragraphs collapsed)",
        f"  rejected               {c['rejected']:>6}" + (f"   ({rejected})" if rejected else ""),
    ]
    decoding = summary.get("decoding") or {}
    for label, counts in (("legacy encodings", decoding.get("legacy_encodings")),
                          ("text repairs", decoding.get("repairs"))):
        if counts:
            told = ", ".join(f"{k} {v}" for k, v in counts.items())
            lines.append(f"  {label:<22} {sum(counts.values()):>6}   ({told})")
    if "orchestration" in summary:
        run = summary["orchestration"]
        processes = len(set(run["shard_workers"].values()))
        lines.append(f"  shard tasks            {len(run['shard_workers']):>6}   (on {run['task_runner']}, "
                     f"{processes} process{'es' if processes != 1 else ''})")
    lines.append(f"output: {out}/  articles/ duplicates/ rejected/ removed/  summary: {out}/runs/{summary['run_id']}.json")
    if summary.get("report"):
        lines.append(f"report: {summary['report']}  (one page line by line: python -m flows.report {out} --doc ID)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    params = check_args(parser, args)
    start = time.perf_counter()
    sinks = [] if args.no_progress else [TerminalProgress()]
    try:
        with progress.reporting_to(*sinks):
            if args.no_prefect:
                summary = pipeline.run(params.inputs, Path(params.output), params.config,
                                       full_rebuild=params.full_rebuild, index=params.index)
            else:
                summary = with_task_runner(params)(**params.flow_kwargs())
    except (OutputError, ValueError, ConnectionError) as exc:  # the output, its index or Redis: say what to fix
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary["command_seconds"] = round(time.perf_counter() - start, 3)  # with Prefect's server start
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
    return exit_status(summary, args.strict)


def exit_status(summary: dict[str, Any], strict: bool) -> int:
    """0 done; 1 nothing could be read; 3 committed, but some inputs were not cleaned (said on stderr).

    Bad records alone do not fail a run (they are ``rejected`` rows), so a
    nightly job over a dirty inbox succeeds; a failed shard always reports 3
    (its files are retried next run), bad input only with ``--strict``.
    """
    if nothing_readable(summary):
        print("error: no input could be read as a page (see rejected/)", file=sys.stderr)
        return 1
    if summary.get("failed_shards"):
        failed = summary["failed_shards"]
        print(f"warning: {len(failed)} shard task(s) failed ({failed[0]['error']}); their "
              f"{sum(f['files'] for f in failed)} files are shard_failed rows and the next run retries them",
              file=sys.stderr)
        return 3
    if strict and (bad := strict_failures(summary["rejected_by_reason"])):
        listed = ", ".join(f"{r} {n}" for r, n in sorted(bad.items()))
        print(f"strict: {sum(bad.values())} inputs could not be used ({listed}); see rejected/", file=sys.stderr)
        return 3
    return 0


def nothing_readable(summary: dict[str, Any]) -> bool:
    """No page read, and not because earlier runs into this output already took every input.

    A rerun over an inbox whose files were all cleaned before reads no page
    either, but that is the incremental run working, not a failure a script
    or a scheduler should be told about.
    """
    incremental = summary.get("incremental") or {}
    already = incremental.get("files_already_processed", 0) + incremental.get("records_already_processed", 0)
    return summary["counts"]["pages"] == 0 and already == 0


if __name__ == "__main__":
    sys.exit(main())
