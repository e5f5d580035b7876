"""The run as plain steps: plan shards, clean each shard, dedup, commit.

Each step takes paths and small values and returns small summaries, so that
an orchestrator can run the shards anywhere (threads, Dask workers) and only
file paths and counts cross process boundaries (PREFECT_NOTES.md section 3).
:func:`run` chains the steps in-process with no orchestrator at all; the
Prefect flow in ``flows/clean.py`` wraps the very same steps as tasks.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import progress
from .config import CleanConfig
from .dedup.index import RedisIndex, check_compatible, index_params, parse_redis_url
from .dedup.parts import dedup_parts, with_signatures
from .faults import WorkerSetupError, process_name, with_retries
from .html.guard import BoundedExtractor
from .io.dataset import current_snapshot
from .io.ledger import InputLedger, item_key, ledger_table, provisional_entries, seen_in
from .io.readers import InputFile, discover, read_file, read_position
from .io.remote import is_url, local_path, url_problem
from .io.schema import (
    ARTICLES,
    DATASETS,
    REJECTED,
    REMOVED,
    article_row,
    rejected_row,
    removed_row,
    to_table,
)
from .io.writer import OWN_NAMES, OutputError, SnapshotWriter, StagingArea, not_input
from .kernels import compile_ahead
from .model import Page, PageResult, Rejection
from .outcome import NothingCommitted, also_failed, judge, one_line
from .reasons import GLUED_PROMO, METADATA_REMOVALS, REPEAT_REMOVALS, is_chrome_line
from .store import files as store_files
from .store.files import is_remote, parquet_rows
from .store.output import TableWriter, check_output_url, choose_layout, is_table_output, output_root
from .store.state import committed_state
from .summary import (
    Counts,
    DatasetRows,
    Decoding,
    FailedShard,
    Incremental,
    Orchestration,
    Published,
    RunSummary,
    Timings,
)
from .text.boilerplate import repeated_lines, site_key
from .text.page import clean_page, too_many_lines

log = logging.getLogger(__name__)
#: Marks the run's story in the log (start, each shard's result, the summary line): a log keeps it, while a
#: terminal that prints the summary itself may leave it out (``flows.clean.quiet_console``).
NARRATIVE = {"narrative": True}


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
    #: files and records skipped because an earlier run took the same content
    files_seen: int = 0
    records_seen: int = 0
    #: ledger entries of files read and cleaned whole, not yet written (their keys, provisional rows, rows
    #: they supersede: :class:`cleaners.io.ledger.InputLedger`)
    file_keys: list[tuple[bytes, str, str, str | None]] = field(default_factory=list)
    #: rejected rows of earlier runs this shard's files replaced (the commit drops them)
    superseded: int = 0
    #: the shard's side of the ledger while it runs (None once it is done: it does not travel back)
    input_ledger: InputLedger | None = field(default=None, repr=False, compare=False)
    #: pages by the legacy encoding they were decoded from, and by the repair decoding made
    encodings: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    #: why the shard was given up (its files are ``shard_failed`` rows; the next run retries them)
    failed: str | None = None
    seconds: float = 0.0
    #: ``host:pid`` of the process that cleaned it (empty for a shard given up)
    worker: str = ""
    #: ``host:pid`` of the other processes that cleaned some of its pages (:data:`PAGE_HELPERS`)
    page_workers: list[str] = field(default_factory=list)


worker_id = process_name

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
    """Read and clean every new page of a shard; write its rows; return the counts.

    Pages stream through in chunks of ``chunk_pages`` pages (fewer when they
    hold ``chunk_chars`` characters), each written as its own part files, so
    memory stays flat however large an input file is (a 1 GB JSONL is one
    shard). Site boilerplate is counted per chunk of pages. Records a reader
    rejects do not wait for a chunk: they are written out as they come, in
    parts of :data:`REJECTIONS_PER_PART` rows, and a chunk writes its audit
    rows out whenever :data:`REMOVED_ROWS_PER_PART` of them are waiting.
    Files and records an earlier run took (by content, :mod:`cleaners.io.ledger`)
    are skipped and counted. Articles go to scratch files for the dedup step;
    rejections, audit rows and ledger keys are final and go straight into the
    staged snapshot.
    """
    start = time.perf_counter()
    check_visible(files, area)
    stats = ShardStats(shard=shard, files=len(files), worker=worker_id())
    area.clear_parts(shard)  # a retried shard starts from nothing
    stats.input_ledger = InputLedger(area.previous, config, stats.file_keys, [f.source for f in files])
    records = _new_records(files, stats.input_ledger, stats, config)
    rejections = _ReaderRejections(shard, area, stats)
    with _html_extractor(config) as html:
        for n, chunk in enumerate(_chunks(records, config.chunk_pages, config.chunk_chars, rejections.add)):
            _clean_chunk(chunk, f"{shard}-{n:05d}", area, config, stats, html)
    rejections.flush()  # the last ones, and the keys of files that held no page
    stats.superseded, stats.input_ledger = stats.input_ledger.superseded, None
    stats.seconds = time.perf_counter() - start
    return stats


def check_visible(files: Sequence[InputFile], area: StagingArea) -> None:
    """Fail a shard at once, saying why, in a process that cannot see the run's output or inputs.

    The run's folders are made by the process that started it; a Dask worker
    on another machine without the same filesystem at the same paths would
    otherwise write its part files into a folder of its own (lost) and turn
    every input into an ``unreadable`` row.
    """
    if not is_remote(area.scratch) and not Path(area.scratch).is_dir():  # an object store is the same everywhere
        raise WorkerSetupError(
            f"process {worker_id()} cannot see this run's output folder {Path(area.scratch).parent.parent.parent}: "
            "Dask workers need the output on a filesystem they share with the flow, at the same path")
    # In the process that found the files, a file gone since is an `unreadable` row, not a setup error.
    local = [f for f in files if f.url is None]  # objects at URLs are the same everywhere
    if area.origin != worker_id() and local and not any(Path(f.path).exists() for f in local):
        raise WorkerSetupError(
            f"process {worker_id()} cannot see the input files (none of the {len(local)} of its shard, e.g. "
            f"{local[0].path}): Dask workers need the inputs on a filesystem they share with the flow, at "
            "the same paths")


def _new_records(files: Sequence[InputFile], ledger: InputLedger, stats: ShardStats,
                 config: CleanConfig) -> Iterator[tuple[Page | Rejection, bytes]]:
    """(record, its ledger key) for every record no earlier run took; files seen whole are not even parsed."""
    watching = progress.active()
    for file in files:
        if not ledger.start(file):  # taken whole by an earlier run (with these limits, if one stopped it)
            stats.files_seen += 1
            progress.add(files=1, nbytes=file.size)
            continue
        counted = 0  # bytes of this file already reported: progress moves through a large file
        for n, item in enumerate(read_file(file, config.max_page_bytes)):
            if watching and n % _PROGRESS_EVERY == _PROGRESS_EVERY - 1 and (at := read_position()):
                step = min(at, file.size) - counted
                if step > 0:
                    progress.add(nbytes=step)
                    counted += step
            item_id = item_key(item)
            if ledger.seen(item, item_id):
                stats.records_seen += 1
                continue
            ledger.read(item, item_id)
            yield item, item_id
        ledger.finish(file)
        progress.add(files=1, nbytes=file.size - counted)


#: Records between two looks at how far into its file a reader is.
_PROGRESS_EVERY = 64


#: Reader rejections held before they are written out (with their ledger keys): a file of ten million bad
#: lines is written as it is read, never held (about 0.5 KB a row while held).
REJECTIONS_PER_PART = 20_000
#: Audit rows a chunk holds before it writes them out; and the characters of their text that also do.
REMOVED_ROWS_PER_PART = 100_000
REMOVED_CHARS_PER_PART = 32_000_000


class _ReaderRejections:
    """The rejections readers yield, written out as they come in parts of :data:`REJECTIONS_PER_PART` rows.

    They need no cleaning, and they take no part in a chunk's site
    boilerplate: holding them until the next page (a stream of nothing but
    bad lines has none) is what made memory grow with the input.
    """

    def __init__(self, shard: str, area: StagingArea, stats: ShardStats) -> None:
        self.shard, self.area, self.stats = shard, area, stats
        self.rows: list[dict[str, Any]] = []
        self.ledger: list[tuple[bytes, str, str, str | None]] = []
        self.parts = 0

    def add(self, item: Rejection, key: bytes) -> None:
        stats = self.stats
        stats.records += 1
        self.ledger.append((key, "rejection", item.source, item.record))
        self.rows.append(rejected_row(item, self.area.run_id))
        stats.rejected[item.reason] = stats.rejected.get(item.reason, 0) + 1
        progress.add(records=1, articles=0)
        if len(self.rows) >= REJECTIONS_PER_PART:
            self.flush()

    def flush(self) -> None:
        """Write what is held, with the ledger keys of files started since the last write."""
        part = f"{self.shard}-r{self.parts:05d}"
        if self.rows:
            self.area.write("rejected", to_table(self.rows, REJECTED), part)
        if self.ledger or self.stats.file_keys:  # file keys go with the part being filled; a run commits whole
            self.ledger.extend(self.stats.file_keys)
            self.stats.file_keys.clear()
            self.area.write("_ledger", ledger_table(self.ledger, self.area.run_id), part)
        self.rows, self.ledger = [], []
        self.parts += 1


#: Cleans a chunk's pages elsewhere: (pages, their sites' repeated lines, config) -> (results in order, the
#: processes that cleaned them), or None when the chunk is better cleaned in this thread
#: (:class:`cleaners.parallel.PageHelpers`).
PageCleaner = Callable[[list[Page], dict[str, frozenset[str]], CleanConfig],
                       "tuple[list[PageResult], list[str]] | None"]

#: The page cleaner of the shards cleaned in this context (None: every page in the shard's own thread). Set
#: where a shard is cleaned in the process that runs the command, with cores to spare: one large input
#: file is one shard, and its pages are what takes the time.
PAGE_HELPERS: ContextVar[PageCleaner | None] = ContextVar("page_helpers", default=None)


def clean_pages(pages: list[Page], site_lines: dict[str, frozenset[str]], config: CleanConfig,
                html: BoundedExtractor | None = None) -> list[PageResult]:
    """Each page's result (a bug on a page is its rejection), as a chunk cleans them."""
    return list(_page_results(pages, site_lines, config, html))


