"""The run as plain steps: plan shards, clean each shard, dedup, commit.

Each step takes paths and small values and returns small summaries, so that
an orchestrator can run the shards anywhere (threads, Dask workers) and only
file paths and counts cross process boundaries (PREFECT_NOTES.md section 3).
:func:`run` chains the steps in-process with no orchestrator at all; the
Prefect flow in ``flows/clean.py`` wraps the very same steps as tasks.
"""
from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


from .config import CleanConfig
from .dedup.parts import dedup_parts, with_signatures
from .io.readers import InputFile, discover, read_file
from .io.schema import (
    ARTICLES,
    DUPLICATES,
    REJECTED,
    REMOVED,
    article_row,
    rejected_row,
    removed_row,
    to_table,
)
from .io.writer import SnapshotWriter, StagingArea, write_parquet
from .html.guard import BoundedExtractor
from .html.page import clean_html_page
from .model import Page, PageResult, Rejection
from .text.boilerplate import repeated_lines, site_key
from .text.page import METADATA_REASONS, REPEAT_REASONS, clean_page


@dataclass(slots=True)
class ShardStats:
    """What one cleaning task reports back: counts only, the rows are on disk."""

    shard: str
    files: int = 0
    records: int = 0
    pages: int = 0
    articles: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    #: scratch Parquet files of this shard's articles, one per chunk, read by the dedup step
    articles_paths: list[str] = field(default_factory=list)
    seconds: float = 0.0


