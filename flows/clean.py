"""``python -m flows.clean``: the cleaning run as a Prefect flow, and its command line.

The flow is thin on purpose: :func:`cleaners.pipeline.run` decides what
happens and in which order; this module only says that the shards run as
Prefect tasks (one task per shard of several MB of input, never per page,
since a task costs 10-25 ms on threads and ~300 ms on Dask) and the dedup as
one more task. ``--no-prefect`` runs the very same pipeline without Prefect's
server and bookkeeping (``flows/__init__.py`` has set Prefect's defaults before
the import below).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import typing
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from cleaners import pipeline
from cleaners.config import CleanConfig
from cleaners.io.readers import InputFile
from cleaners.io.writer import OutputError, StagingArea
from cleaners.pipeline import ShardStats

DEFAULT_INPUTS = ["seeds"]
DEFAULT_OUTPUT = "data/clean"


@task(name="clean-shard", cache_policy=NO_CACHE)
def clean_shard_task(files: list[InputFile], shard: str, area: StagingArea, config: CleanConfig) -> ShardStats:
    return pipeline.clean_shard(files, shard, area, config)


@task(name="dedup", cache_policy=NO_CACHE)
def dedup_task(shards: list[ShardStats], area: StagingArea, config: CleanConfig) -> dict[str, Any]:
    return pipeline.dedup_stage(shards, area, config)


def _clean_shards_as_tasks(shards: list[list[InputFile]], area: StagingArea,
                           config: CleanConfig) -> list[ShardStats]:
    futures = [clean_shard_task.submit(files, pipeline.shard_name(n), area, config)
               for n, files in enumerate(shards)]
    return [f.result() for f in futures]


def _dedup_as_task(shards: list[ShardStats], area: StagingArea, config: CleanConfig) -> dict[str, Any]:
    return dedup_task(shards, area, config)


@flow(name="clean-news", task_runner=ThreadPoolTaskRunner(max_workers=2))
def clean_flow(inputs: list[str] = DEFAULT_INPUTS, output: str = DEFAULT_OUTPUT,
               config: CleanConfig = CleanConfig()) -> dict[str, Any]:
    """Clean scraped pages into the Parquet layout of CONTRACT.md; returns the run summary."""
    return pipeline.run(inputs, Path(output), config, engine="prefect",
                        clean_shards=_clean_shards_as_tasks, dedup=_dedup_as_task)


# ---------------------------------------------------------------------- command line
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flows.clean",
        description="Strip site chrome from scraped pages, split them into articles, collapse "
        "repeats and near-duplicates, and write Parquet datasets (articles/, duplicates/, "
        "rejected/, removed/, runs/).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("inputs", nargs="*", metavar="INPUT", default=DEFAULT_INPUTS,
                        help="files or directories (read recursively); .txt, also gzipped")
    parser.add_argument("-o", "--output", default=DEFAULT_OUTPUT, help="output directory")
    parser.add_argument("--no-prefect", action="store_true",
                        help="run the same pipeline in this process without Prefect (no server start)")
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON")
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


def format_summary(summary: dict[str, Any]) -> str:
    c = summary["counts"]
    segments = ", ".join(f"{k} {v}" for k, v in summary["segments"].items()) or "none"
    rejected = ", ".join(f"{k} {v}" for k, v in summary["rejected_by_reason"].items())
    out = summary["output"]
    return "\n".join([
        f"cleaned {c['input_files']} input files ({c['pages']} pages) in {summary['command_seconds']:.1f} s "
        f"[{summary['engine']}; pipeline {summary['wall_seconds']:.1f} s]",
        f"  articles kept          {c['articles_kept']:>6}   ({segments})",
        f"  duplicates collapsed   {c['duplicates']:>6}",
        f"  chrome lines removed   {c['chrome_lines_removed']:>6}   (+{c['glued_promos_cut']} glued promos cut, "
        f"{c['repeats_collapsed']} repeated paragraphs collapsed)",
        f"  rejected               {c['rejected']:>6}" + (f"   ({rejected})" if rejected else ""),
        f"output: {out}/  articles/ duplicates/ rejected/ removed/  summary: {out}/runs/{summary['run_id']}.json",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        parser.error(str(exc))
    missing = [p for p in args.inputs if not Path(p).exists()]
    if missing:
        hint = " (run from the project folder, or pass INPUT paths)" if args.inputs == DEFAULT_INPUTS else ""
        parser.error(f"input not found: {', '.join(missing)}{hint}")

    start = time.perf_counter()
    try:
        if args.no_prefect:
            summary = pipeline.run(args.inputs, Path(args.output), config)
        else:
            summary = clean_flow(inputs=list(args.inputs), output=args.output, config=config)
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary["command_seconds"] = round(time.perf_counter() - start, 3)  # with Prefect's server start
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
    if summary["counts"]["pages"] == 0:
        print("error: no input could be read as a page (see rejected/)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