def _page_results(pages: list[Page], site_lines: dict[str, frozenset[str]], config: CleanConfig,
                  html: BoundedExtractor | None) -> Iterator[PageResult]:
    return (_clean_safely(page, config, site_lines.get(site_key(page), frozenset()), html) for page in pages)


def _clean_chunk(items: list[tuple[Page, bytes]], part: str, area: StagingArea, config: CleanConfig,
                 stats: ShardStats, html: BoundedExtractor | None) -> None:
    articles: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    removed_chars = removed_parts = 0
    ledger: list[tuple[bytes, str, str, str | None]] = []
    run_id = area.run_id
    site_lines = repeated_lines((i for i, _ in items if i.html is None),
                                config.site_repeat_min_pages, config.site_repeat_share, config.site_repeat_max_words)
    pages = [item for item, _ in items]
    helpers = PAGE_HELPERS.get()
    elsewhere = helpers(pages, site_lines, config) if helpers is not None else None
    if elsewhere is not None:
        results: Iterator[PageResult] = iter(elsewhere[0])
        stats.page_workers.extend(w for w in elsewhere[1] if w not in stats.page_workers)
    else:  # page by page as the rows are built: one page's result is held at a time
        results = _page_results(pages, site_lines, config, html)
    for (item, key), result in zip(items, results, strict=True):
        stats.records += 1
        stats.pages += 1
        _count_decoding(item, stats)
        if stats.input_ledger is not None:  # a page a limit stopped is recorded with the limit's value
            key = stats.input_ledger.cleaned(item, key, result.rejection)
        ledger.append((key, "record", item.source, item.record))
        articles.extend(article_row(a, run_id) for a in result.articles)
        for r in result.removed:
            removed.append(removed_row(r, run_id))
            removed_chars += len(r.text)
            stats.removed[r.reason] = stats.removed.get(r.reason, 0) + r.lines
        if len(removed) >= REMOVED_ROWS_PER_PART or removed_chars >= REMOVED_CHARS_PER_PART:
            area.write("removed", to_table(removed, REMOVED), f"{part}-{removed_parts:03d}")
            removed, removed_chars, removed_parts = [], 0, removed_parts + 1
        stats.articles += len(result.articles)
        if result.rejection is not None:
            rejected.append(rejected_row(result.rejection, run_id))
            stats.rejected[result.rejection.reason] = stats.rejected.get(result.rejection.reason, 0) + 1
        progress.add(records=1, articles=len(result.articles))
    if articles:
        table = with_signatures(to_table(articles, ARTICLES), config)
        stats.articles_paths.append(str(area.write_scratch(table, f"articles-{part}.parquet")))
    if rejected:
        area.write("rejected", to_table(rejected, REJECTED), part)
    if removed:
        area.write("removed", to_table(removed, REMOVED), part)
    if ledger or stats.file_keys:  # file keys go with the chunk being filled; a run commits whole
        ledger.extend(stats.file_keys)
        stats.file_keys.clear()
        area.write("_ledger", ledger_table(ledger, run_id), part)