def new_run_id() -> str:
    """Sortable by start time, unique across machines."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def plan_shards(files: Sequence[InputFile], shard_bytes: int) -> list[list[InputFile]]:
    """Cut the sorted file list into consecutive shards of about ``shard_bytes`` of input."""
    shards: list[list[InputFile]] = []
    current: list[InputFile] = []
    size = 0
    for file in files:
        if current and size + file.size > shard_bytes:
            shards.append(current)
            current, size = [], 0
        current.append(file)
        size += file.size
    if current:
        shards.append(current)
    return shards


def clean_shard(files: Sequence[InputFile], shard: str, area: StagingArea, config: CleanConfig) -> ShardStats:
    """Read and clean every page of a shard; write its rows; return the counts.

    Records stream through in chunks of ``chunk_pages`` pages, each written as
    its own part files, so memory stays flat however large an input file is
    (a 1 GB JSONL is one shard). Site boilerplate is counted per chunk.
    Articles go to scratch files for the dedup step; rejections and audit rows
    are final and go straight into the staged snapshot.
    """
    start = time.perf_counter()
    stats = ShardStats(shard=shard, files=len(files))
    records = (item for file in files for item in read_file(file, config.max_page_bytes))
    with _html_extractor(config) as html:
        for n, chunk in enumerate(_chunks(records, config.chunk_pages)):
            _clean_chunk(chunk, f"{shard}-{n:05d}", area, config, stats, html)
    stats.seconds = time.perf_counter() - start
    return stats


def _clean_chunk(items: list[Page | Rejection], part: str, area: StagingArea, config: CleanConfig,
                 stats: ShardStats, html: BoundedExtractor | None) -> None:
    articles: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    run_id = area.run_id
    site_lines = repeated_lines((i for i in items if isinstance(i, Page) and i.html is None),
                                config.site_repeat_min_pages, config.site_repeat_share, config.site_repeat_max_words)
    for item in items:
        stats.records += 1
        if isinstance(item, Rejection):
            rejection: Rejection | None = item
        else:
            stats.pages += 1
            result = _clean_safely(item, config, site_lines.get(site_key(item), frozenset()), html)
            articles.extend(article_row(a, run_id) for a in result.articles)
            removed.extend(removed_row(r, run_id) for r in result.removed)
            for r in result.removed:
                stats.removed[r.reason] = stats.removed.get(r.reason, 0) + 1
            stats.articles += len(result.articles)
            rejection = result.rejection
        if rejection is not None:
            rejected.append(rejected_row(rejection, run_id))
            stats.rejected[rejection.reason] = stats.rejected.get(rejection.reason, 0) + 1
    table = with_signatures(to_table(articles, ARTICLES), config)
    stats.articles_paths.append(str(write_parquet(table, area.scratch / f"articles-{part}.parquet")))
    area.write("rejected", to_table(rejected, REJECTED), part)
    area.write("removed", to_table(removed, REMOVED), part)


def _chunks(items: Iterator[Page | Rejection], size: int) -> Iterator[list[Page | Rejection]]:
    """Consecutive lists of ``size`` pages (rejections ride along uncounted); at least one list."""
    chunk: list[Page | Rejection] = []
    pages = 0
    for item in items:
        chunk.append(item)
        pages += isinstance(item, Page)
        if pages >= size:
            yield chunk
            chunk, pages = [], 0
    if chunk or pages == 0:
        yield chunk


@contextmanager
def _html_extractor(config: CleanConfig) -> Iterator[BoundedExtractor | None]:
    """A time-bounded worker for HTML pages (started on the first HTML page), or None when unbounded."""
    if config.html_timeout <= 0:
        yield None
        return
    with BoundedExtractor(config.html_timeout) as extractor:
        yield extractor


def _clean_safely(page: Page, config: CleanConfig, site_lines: frozenset[str],
                  html: BoundedExtractor | None = None) -> PageResult:
    """A bug on one page must cost that page, not the run: it becomes a rejection."""
    try:
        if page.html is not None:
            return html.clean(page, config) if html is not None else clean_html_page(page, config)
        return clean_page(page, config, site_lines=site_lines)
    except Exception as exc:
        return PageResult(rejection=Rejection(page.source, page.record, "cleaning_error",
                                              f"{type(exc).__name__}: {exc}", page.page_id))


def dedup_stage(shard_stats: Sequence[ShardStats], area: StagingArea, config: CleanConfig) -> dict[str, Any]:
    """Collapse near-duplicates across all shards; write ``articles`` and ``duplicates``."""
    start = time.perf_counter()
    paths = [p for stats in sorted(shard_stats, key=lambda s: s.shard) for p in stats.articles_paths]
    return {**dedup_parts(paths, area, config), "seconds": round(time.perf_counter() - start, 3)}


def summarise(run_id: str, inputs: Sequence[str], output: Path, config: CleanConfig, engine: str,
              started: float, discovered: int, shards: Sequence[ShardStats],
              discovery_rejects: Sequence[Rejection], dedup: dict[str, Any]) -> dict[str, Any]:
    """The run summary written to ``runs/<run_id>.json`` and printed by the CLI."""
    rejected: Counter[str] = Counter(r.reason for r in discovery_rejects)
    removed: Counter[str] = Counter()
    for s in shards:
        rejected.update(s.rejected)
        removed.update(s.removed)
    chrome = sum(n for r, n in removed.items() if r not in METADATA_REASONS | REPEAT_REASONS | {"glued_promo"})
    return {
        "run_id": run_id,
        "engine": engine,
        "started_at": datetime.fromtimestamp(started, timezone.utc).isoformat(),
        "wall_seconds": round(time.time() - started, 3),
        "inputs": list(inputs),
        "output": str(output),
        "parameters": config.model_dump(),
        "counts": {
            "input_files": discovered,
            "records": sum(s.records for s in shards) + len(discovery_rejects),
            "pages": sum(s.pages for s in shards),
            "articles_found": sum(s.articles for s in shards),
            "articles_kept": dedup["kept"],
            "duplicates": dedup["duplicates"],
            "rejected": sum(rejected.values()),
            "chrome_lines_removed": chrome,
            "glued_promos_cut": removed.get("glued_promo", 0),
            "repeats_collapsed": sum(n for r, n in removed.items() if r in REPEAT_REASONS),
            "metadata_lines": sum(n for r, n in removed.items() if r in METADATA_REASONS),
        },
        "segments": dedup["segments"],
        "rejected_by_reason": dict(sorted(rejected.items())),
        "removed_by_reason": dict(removed.most_common()),
        "dedup": {k: v for k, v in dedup.items() if k not in ("segments", "seconds", "kept", "duplicates")},
        "timings": {"clean_shards_seconds": round(sum(s.seconds for s in shards), 3),
                    "dedup_seconds": dedup["seconds"], "shards": len(shards)},
    }


ShardExecutor = Callable[[list[list[InputFile]], StagingArea, CleanConfig], list[ShardStats]]
DedupExecutor = Callable[[list[ShardStats], StagingArea, CleanConfig], dict[str, Any]]


def clean_shards_inline(shards: list[list[InputFile]], area: StagingArea, config: CleanConfig) -> list[ShardStats]:
    """Run the shards one after the other in this process."""
    return [clean_shard(files, shard_name(n), area, config) for n, files in enumerate(shards)]


def shard_name(n: int) -> str:
    return f"{n:05d}"


def run(inputs: Sequence[str | Path], output: Path, config: CleanConfig | None = None, *,
        run_id: str | None = None, engine: str = "local",
        clean_shards: ShardExecutor = clean_shards_inline, dedup: DedupExecutor = dedup_stage) -> dict[str, Any]:
    """The whole run; returns its summary.

    ``clean_shards`` and ``dedup`` say *where* the steps execute (inline here,
    as Prefect tasks in ``flows/clean.py``); what the run does, and the order
    it is done in, is only written here.
    """
    config = config or CleanConfig()
    started = time.time()
    run_id = run_id or new_run_id()
    files, discovery_rejects = discover(inputs)
    with SnapshotWriter(Path(output), run_id, config.keep_snapshots) as writer:
        write_discovery_rejects(discovery_rejects, writer.area)
        shards = clean_shards(plan_shards(files, config.shard_bytes), writer.area, config)
        dedup_result = dedup(shards, writer.area, config)
        summary = summarise(run_id, [str(i) for i in inputs], Path(output), config, engine, started,
                            len(files), shards, discovery_rejects, dedup_result)
        writer.commit(summary)
    return summary


def write_discovery_rejects(rejects: Sequence[Rejection], area: StagingArea) -> None:
    """Inputs that no reader could take still get their ``rejected`` rows."""
    if rejects:
        area.write("rejected", to_table([rejected_row(r, area.run_id) for r in rejects], REJECTED), "discover")
