"""The figures of one committed run, read back from its own output (never from the run's memory).

Reading the output means a report shows exactly what a downstream reader
gets, can be made again later (``python -m flows.report DIR``), and costs
the run nothing while it cleans. Only this run's partition of each dataset
is read; the columns are projected, and article texts are measured by the
scanner (``utf8_length``), never loaded whole. Rejected rows (a run may hold
ten million) are scanned in batches: the report keeps the first
:data:`MAX_REJECTED` of them and a count per site. A ``removed`` row that
stands for a merged run of lines (:class:`cleaners.model.RemovedLine`) counts
as the lines it holds.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from ..io.dataset import (
    current_state,
    files_dataset,
    read_manifest,
    read_run_summary,
    snapshot_files,
    state_summary,
)
from ..io.schema import DATASETS
from ..reasons import NOT_CHROME_LINES, REJECTIONS, is_chrome_line, kind_of
from ..store.files import is_remote
from ..summary import Counts, RunSummary

#: How many rows each table of the report lists.
TOP_LINES = 25
TOP_CLUSTERS = 10
TOP_SITES = 25
MAX_REJECTED = 200


@dataclass(frozen=True, slots=True)
class RemovedLineCount:
    reason: str
    text: str
    count: int
    pages: int


@dataclass(frozen=True, slots=True)
class Member:
    article_id: str
    source: str
    record: str | None
    segment: str
    title: str | None
    n_words: int
    #: to the cluster's kept copy (None for the kept copy itself)
    similarity: float | None = None
    containment: float | None = None


@dataclass(frozen=True, slots=True)
class Cluster:
    cluster_id: str
    kept: Member
    duplicates: list[Member]


@dataclass(frozen=True, slots=True)
class SiteFigures:
    site: str
    pages: int
    articles: int
    duplicates: int
    rejected: int
    removed_lines: int
    #: removed characters over removed plus kept characters: how much of the site's text was chrome
    chrome_share: float


@dataclass(slots=True)
class RunReport:
    """Everything a report shows; made by :func:`load_report`."""

    out: Path | str
    run_id: str
    summary: RunSummary
    top_removed: list[RemovedLineCount] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    n_clusters: int = 0
    sites: list[SiteFigures] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    similarities: list[float] = field(default_factory=list)
    containments: list[float] = field(default_factory=list)
    #: page ids with their removed-line counts, most first (candidates for page views)
    pages_by_removed: list[tuple[str, int]] = field(default_factory=list)

    @property
    def counts(self) -> Counts:
        return self.summary.counts

    def rejected_by_kind(self) -> dict[str, dict[str, int]]:
        kinds: dict[str, dict[str, int]] = defaultdict(dict)
        for reason, n in self.summary.rejected_by_reason.items():
            kinds[kind_of(reason)][reason] = n
        return dict(kinds)


def is_chrome(reason: str) -> bool:
    """A whole line removed as chrome: not moved into a column, not a collapsed repeat, not a
    promotion cut from a kept line (kinds from :data:`cleaners.reasons.REMOVALS`)."""
    return is_chrome_line(reason)


def load_report(out: str | Path, run_id: str | None = None, summary: RunSummary | None = None) -> RunReport:
    """The report of ``run_id`` (default: the current run) of the dataset in ``out``.

    Works for every run that has a summary in ``runs/``: a run that committed
    nothing new (its summary says so) gets a report with empty tables, and a
    dataset this run added no rows to reads as empty, with its columns.
    ``summary`` is the run's own, when the caller has it in hand.
    """
    out = out if is_remote(str(out)) else Path(out)
    snapshot = current_state(out)
    manifest = read_manifest(snapshot)
    run_id = run_id or (summary.run_id if summary else manifest["current_run"])
    committed = run_id in {r["run_id"] for r in manifest["runs"]}
    if summary is None:
        summary = read_run_summary(out, run_id)
    if summary is None:
        if committed:
            summary = RunSummary.model_validate(state_summary(out, snapshot))
        else:
            known = ", ".join(r["run_id"] for r in manifest["runs"][-5:])
            raise ValueError(f"run {run_id} is not in {out} (latest runs: {known})")
    report = RunReport(out, run_id, summary)

    def dataset(name: str, runs: list[str] | None = None) -> ds.Dataset:
        wanted = runs if runs is not None else [run_id] if committed else []
        return files_dataset(snapshot_files(snapshot, name, manifest, runs=wanted), DATASETS[name])

    articles = _project(dataset("articles"), ["article_id", "page_id", "source", "record", "segment", "title",
                                              "site", "url", "n_words", "cluster_id"], text_length=True)
    duplicates = _project(dataset("duplicates"), ["article_id", "page_id", "source", "record", "segment",
                                                  "title", "site", "url", "n_words", "cluster_id", "duplicate_of",
                                                  "similarity", "containment"], text_length=True)
    removed = _with_lines(_project(dataset("removed"), ["page_id", "source", "text", "reason"]))

    report.top_removed = _top_removed(removed)
    report.pages_by_removed = _pages_by_removed(removed)
    all_runs = [r["run_id"] for r in manifest["runs"]]
    report.clusters, report.n_clusters = _clusters(duplicates, dataset("articles", all_runs))
    rejected = _Rejected()
    report.sites = _sites(articles, duplicates, removed, lambda page_site: rejected.scan(dataset("rejected"), page_site))
    report.rejected = rejected.first
    report.similarities = duplicates.column("similarity").to_pylist()
    report.containments = duplicates.column("containment").to_pylist()
    return report


def _project(dataset: ds.Dataset, columns: list[str], text_length: bool = False) -> pa.Table:
    """The columns (and the text's length in characters, measured while scanning) of a dataset."""
    projection: dict[str, Any] = {c: ds.field(c) for c in columns}
    if text_length:
        projection["chars"] = pc.utf8_length(ds.field("text"))
    return dataset.to_table(columns=projection)


def _with_lines(removed: pa.Table) -> pa.Table:
    """``removed`` with ``lines``, the removed lines each row stands for, and ``chars``, their characters.

    One for a row of one line; a merged run (:class:`cleaners.model.RemovedLine`,
    the only rows whose text holds a ``\\n``) stands for its non-blank lines.
    """
    text = removed.column("text")
    merged = pc.match_substring(text, "\n")
    lines = pc.if_else(merged, pc.add(pc.count_substring_regex(text, "[^\n]\n"), 1), 1)
    chars = pc.subtract(pc.utf8_length(text), pc.count_substring(text, "\n"))
    return removed.append_column("lines", pc.cast(lines, pa.int64())).append_column("chars", chars)


class _Rejected:
    """The run's rejected rows, scanned in batches: the first :data:`MAX_REJECTED` for the table, and
    a count per site; never every row at once (a run may hold ten million ``no_text`` rows)."""

    def __init__(self) -> None:
        self.first: list[dict[str, Any]] = []

    def scan(self, dataset: ds.Dataset, page_site: dict[str, str]) -> Counter[str]:
        columns = ["source", "record", "reason", "detail", "page_id"]
        known = pa.array(list(page_site), pa.string())
        sites = pa.array(list(page_site.values()), pa.string())
        top: pa.Table | None = None
        per_site: Counter[str] = Counter()
        for batch in dataset.to_batches(columns=columns, use_threads=False):  # in step: threads read ahead unbounded
            if batch.num_rows == 0:
                continue
            table = pa.Table.from_batches([batch])
            table = table.append_column("_record", pc.fill_null(table.column("record"), ""))
            both = table if top is None else pa.concat_tables([top, table])
            top = both.sort_by([("reason", "ascending"), ("source", "ascending"),
                                ("_record", "ascending")]).slice(0, MAX_REJECTED)
            # a rejected page counts for its page's site when the page left other rows; else its folder's
            site = pc.take(sites, pc.index_in(table.column("page_id"), value_set=known))
            site = pc.coalesce(site, _folder_site(table.column("source")))
            for row in pa.table({"site": site}).group_by("site").aggregate([("site", "count")]).to_pylist():
                per_site[row["site"]] += row["site_count"]
        self.first = top.drop(["_record"]).to_pylist() if top is not None else []
        return per_site


def _folder_site(source: pa.ChunkedArray | pa.Array) -> pa.Array:
    """:func:`site_of` of a row known only by its ``source``: its folder, or the file at the top."""
    folder = pc.struct_field(pc.extract_regex(source, r"^(?P<dir>.*)/[^/]*$"), "dir")
    return pc.coalesce(folder, source)


def _chrome_rows(removed: pa.Table) -> pa.Table:
    """The removed rows that were whole chrome lines (:func:`is_chrome`, in Arrow)."""
    not_chrome = pa.array(sorted(NOT_CHROME_LINES), type=pa.string())
    return removed.filter(pc.invert(pc.is_in(removed.column("reason"), value_set=not_chrome)))


def _top_removed(removed: pa.Table) -> list[RemovedLineCount]:
    """The chrome lines removed from most pages, with their rule (grouped in Arrow: runs hold millions)."""
    chrome = _chrome_rows(removed)
    chrome = chrome.filter(pc.equal(chrome.column("lines"), 1))  # a merged run is not one line of many pages
    if chrome.num_rows == 0:
        return []
    grouped = chrome.group_by(["reason", "text"]).aggregate([("page_id", "count"),
                                                            ("page_id", "count_distinct")])
    top = grouped.sort_by([("page_id_count_distinct", "descending"), ("page_id_count", "descending"),
                           ("reason", "ascending"), ("text", "ascending")]).slice(0, TOP_LINES)
    return [RemovedLineCount(r["reason"], " ".join(r["text"].split())[:200], r["page_id_count"],
                             r["page_id_count_distinct"]) for r in top.to_pylist()]


def _pages_by_removed(removed: pa.Table, limit: int = 50) -> list[tuple[str, int]]:
    if removed.num_rows == 0:
        return []
    counts = removed.group_by("page_id").aggregate([("lines", "sum")])
    top = counts.sort_by([("lines_sum", "descending"), ("page_id", "ascending")]).slice(0, limit)
    return [(r["page_id"], r["lines_sum"]) for r in top.to_pylist()]


def _clusters(duplicates: pa.Table, every_article: ds.Dataset) -> tuple[list[Cluster], int]:
    """The largest groups of collapsed copies, each with the article it was collapsed into."""
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in duplicates.to_pylist():
        members[row["duplicate_of"]].append(row)
    ranked = sorted(members, key=lambda k: (-len(members[k]), k))[:TOP_CLUSTERS]
    kept_rows = {}
    if ranked:
        table = every_article.to_table(
            columns=["article_id", "source", "record", "segment", "title", "n_words"],
            filter=ds.field("article_id").isin(ranked))
        kept_rows = {r["article_id"]: r for r in table.to_pylist()}
    clusters = []
    for kept_id in ranked:
        kept = kept_rows.get(kept_id, {"article_id": kept_id, "source": "?", "record": None, "segment": "?",
                                       "title": None, "n_words": 0})
        dups = sorted(members[kept_id], key=lambda r: (-r["similarity"], r["article_id"]))
        clusters.append(Cluster(dups[0]["cluster_id"], _member(kept), [_member(d) for d in dups]))
    return clusters, len(members)


def _member(row: dict[str, Any]) -> Member:
    return Member(row["article_id"], row["source"], row["record"], row["segment"], row["title"],
                  row["n_words"], row.get("similarity"), row.get("containment"))


def site_of(url: str | None, site: str | None, source: str) -> str:
    """The site a page belongs to: its URL's host, else the site the page names, else its input folder/file."""
    if url and (host := urlsplit(url).hostname):
        return host.removeprefix("www.")
    if site:
        return site
    parent = str(PurePosixPath(source).parent)
    return source if parent == "." else parent


#: The host of an absolute URL, without user info, port or a leading "www." (what site_of takes from urlsplit).
_HOST = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?(?:[Ww]{3}\.)?(?P<host>[^:/?#\[\]]+)"


def _site_column(table: pa.Table) -> pa.Array:
    """:func:`site_of` for every row at once, in Arrow (a run holds millions of articles)."""
    host = pc.struct_field(pc.extract_regex(table.column("url"), _HOST), "host")
    host = pc.if_else(pc.equal(host, ""), None, pc.utf8_lower(host))
    named = pc.if_else(pc.equal(table.column("segment"), "main"), table.column("site"), None)
    folder = pc.struct_field(pc.extract_regex(table.column("source"), r"^(?P<dir>.*)/[^/]*$"), "dir")
    return pc.coalesce(host, named, folder, table.column("source"))


def _sites(articles: pa.Table, duplicates: pa.Table, removed: pa.Table,
           rejected: Callable[[dict[str, str]], Counter[str]]) -> list[SiteFigures]:
    """Per site: pages, articles, copies, rejections, and the share of its text that was chrome.

    A page's site is taken from its main article (URL host, named site), so
    listing entries from many outlets do not scatter one page over sites.
    Everything is grouped in Arrow; Python sees one row per page and site.
    ``rejected`` counts the run's rejections per site, given each page's site.
    """
    columns = ["page_id", "source", "segment", "site", "url", "chars"]
    rows = pa.concat_tables([
        t.select(columns).append_column("kind", pa.array([kind] * t.num_rows, pa.string()))
        for t, kind in ((articles, "articles"), (duplicates, "duplicates"))])
    rows = rows.append_column("page_site", _site_column(rows))
    rows = rows.append_column("rank", pc.not_equal(rows.column("segment"), "main"))
    firsts = rows.sort_by([("rank", "ascending"), ("page_id", "ascending")]).group_by(
        "page_id", use_threads=False).aggregate([("page_site", "first")])
    page_site = dict(zip(firsts.column("page_id").to_pylist(), firsts.column("page_site_first").to_pylist()))
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows.group_by(["page_id", "kind"]).aggregate([("chars", "sum"), ("chars", "count")]).to_pylist():
        site = page_site[row["page_id"]]
        per[site][row["kind"]] += row["chars_count"]
        per[site]["kept_chars"] += row["chars_sum"]
    folder = lru_cache(maxsize=4096)(lambda source: site_of(None, None, source))  # a run reads few files

    def page_site_of(row: dict[str, Any]) -> str:  # (setdefault would find the folder of every row, 8 µs each)
        if row["page_id"] not in page_site:
            page_site[row["page_id"]] = folder(row["source"])
        return page_site[row["page_id"]]

    chrome = _chrome_rows(removed)
    for row in chrome.group_by(["page_id", "source"]).aggregate([("chars", "sum"), ("lines", "sum")]).to_pylist():
        site = page_site_of(row)
        per[site]["removed"] += row["lines_sum"]
        per[site]["removed_chars"] += row["chars_sum"]
    for row in removed.select(["page_id", "source"]).group_by(["page_id", "source"]).aggregate([]).to_pylist():
        page_site_of(row)
    for site, n in rejected(page_site).items():
        per[site]["rejected"] += n
    pages: Counter[str] = Counter(page_site.values())
    figures = [SiteFigures(site, pages[site], c["articles"], c["duplicates"], c["rejected"], c["removed"],
                           c["removed_chars"] / max(1, c["removed_chars"] + c["kept_chars"]))
               for site, c in per.items()]
    return sorted(figures, key=lambda f: (-f.pages - f.rejected, f.site))[:TOP_SITES]


__all__ = ["REJECTIONS", "Cluster", "Member", "RemovedLineCount", "RunReport", "SiteFigures", "is_chrome",
           "load_report", "site_of"]