def _count_decoding(page: Page, stats: ShardStats) -> None:
    if page.encoding not in (None, "utf-8"):
        stats.encodings[page.encoding] = stats.encodings.get(page.encoding, 0) + 1
    for repair in page.repairs:
        stats.repairs[repair] = stats.repairs.get(repair, 0) + 1


def shard_failed(files: Sequence[InputFile], shard: str, area: StagingArea, exc: BaseException) -> ShardStats:
    """A shard that failed for good: drop what it wrote, give each of its files a ``shard_failed`` row.

    The other shards' work stays and is committed. The files are not put in
    the ledger, so the next run into the same output reads them again.
    """
    area.clear_parts(shard)
    detail = (f"the cleaning task of shard {shard} failed ({type(exc).__name__}: {exc}); nothing of this file "
              "was kept, and the next run retries it")
    failed = [Rejection(f.source, None, "shard_failed", detail) for f in files]
    rows = [rejected_row(r, area.run_id) for r in failed]
    if rows:
        area.write("rejected", to_table(rows, REJECTED), f"{shard}-failed")
        # not taken, so read again next run; that read replaces these rows (cleaners.io.ledger)
        area.write("_ledger", ledger_table(provisional_entries(failed), area.run_id), f"{shard}-failed")
    return ShardStats(shard=shard, files=len(files), records=len(rows), rejected={"shard_failed": len(rows)},
                      failed=one_line(f"{type(exc).__name__}: {exc}"))


