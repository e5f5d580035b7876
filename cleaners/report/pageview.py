"""One page as cleaning saw it: every line, the removed ones struck through and labelled with their rule.

The output keeps removed lines with their line numbers, not the kept ones,
so the page's own lines come from its input, read again through the same
reader (found from the run's INPUT paths and the row's ``source``) with the
run's own page limit (``max_page_bytes`` from its summary): a record the run
rejected as too large is passed over, never read whole. Line numbers are
those of :func:`cleaners.text.lines.split_lines`, as in ``removed/``. When
the input has moved, or the page was HTML (whose removed rows point into the
markup and into trafilatura's text), the view is built from the output
alone: the articles as kept, then the removed rows.

A view is bounded whatever the page: it shows the page's first
:data:`MAX_VIEW_LINES` lines and at most :data:`MAX_VIEW_CHARS` characters
of them (a longer line is cut), holds only the removed rows of those lines
(read in batches), and says what it left out (:attr:`PageView.note`).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from ..config import CleanConfig
from ..io.dataset import current_state, open_dataset, read_run_summary, state_summary
from ..io.readers import find_input_file, find_records
from ..model import Page
from ..reasons import GLUED_PROMO, removal_kind
from ..store.files import is_remote
from ..summary import RunSummary
from ..text.lines import normalise_line

log = logging.getLogger(__name__)

#: Lines of a page one view shows at most (the first ones), and characters of them.
MAX_VIEW_LINES = 5_000
MAX_VIEW_CHARS = 1_000_000
#: Removed rows a view reads per page at most (the first by line): a line has at most two (its rule's and a
#: glued promo's), and a merged run is one.
MAX_VIEW_ROWS = 2 * MAX_VIEW_LINES

LineKind = Literal["kept", "chrome", "metadata", "repeat", "blank"]


@dataclass(frozen=True, slots=True)
class ViewLine:
    no: int
    text: str
    kind: LineKind
    reason: str | None = None
    #: a promotion cut off the end of this line, and its rule
    tail: str | None = None


@dataclass(slots=True)
class PageView:
    page_id: str
    source: str
    record: str | None
    url: str | None
    lines: list[ViewLine] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)
    #: why the view shows output rows only, when it does
    note: str | None = None


def kind_of_reason(reason: str) -> LineKind:
    """How a page view shows a removed line: the registry's kind (cleaners.reasons.REMOVALS)."""
    return removal_kind(reason)


def page_id_of(out: str | Path, article_or_page_id: str) -> str:
    """The page an article id (kept or collapsed) belongs to; a page id is returned as it is."""
    for name in ("articles", "duplicates"):
        found = open_dataset(out, name).to_table(columns=["page_id"],
                                                 filter=ds.field("article_id") == article_or_page_id)
        if found.num_rows:
            return found.column("page_id")[0].as_py()
    for name in ("removed", "rejected"):
        if open_dataset(out, name).count_rows(filter=ds.field("page_id") == article_or_page_id):
            return article_or_page_id
    raise KeyError(f"no article or page {article_or_page_id!r} in {out}")


def page_view(out: str | Path, article_or_page_id: str) -> PageView:
    """The view of the page an article (or a page id) came from."""
    return page_views(out, [page_id_of(out, article_or_page_id)])[0]


def page_views(out: str | Path, page_ids: list[str]) -> list[PageView]:
    """Views of several pages, with one scan per dataset and one read per input file."""
    if not page_ids:  # a run that removed nothing (or committed nothing) has no pages to show
        return []
    out = out if is_remote(str(out)) else Path(out)
    wanted = ds.field("page_id").isin(page_ids)
    articles: dict[str, list[dict[str, Any]]] = {p: [] for p in page_ids}
    for name in ("articles", "duplicates"):
        for row in open_dataset(out, name).to_table(filter=wanted).to_pylist():
            articles[row["page_id"]].append(row)
    removed, removed_rows = _first_removed(out, page_ids)
    firsts = {}
    for page_id in page_ids:
        rows = articles[page_id] or removed[page_id]
        if not rows:
            raise KeyError(f"page {page_id} has neither articles nor removed lines in {out}")
        firsts[page_id] = rows[0]
    pages = _input_pages(out, firsts)
    return [_view(page_id, sorted(articles[page_id], key=lambda a: a["position"]), removed[page_id],
                  removed_rows[page_id], firsts[page_id], pages.get(page_id)) for page_id in page_ids]


