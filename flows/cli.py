"""``python -m flows.clean``'s command line: options, their checks, the summary it prints, and its run.

Apart from :mod:`flows.clean` (the flow, its tasks and artifacts) so that a
``--no-prefect`` command never imports Prefect: about 1 s of its 3.5 s on the
seeds. ``python -m flows.clean`` hands such a command to :func:`run_without_prefect`
before its own Prefect imports; every other command imports the flow.
"""
from __future__ import annotations

import argparse
import logging
import socket
import sys
import time
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from pydantic import ValidationError

from cleaners import pipeline, progress
from cleaners.config import CleanConfig
from cleaners.io.readers import supported_suffixes
from cleaners.outcome import NothingCommitted, Outcome, not_committed
from cleaners.parallel import clean_shards_in_processes
from cleaners.pipeline import worker_id
from cleaners.summary import Orchestration, RunSummary
from flows.parameters import (
    DEFAULT_INPUTS,
    DEFAULT_OUTPUT,
    DEFAULT_TASK_RUNNER,
    CleanParameters,
    dask_address,
    redis_address,
)
from flows.progress import TerminalProgress

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
            from flows.clean import (
                run_from_command_line,  # Prefect's import (about 1 s) only for the runs that use it
            )
            from flows.server import ServerDidNotStart, start_embedded_server

            try:
                server = start_embedded_server()  # None when an API is configured (a long-lived server)
                if server is not None:
                    server.wait_ready()
            except ServerDidNotStart as exc:
                result = not_committed(str(exc))
            else:
                _, result = run_from_command_line(params)
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


def run_without_prefect(argv: list[str]) -> None:
    """Run a ``--no-prefect`` command to its end (exiting); return at once for any other command."""
    args, _ = build_parser().parse_known_args(argv)
    if args.no_prefect:
        exit_with(main(argv))


def exit_with(code: int) -> None:
    """Exit with ``code`` without the interpreter's last collections over the whole heap (Prefect's and
    pydantic's objects among it): about 1 s of the seeds' 5 s, for memory the process gives back anyway.
    Frozen objects are skipped; exit hooks (Prefect's log and event drains, the embedded server's stop) run."""
    import gc

    gc.freeze()
    sys.exit(code)