def _chunks(items: Iterator[tuple[Page | Rejection, bytes]], size: int, max_chars: int,
            rejected: Callable[[Rejection, bytes], None]) -> Iterator[list[tuple[Page, bytes]]]:
    """Consecutive lists of ``size`` pages, or fewer once they hold ``max_chars`` characters of text and HTML.

    Rejections go to ``rejected`` as they come, never into a chunk: so a
    chunk's pages, and with them the lines counted as site boilerplate, are
    the same whatever bad records lie between them.
    """
    chunk: list[tuple[Page, bytes]] = []
    chars = 0
    for item, key in items:
        if isinstance(item, Rejection):
            rejected(item, key)
            continue
        chunk.append((item, key))
        chars += len(item.text) + len(item.html or "")
        if len(chunk) >= size or chars >= max_chars:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


@contextmanager
def _html_extractor(config: CleanConfig) -> Iterator[BoundedExtractor | None]:
    """A time-bounded worker for HTML pages (started on the first HTML page), or None when unbounded."""
    if config.html_timeout <= 0:
        yield None
        return
    with BoundedExtractor(config.html_timeout) as extractor:
        yield extractor


def _html_stage() -> Callable[[Page, CleanConfig], PageResult]:
    from .html.page import clean_html_page

    return clean_html_page


def _clean_safely(page: Page, config: CleanConfig, site_lines: frozenset[str],
                  html: BoundedExtractor | None = None) -> PageResult:
    """A bug on one page must cost that page, not the run: it becomes a rejection.

    A broken install is no page's fault: the HTML stage is imported (trafilatura and lxml, 0.2-0.3 s,
    only where HTML comes) before the page's own errors are caught, so its failure fails the shard,
    as it failed the run's imports when they were eager, instead of rejecting every HTML page.
    """
    in_process = _html_stage() if page.html is not None and html is None else None
    try:
        if html is not None and page.html is not None:
            return html.clean(page, config)
        if in_process is not None:
            return in_process(page, config)
        if (refused := too_many_lines(page, config)) is not None:  # before the text stage holds ~1.5 KB a line
            return PageResult(rejection=refused)
        return clean_page(page, config, site_lines=site_lines)
    except Exception as exc:  # noqa: BLE001 (a bug on one page costs that page: a cleaning_error row)
        return PageResult(rejection=Rejection(page.source, page.record, "cleaning_error",
                                              f"{type(exc).__name__}: {exc}", page.page_id))


def dedup_stage(shard_stats: Sequence[ShardStats], area: StagingArea, config: CleanConfig,
                client: Any = None) -> dict[str, Any]:
    """Collapse near-duplicates across all shards; write ``articles`` and ``duplicates``.

    ``client``: a Dask client whose cluster computes the groups (the run's
    own cluster with ``--task-runner dask``); the rows are the same.
    """
    start = time.perf_counter()
    paths = [p for stats in sorted(shard_stats, key=lambda s: s.shard) for p in stats.articles_paths]
    return {**dedup_parts(paths, area, config, client), "seconds": round(time.perf_counter() - start, 3)}