_REMOVED_COLUMNS = ["page_id", "source", "record", "line_no", "text", "reason", "article_id", "run_id"]


def _first_removed(out: Path | str, page_ids: list[str]) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    """Each page's first :data:`MAX_VIEW_ROWS` removed rows (by line), and how many rows it has.

    Read in batches, keeping only the first rows of each page: a page of a
    million removed lines costs one batch, not a million Python rows.
    """
    kept: dict[str, pa.Table | None] = dict.fromkeys(page_ids)
    counts = dict.fromkeys(page_ids, 0)
    scanner = open_dataset(out, "removed").scanner(columns=_REMOVED_COLUMNS, filter=ds.field("page_id").isin(page_ids),
                                                   use_threads=False)  # in step: threads read ahead unbounded
    for batch in scanner.to_batches():
        if batch.num_rows == 0:
            continue
        table = pa.Table.from_batches([batch])
        for page_id in page_ids:
            mine = table.filter(pc.equal(table.column("page_id"), page_id))
            if mine.num_rows == 0:
                continue
            counts[page_id] += mine.num_rows
            before = kept[page_id]
            both = mine if before is None else pa.concat_tables([before, mine])
            kept[page_id] = both.sort_by([("line_no", "ascending"), ("reason", "ascending")]).slice(0, MAX_VIEW_ROWS)
    return ({p: (t.to_pylist() if t is not None else []) for p, t in kept.items()}, counts)


def _view(page_id: str, articles: list[dict[str, Any]], removed: list[dict[str, Any]], removed_rows: int,
          first: dict[str, Any], page: Page | None) -> PageView:
    view = PageView(page_id, first["source"], first["record"], articles[0]["url"] if articles else None,
                    articles=articles)
    budget = _Budget(MAX_VIEW_LINES, MAX_VIEW_CHARS)
    notes = []
    if page is None or page.html is not None:
        notes.append("the page was HTML: its removed elements are listed by their line in the markup"
                     if page is not None else "the input is no longer where the run read it: output rows only")
        for r in sorted(removed, key=lambda r: (r["line_no"], r["reason"])):
            for no, text in _row_lines(r):
                if not text:
                    continue
                if not budget.take(text):
                    break
                view.lines.append(ViewLine(no, budget.cut(text), kind_of_reason(r["reason"]), r["reason"]))
            if budget.full:
                break
        if budget.full or removed_rows > len(removed):
            notes.append(f"only the first {len(view.lines):,} removed lines are shown ({removed_rows:,} rows in "
                         "removed/)")
        view.note = "; ".join(notes)
        return view
    reasons: dict[int, dict[str, Any]] = {}
    tails: dict[int, str] = {}
    for r in removed:
        if r["reason"] == GLUED_PROMO:
            tails.update((no, text) for no, text in _row_lines(r) if text)
        else:
            reasons.update((no, r) for no, text in _row_lines(r) if text and no < MAX_VIEW_LINES)
    total = 0
    for no, text in iter_lines(page.text):
        total = no + 1
        if budget.full:
            continue  # counted, not held
        if not budget.take(text):
            continue
        row = reasons.get(no)
        if not text:
            view.lines.append(ViewLine(no, "", "blank"))
        elif row is not None:
            view.lines.append(ViewLine(no, budget.cut(text), kind_of_reason(row["reason"]), row["reason"]))
        elif no in tails and text.endswith(tails[no]):
            kept = text[: len(text) - len(tails[no])].rstrip()
            view.lines.append(ViewLine(no, budget.cut(kept), "kept", GLUED_PROMO, budget.cut(tails[no])))
        else:
            view.lines.append(ViewLine(no, budget.cut(text), "kept"))
    if budget.full:
        view.note = (f"only the first {len(view.lines):,} of the page's {total:,} lines are shown (a view shows "
                     f"at most {MAX_VIEW_LINES:,} lines and {MAX_VIEW_CHARS:,} characters)")
    return view


