"""One page as cleaning saw it: every line, the removed ones struck through and labelled with their rule.

The output keeps removed lines with their line numbers, not the kept ones,
so the page's own lines come from its input, read again through the same
reader (found from the run's INPUT paths and the row's ``source``). Line
numbers are those of :func:`cleaners.text.lines.split_lines`, as in
``removed/``. When the input has moved, or the page was HTML (whose removed
rows point into the markup and into trafilatura's text), the view is built
from the output alone: the articles as kept, then the removed rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow.dataset as ds

from ..io.dataset import current_snapshot, open_dataset
from ..io.readers import InputFile, find_input, read_file
from ..model import Page
from ..reasons import GLUED_PROMO, removal_kind
from ..summary import RunSummary
from ..text.lines import split_lines

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
    out = Path(out)
    wanted = ds.field("page_id").isin(page_ids)
    articles: dict[str, list[dict[str, Any]]] = {p: [] for p in page_ids}
    removed: dict[str, list[dict[str, Any]]] = {p: [] for p in page_ids}
    for name in ("articles", "duplicates"):
        for row in open_dataset(out, name).to_table(filter=wanted).to_pylist():
            articles[row["page_id"]].append(row)
    for row in open_dataset(out, "removed").to_table(filter=wanted).to_pylist():
        removed[row["page_id"]].append(row)
    firsts = {}
    for page_id in page_ids:
        rows = articles[page_id] or removed[page_id]
        if not rows:
            raise KeyError(f"page {page_id} has neither articles nor removed lines in {out}")
        firsts[page_id] = rows[0]
    pages = _input_pages(out, firsts)
    return [_view(page_id, sorted(articles[page_id], key=lambda a: a["position"]), removed[page_id],
                  firsts[page_id], pages.get(page_id)) for page_id in page_ids]


def _view(page_id: str, articles: list[dict[str, Any]], removed: list[dict[str, Any]], first: dict[str, Any],
          page: Page | None) -> PageView:
    view = PageView(page_id, first["source"], first["record"], articles[0]["url"] if articles else None,
                    articles=articles)
    if page is None or page.html is not None:
        view.note = ("the page was HTML: its removed elements are listed by their line in the markup"
                     if page is not None else "the input is no longer where the run read it: output rows only")
        view.lines = [ViewLine(r["line_no"], r["text"], kind_of_reason(r["reason"]), r["reason"])
                      for r in sorted(removed, key=lambda r: (r["line_no"], r["reason"]))]
        return view
    reasons = {r["line_no"]: r for r in removed if r["reason"] != GLUED_PROMO}
    tails = {r["line_no"]: r["text"] for r in removed if r["reason"] == GLUED_PROMO}
    for line in split_lines(page.text):
        row = reasons.get(line.no)
        if not line.text:
            view.lines.append(ViewLine(line.no, "", "blank"))
        elif row is not None:
            view.lines.append(ViewLine(line.no, line.text, kind_of_reason(row["reason"]), row["reason"]))
        elif line.no in tails and line.text.endswith(tails[line.no]):
            kept = line.text[: len(line.text) - len(tails[line.no])].rstrip()
            view.lines.append(ViewLine(line.no, kept, "kept", GLUED_PROMO, tails[line.no]))
        else:
            view.lines.append(ViewLine(line.no, line.text, "kept"))
    return view


def _input_pages(out: Path, firsts: dict[str, dict[str, Any]]) -> dict[str, Page]:
    """The pages as their runs read them, for those whose input is still where the run found it."""
    by_file: dict[tuple[str, str], set[str]] = {}
    for page_id, row in firsts.items():
        by_file.setdefault((row["run_id"], row["source"]), set()).add(page_id)
    found: dict[str, Page] = {}
    for (run_id, source), ids in by_file.items():
        found.update(_input_page(out, run_id, source, ids))
    return found


def _input_page(out: Path, run_id: str, source: str, page_ids: set[str]) -> dict[str, Page]:
    """The pages ``page_ids`` of one input file, read once; stops as soon as all are found."""
    summary_path = out / "runs" / f"{run_id}.json"
    try:
        summary = RunSummary.read(summary_path)
    except (OSError, ValueError):
        summary = RunSummary.read(current_snapshot(out) / "_run.json")
    path = find_input(summary.input_paths or summary.inputs, source)
    found: dict[str, Page] = {}
    if path is None:
        return found
    for item in read_file(InputFile(path, source, path.stat().st_size)):
        if isinstance(item, Page) and item.page_id in page_ids:
            found[item.page_id] = item
            if len(found) == len(page_ids):
                return found
    return found
    return found