def summarise(run_id: str, inputs: Sequence[str], output: str | Path, config: CleanConfig, engine: str,
              started: float, files: Sequence[InputFile], shards: Sequence[ShardStats],
              discovery_rejects: Sequence[Rejection], dedup: dict[str, Any]) -> RunSummary:
    """The run's counts from its shards' and the dedup step's reports (nothing is read back)."""
    rejected: Counter[str] = Counter(r.reason for r in discovery_rejects)
    removed: Counter[str] = Counter()
    for s in shards:
        rejected.update(s.rejected)
        removed.update(s.removed)
    chrome = sum(n for r, n in removed.items() if is_chrome_line(r))
    return RunSummary(
        run_id=run_id, engine=engine, started_at=datetime.fromtimestamp(started, timezone.utc),
        wall_seconds=round(time.time() - started, 3), inputs=list(inputs), output=str(output),
        parameters=config.model_dump(),
        counts=Counts(
            input_files=len(files), input_bytes=sum(f.size for f in files),
            records=sum(s.records for s in shards) + len(discovery_rejects),
            pages=sum(s.pages for s in shards), articles_found=sum(s.articles for s in shards),
            articles_kept=dedup["kept"], duplicates=dedup["duplicates"], rejected=sum(rejected.values()),
            chrome_lines_removed=chrome, glued_promos_cut=removed.get(GLUED_PROMO, 0),
            repeats_collapsed=sum(n for r, n in removed.items() if r in REPEAT_REMOVALS),
            metadata_lines=sum(n for r, n in removed.items() if r in METADATA_REMOVALS)),
        segments=dedup["segments"],
        rejected_by_reason=dict(sorted(rejected.items())),
        removed_by_reason=dict(removed.most_common()),
        decoding=Decoding(legacy_encodings=_total(s.encodings for s in shards),
                          repairs=_total(s.repairs for s in shards)),
        failed_shards=[FailedShard(shard=s.shard, files=s.files, error=s.failed) for s in shards if s.failed],
        dedup={k: v for k, v in dedup.items() if k not in ("segments", "seconds", "kept", "duplicates")},
        timings=Timings(clean_shards_seconds=round(sum(s.seconds for s in shards), 3),
                        dedup_seconds=dedup["seconds"], shards=len(shards)),
    )


