"""The report as one self-contained HTML file (inline CSS and SVG, no script, no network), and as Markdown.

jinja2 (already a Prefect dependency) with autoescaping: page text is
scraped, hostile input, and must never become markup in the report, nor
reorder it: every value passes :func:`cleaners.report.bidi.neutral` on its
way in (the environment's ``finalize``), so a right-to-left override in a
title cannot reverse the text after it.
"""
from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ..config import CleanConfig
from ..io.atomic import temp_path
from ..reasons import REJECTIONS, kind_of
from ..store import files as store_files
from ..store.files import is_remote
from ..summary import RunSummary
from .bidi import neutral, neutral_values
from .data import RunReport, load_report
from .pageview import PageView, page_views
from .plots import chrome_share_plot, similarity_plot

#: Pages shown line by line in a run's report: those with the most removed lines.
REPORT_PAGES = 8

_TEMPLATES = files("cleaners.report") / "templates"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=_finalize)
    env.globals.update(kind=kind_of, meaning=lambda r: REJECTIONS[r].meaning if r in REJECTIONS else "",
                       css=(_TEMPLATES / "base.css").read_text(encoding="utf-8"))
    return env


def _finalize(value: Any) -> Any:
    """Every value a template prints, before it is escaped: bidirectional controls made visible.

    Markup is ours (the plots, whose labels are neutralised where they are
    drawn, and a page view rendered by this same environment), left alone.
    """
    return neutral(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def report_html(report: RunReport, pages: list[PageView]) -> str:
    config = CleanConfig(**report.summary.parameters)
    return _environment().get_template("report.html.j2").render(
        r=report, s=report.summary, c=report.counts, pages=pages, nothing_new=report.summary.nothing_new_line(),
        similarity_svg=similarity_plot(report.similarities, report.containments, config),
        chrome_svg=chrome_share_plot(report.sites))


def page_html(view: PageView) -> str:
    """One page's view as a whole HTML document (``python -m flows.report DIR --doc ID``)."""
    env = _environment()
    body = env.get_template("page.html.j2").render(v=view)
    return env.from_string(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{{ v.source }}</title>"
        "<style>{{ css }}</style></head><body><main><h1>What cleaning did to one page</h1>"
        "<p class=\"meta\">page <code>{{ v.page_id }}</code>. <del class=\"removed\">Struck-through</del> lines "
        "were removed, labelled with their rule; green lines moved into a column.</p>{{ body|safe }}"
        "</main></body></html>").render(v=view, body=body)


def write_run_report(out: str | Path, run_id: str | None = None, pages: int = REPORT_PAGES,
                     summary: RunSummary | None = None) -> Path | str:
    """Write ``DIR/runs/<run_id>.html`` (atomically) and return its path."""
    report = load_report(out, run_id, summary)
    views = page_views(out, [page_id for page_id, _ in report.pages_by_removed[:pages]])
    if is_remote(str(out)):  # an output at a URL: one PUT, whole or not at all
        where = store_files.join(str(out), "runs", f"{report.run_id}.html")
        store_files.write_bytes(where, report_html(report, views).encode("utf-8"))
        return where
    path = Path(out) / "runs" / f"{report.run_id}.html"
    write_text(path, report_html(report, views))
    return path


def write_text(path: Path, text: str) -> None:
    tmp = temp_path(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def markdown_summary(report: RunReport) -> str:
    """The run in a few lines of Markdown (the Prefect artifact ``newsclean-run-summary``)."""
    c, s = report.counts, report.summary
    lines = [f"### Run `{report.run_id}`", ""]
    if not s.outcome.ok:
        lines += [f"**Failed:** {s.outcome.cause}", ""]
    elif not s.committed:
        lines += [f"{s.nothing_new_line()}. Nothing was committed.", ""]
    lines += [(f"{c.input_files} files, {c.records} records, {c.pages} pages -> "
              f"**{c.articles_kept} articles kept**, {c.duplicates} duplicates collapsed, "
              f"{c.rejected} rejected; {c.chrome_lines_removed} chrome lines removed "
              f"({s.wall_seconds:.1f} s). The dataset holds {s.dataset.articles} articles."), "",
              "| reason | kind | records |", "| --- | --- | ---: |"]
    lines += [f"| `{r}` | {kind_of(r)} | {n} |" for r, n in s.rejected_by_reason.items()]
    if report.clusters:
        lines += ["", "Largest clusters:", ""]
        lines += [f"- {cl.kept.title or cl.kept.article_id} ({cl.kept.source}): {len(cl.duplicates)} copies, "
                  f"similarity {min(m.similarity or 0 for m in cl.duplicates):.2f}-"
                  f"{max(m.similarity or 0 for m in cl.duplicates):.2f}" for cl in report.clusters[:5]]
    lines += ["", f"Report: `{report.out}/runs/{report.run_id}.html`"]
    return neutral("\n".join(lines))


def site_rows(report: RunReport) -> list[dict[str, Any]]:
    """Per-site figures as table rows (the Prefect artifact ``newsclean-sites``)."""
    return [neutral_values({"site": x.site, "pages": x.pages, "articles": x.articles, "duplicates": x.duplicates,
                            "rejected": x.rejected, "chrome_lines": x.removed_lines,
                            "chrome_share": round(x.chrome_share, 4)}) for x in report.sites]


def cluster_rows(report: RunReport) -> list[dict[str, Any]]:
    """The largest clusters member by member (the Prefect artifact ``newsclean-clusters``)."""
    rows = []
    for cl in report.clusters:
        for m, role in [(cl.kept, "kept"), *((d, "copy") for d in cl.duplicates)]:
            rows.append(neutral_values({"cluster_id": cl.cluster_id, "role": role, "article_id": m.article_id,
                                        "title": m.title, "source": m.source, "record": m.record,
                                        "segment": m.segment, "similarity": m.similarity,
                                        "containment": m.containment}))
    return rows


__all__ = ["cluster_rows", "load_report", "markdown_summary", "page_html", "report_html", "site_rows", "write_run_report"]