@dataclass(slots=True)
class _Budget:
    """What a view may still hold: lines and characters (a line longer than what is left is cut)."""

    lines: int
    chars: int
    full: bool = False
    #: characters of the line last taken that fit
    _last: int = 0

    def take(self, text: str) -> bool:
        if self.lines <= 0 or self.chars <= 0:
            self.full = True
            return False
        self.lines -= 1
        self._last = min(len(text), self.chars)
        self.chars -= self._last
        return True

    def cut(self, text: str) -> str:
        if len(text) <= self._last:
            return text
        self.full = True
        return text[: self._last] + f" [... {len(text) - self._last:,} more characters]"


def _row_lines(row: dict[str, Any]) -> Iterator[tuple[int, str]]:
    """(line, text) of each line a removed row stands for: one, or a merged run's (blank ones as "")."""
    text = row["text"]
    if "\n" not in text:
        yield row["line_no"], text
        return
    for i, (_, line) in enumerate(iter_lines(text)):
        if i >= MAX_VIEW_LINES:
            return
        yield row["line_no"] + i, line


#: What :meth:`str.splitlines` ends a line at.
_LINE_END = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def iter_lines(text: str) -> Iterator[tuple[int, str]]:
    """(number, line) as :func:`cleaners.text.lines.split_lines` gives them, one at a time.

    The same lines as ``text.splitlines()`` (white space made single spaces,
    stripped), without building the list: a 5 MB page of millions of short
    lines is walked, not held.
    """
    pos = no = 0
    for match in _LINE_END.finditer(text):
        yield no, normalise_line(text[pos:match.start()])
        pos, no = match.end(), no + 1
    if pos < len(text):
        yield no, normalise_line(text[pos:])


def _input_pages(out: Path | str, firsts: dict[str, dict[str, Any]]) -> dict[str, Page]:
    """The pages as their runs read them, for those whose input is still where the run found it."""
    by_file: dict[tuple[str, str], dict[str, str]] = {}
    for page_id, row in firsts.items():
        by_file.setdefault((row["run_id"], row["source"]), {})[page_id] = row["record"]
    found: dict[str, Page] = {}
    for (run_id, source), ids in by_file.items():
        found.update(_input_page(out, run_id, source, set(ids), set(ids.values())))
    return found


def _input_page(out: Path | str, run_id: str, source: str, page_ids: set[str], records: set[str]) -> dict[str, Page]:
    """The pages ``page_ids`` (records ``records``) of one input file, read once with the run's page limit;
    stops when all are found."""
    try:
        summary = read_run_summary(out, run_id)
    except (OSError, ValueError):
        summary = None
    if summary is None:
        summary = RunSummary.model_validate(state_summary(out, current_state(out)))
    file = find_input_file(summary.input_paths or summary.inputs, source)
    found: dict[str, Page] = {}
    if file is None:
        return found
    try:
        for item in find_records(file, records, run_limit(summary)):
            if isinstance(item, Page) and item.page_id in page_ids:
                found[item.page_id] = item
                if len(found) == len(page_ids):
                    return found
    except Exception as exc:  # noqa: BLE001 (the file changed or broke since the run: its pages are shown without it)
        log.warning("the report shows pages of %s without their input text: %s: %s", source, type(exc).__name__, exc)
    return found


def run_limit(summary: RunSummary) -> int:
    """The page limit the run read its inputs with (its summary's ``max_page_bytes``; else the default)."""
    value = (summary.parameters or {}).get("max_page_bytes")
    return value if isinstance(value, int) and value > 0 else CleanConfig().max_page_bytes