def _total(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(total.most_common())


ShardExecutor = Callable[[list[list[InputFile]], StagingArea, CleanConfig], list[ShardStats]]
DedupExecutor = Callable[[list[ShardStats], StagingArea, CleanConfig], dict[str, Any]]


def settle_shard(files: Sequence[InputFile], shard: str, area: StagingArea,
                 result: Callable[[], ShardStats]) -> ShardStats:
    """What a shard comes to, wherever it ran: the policy every executor applies to a shard's result.

    ``result`` returns the shard's stats, or raises what ended it after its
    retries (:data:`cleaners.faults.RETRIES`, applied by the executor: inline
    here, by Prefect for tasks). An output that cannot be written ends the
    run, since no shard's work could be committed; any other failure costs
    only the shard's own files (:func:`shard_failed`), and the run's outcome
    says so (:func:`cleaners.outcome.judge`).
    """
    try:
        stats = result()
    except OutputError:
        raise
    except Exception as exc:  # noqa: BLE001 (whatever ended the shard costs only its files)
        log.error("shard %s failed after its retries, %d files given up: %s: %s", shard, len(files),
                  type(exc).__name__, one_line(str(exc)), extra=NARRATIVE)
        return shard_failed(files, shard, area, exc)
    log.info("shard %s: %d files, %d pages, %d articles, %d rejected in %.1f s (%s)", shard, stats.files,
             stats.pages, stats.articles, sum(stats.rejected.values()), stats.seconds, stats.worker, extra=NARRATIVE)
    return stats


def clean_shards_inline(shards: list[list[InputFile]], area: StagingArea, config: CleanConfig) -> list[ShardStats]:
    """Run the shards one after the other in this process, each retried on a transient fault."""
    done: list[ShardStats] = []
    for n, files in enumerate(shards):
        shard = shard_name(n)
        done.append(settle_shard(files, shard, area,
                                 lambda: with_retries(lambda: clean_shard(files, shard, area, config))))  # noqa: B023
    return done


def shard_name(n: int) -> str:
    return f"{n:05d}"


def run(inputs: Sequence[str | Path], output: str | Path, config: CleanConfig | None = None, *,
        run_id: str | None = None, engine: str = "local", full_rebuild: bool = False, index: str | None = None,
        strict: bool = False, clean_shards: ShardExecutor = clean_shards_inline,
        dedup: DedupExecutor = dedup_stage, orchestration: Orchestration | None = None,
        publish_to: str | None = None, layout: str = "auto") -> RunSummary:
    """The whole run; returns its summary, whose ``outcome`` says how it ended.

    A run builds on what earlier runs into the same output committed: it
    takes only inputs they did not take, dedups against every article they
    kept, and commits its own rows beside theirs (``full_rebuild`` starts
    from nothing instead). A run that finds nothing new commits nothing, so
    readers pinned to the current snapshot keep it. ``index`` is where the
    dedup index lives: None for files next to the dataset, or a ``redis://`` URL.
    ``layout``: how the output keeps its datasets: ``snapshots`` (a local folder, :mod:`cleaners.io.writer`),
    ``delta`` (Delta tables at a URL or in a folder, :mod:`cleaners.store.output`; an output of the snapshot
    layout is moved into tables first) or ``auto`` (as ``delta``).
    ``publish_to``: after the commit, mirror the output into Delta tables there
    (:mod:`cleaners.store.delta`; checked before the run starts). A publish that
    fails leaves the run committed and its outcome failed, saying why.

    ``clean_shards`` and ``dedup`` say *where* the steps execute (inline here,
    as Prefect tasks in ``flows/clean.py``); what the run does, in which
    order, and how it ends (:func:`cleaners.outcome.judge`) is only written here.
    Raises :class:`~cleaners.outcome.NothingCommitted` (the output cannot be
    written, the index is unusable, a rebuild would lose data) when nothing
    could be committed; the output is then as it was.
    """
    config = config or CleanConfig()
    started = time.time()
    run_id = run_id or new_run_id()
    if is_url(str(output)):
        if (problem := url_problem(str(output))) is not None:  # before any message repeats the URL
            raise OutputError(problem)
    else:
        output = local_path(str(output))  # file:///x is the folder /x, in either layout
    tables = choose_layout(output, layout)  # Delta tables (cleaners.store.output) or snapshots (io.writer)
    if tables:
        if publish_to is not None:
            raise OutputError(f"output {output} is kept as Delta tables (--layout {layout}): read them there; "
                              "publishing mirrors an output of the snapshot layout (--layout snapshots)")
        check_output_url(str(output))
    if publish_to is not None:
        from .store.delta import check_target

        check_target(publish_to, output)  # a missing package, a bad URL, the output itself: before the run starts
    # Absolute before anything travels: a Dask worker's working folder is not this one.
    out: Any = output_root(output) if tables else Path(output).absolute()
    if index is not None:
        with _index_errors():
            parse_redis_url(index)  # a malformed URL fails before any work
    # never the run's own output (an OUTPUT inside an INPUT, or equal to it), nor the tables it publishes:
    # one own_output row each
    published_here = [] if publish_to is None or is_url(publish_to) else [Path(local_path(publish_to)).absolute()]
    # an output at a URL: its own entries, in any INPUT that holds them (as not_input does for a folder)
    own = [store_files.join(out, name) for name in OWN_NAMES] if is_remote(out) else not_input(out, inputs)
    files, discovery_rejects = discover(inputs, follow_links=config.follow_links == "all",
                                        exclude=[*own, *published_here])
    missing = [r.source for r in discovery_rejects if r.reason == "not_found"]
    if full_rebuild and missing:  # a rebuild replaces the dataset: from part of its inputs it would lose rows
        raise NothingCommitted(f"input not found: {', '.join(missing)}; a full rebuild from the other inputs "
                               f"would drop every row of {output} that came from it, so nothing was done")
    log.info("run %s: %d input files (%s) into %s", run_id, len(files), _size(sum(f.size for f in files)), out,
             extra=NARRATIVE)
    if files:
        compile_ahead()  # once per install: else each shard worker compiles the same kernels (about 30 s each)
    try:
        writer: Any = TableWriter(out, run_id, full_rebuild, index, config.keep_removed_hours) if tables else \
            SnapshotWriter(out, run_id, config.keep_snapshots, full_rebuild, index)
        with writer:
            area = writer.area
            with _index_errors():
                if area.previous is not None:
                    check_compatible(writer.previous_manifest, config, redis=index is not None)
                redis_index = _follow_snapshot(index, area, config)
            new_rejects = write_discovery_rejects(discovery_rejects, area)
            progress.start(len(files), sum(f.size for f in files))
            shards = clean_shards(plan_shards(files, config.shard_bytes), area, config)
            progress.phase("dedup")
            with _index_errors():
                dedup_result = dedup(shards, area, config)
            named = output_root(output) if is_url(str(output)) else Path(output)  # as given; a URL without its "/"
            summary = summarise(run_id, [str(i) for i in inputs], named, config, engine, started,
                                files, shards, new_rejects, dedup_result)
            summary.missing_inputs = missing
            summary.input_paths = [str(i) if is_url(str(i)) else str(Path(local_path(str(i))).absolute())
                                   for i in inputs]
            summary.orchestration = orchestration
            if orchestration is not None:
                orchestration.shard_workers = {s.shard: s.worker for s in shards if s.worker}
                orchestration.page_workers = sorted({w for s in shards for w in s.page_workers})
            summary.incremental = Incremental(
                full_rebuild=area.previous is None, builds_on=area.previous.name if area.previous else None,
                earlier_runs=len(writer.previous_manifest["runs"]) if area.previous and writer.previous_manifest else 0,
                files_already_processed=sum(s.files_seen for s in shards),
                records_already_processed=sum(s.records_seen for s in shards),
                rejections_already_recorded=len(discovery_rejects) - len(new_rejects),
                index="embedded" if index is None else index)
            # A first run commits even empty datasets (readers find their columns); later, and for a
            # rebuild, only new rows move readers: a rebuild from an empty inbox must not empty the dataset.
            first = writer.previous_manifest is None
            summary.incremental.rejections_superseded = sum(s.superseded for s in shards)
            summary.committed = first or _staged_rows(area) > 0 or summary.incremental.rejections_superseded > 0
            summary.incremental.note = ("the output was written by an earlier version; rebuilt from this run"
                                        if writer.legacy else _migration_note(writer, summary.committed))
            summary.outcome = judge(summary, strict)
            if full_rebuild and not summary.outcome.ok:  # a rebuild replaces the dataset: not with a failed run
                raise NothingCommitted(f"the full rebuild failed ({summary.outcome.cause}), so it replaced nothing")
            if summary.committed:
                progress.phase("commit")
                final = writer.commit(lambda manifest: _completed(summary, manifest).to_dict(),
                                      {"dedup_index": index_params(config)})
                if redis_index is not None:
                    summary.incremental.index_articles_added = _apply_to_index(redis_index, run_id, final)
            else:  # nothing new: the current snapshot stays, and with it every pinned reader's files
                _completed(summary, writer.previous_manifest or {})
            if publish_to is not None:  # under the output's lock: the next run's publish waits for this one
                _publish(out, publish_to, summary)
    except NothingCommitted as exc:  # stopped before the switch: say what readers still see
        raise type(exc)(f"{exc}\nNothing of run {run_id} was committed: {_output_state(out)}") from exc
    progress.phase("report")
    summary.wall_seconds = round(time.time() - started, 3)
    if _write_report(out, summary):  # the path as the caller named the output, like every path it prints
        summary.report = str(store_files.join(str(output) if is_remote(out) else Path(output), "runs",
                                              f"{run_id}.html"))
    try:
        if tables:
            store_files.write_bytes(store_files.join(out, "runs", f"{run_id}.json"), (summary.to_json() + "\n").encode())
        else:
            summary.write(out / "runs" / f"{run_id}.json")
    except Exception as exc:  # noqa: BLE001 (committed already, the summary with it; a full disk must not undo that)
        log.warning("run %s: runs/%s.json could not be written: %s", run_id, run_id, exc)
    progress.finish()
    log.log(logging.INFO if summary.outcome.ok else logging.ERROR, "%s", summary.headline(), extra=NARRATIVE)
    return summary


def _publish(out: Path, target: str, summary: RunSummary) -> None:
    """Publish the committed output to ``target``; a failure fails the run's outcome (its rows stay committed)."""
    from .store.delta import PublishError, publish

    published = Published(target=target)
    try:
        tables = publish(out, target)
    except PublishError as exc:
        tables, published.error = exc.committed, one_line(str(exc))
        state = "committed" if summary.committed else "unchanged"
        summary.outcome = also_failed(summary.outcome, f"the output is {state}, but publishing it to {target} "
                                                       f"failed: {published.error}")
    published.tables = tables
    summary.published = published


def _completed(summary: RunSummary, manifest: dict[str, Any]) -> RunSummary:
    """The summary with what the published manifest says: when the run committed, what the output holds."""
    runs = manifest.get("runs") or []
    if summary.committed and runs and runs[-1].get("run_id") == summary.run_id:
        summary.committed_at = datetime.fromisoformat(runs[-1]["committed_at"])
    summary.dataset = DatasetRows(**{name: info["rows"] for name, info in manifest.get("datasets", {}).items()
                                     if name in DATASETS})
    return summary


def _migration_note(writer: SnapshotWriter, committed: bool) -> str | None:
    if writer.migration_note is None or committed or not writer.migrated_files:  # tables: said either way
        return writer.migration_note
    return (f"{len(writer.migrated_files)} files of earlier runs are at schema version {writer.migrated_from}; "
            "this run committed nothing, so the next run that commits rewrites them")


@contextmanager
def _index_errors() -> Iterator[None]:
    """What the dedup index can answer with, as :class:`NothingCommitted` with one line to act on.

    Its parameters (``ValueError`` from the checks), Redis gone away
    (``ConnectionError``, and redis-py's own errors, which are not built-in
    ones) all stop the run before its commit.
    """
    try:
        yield
    except NothingCommitted:
        raise
    except (ValueError, ConnectionError) as exc:
        raise NothingCommitted(str(exc)) from exc
    except Exception as exc:
        if type(exc).__module__.startswith("redis"):
            raise NothingCommitted(f"the Redis index failed: {type(exc).__name__}: {exc}") from exc
        raise


def _apply_to_index(redis_index: RedisIndex, run_id: str, snapshot: Any) -> int | None:
    """Add the committed run to Redis; a failure only warns, since the next run reconciles Redis first."""
    try:
        return redis_index.apply(run_id, snapshot)
    except Exception as exc:  # noqa: BLE001 (committed already; RedisIndex.reconcile repairs the index)
        log.warning("run %s is committed, but adding it to the Redis index failed (%s: %s); the next run "
                    "adds it", run_id, type(exc).__name__, exc)
        return None


def _staged_rows(area: StagingArea) -> int:
    """Rows this run staged in the datasets readers see (the ledger alone does not move readers)."""
    return sum(parquet_rows(p) for name in DATASETS for p in area.staged(name))


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def _write_report(output: Any, summary: RunSummary) -> bool:
    """The run's HTML report next to its summary; the data is safe, so a failure only warns (and says False)."""
    from .report.render import (
        write_run_report,  # jinja2: only where a report is written
    )

    try:
        write_run_report(output, summary.run_id, summary=summary)
    except Exception as exc:  # noqa: BLE001 (the data is safe; the report is a view of it)
        log.warning("run %s: the report could not be written: %s: %s", summary.run_id, type(exc).__name__, exc)
        return False
    return True


def _output_state(output: Any) -> str:
    """What a reader of ``output`` sees after a failed run: the dataset as it was."""
    if is_table_output(output):
        try:
            state = committed_state(output_root(output))
        except Exception:  # noqa: BLE001 (only for the message)
            return f"{output} is as the last committed run left it."
        return f"{output} holds no dataset yet." if state is None else \
            f"{output} is unchanged (it still holds run {state.run_id} and the runs before it)."
    try:
        snapshot = current_snapshot(output)
    except (OSError, ValueError):
        return f"{output} holds no dataset yet."
    return f"{output} is unchanged (it still holds run {snapshot.name} and the runs before it)."


def _follow_snapshot(index: str | None, area: StagingArea, config: CleanConfig) -> RedisIndex | None:
    """A Redis index made equal to the snapshot this run builds on (see :class:`RedisIndex`)."""
    if index is None:
        return None
    redis_index = RedisIndex(index, area.dataset_id, config)
    redis_index.reconcile(area.previous)
    return redis_index


def write_discovery_rejects(rejects: Sequence[Rejection], area: StagingArea) -> list[Rejection]:
    """Inputs that no reader could take get their ``rejected`` rows, once: not again on every run."""
    seen = seen_in(area.previous)
    fresh = [(r, item_key(r)) for r in rejects]
    fresh = [(r, k) for r, k in fresh if k not in seen]
    if fresh:
        area.write("rejected", to_table([rejected_row(r, area.run_id) for r, _ in fresh], REJECTED), "discover")
        entries = [(k, "rejection", r.source, r.record) for r, k in fresh]
        entries += provisional_entries(r for r, _ in fresh)  # a later read of the file replaces the row
        area.write("_ledger", ledger_table(entries, area.run_id), "discover")
    return [r for r, _ in fresh]
