"""``python -m flows.report DIR``: the run report of a cleaned dataset, or one page line by line.

    python -m flows.report data/clean                  # report of the current run -> data/clean/runs/<run>.html
    python -m flows.report data/clean --run RUN_ID     # an earlier run's report
    python -m flows.report data/clean --doc ARTICLE_ID # one page: removed lines struck through, with their rule
    python -m flows.report /mnt/ro/clean -o report.html  # a dataset you may only read: the HTML goes elsewhere

Every run already writes its report next to the dataset; this command makes
it again (after the thresholds' documentation changed, or for an older run)
and makes page views for any article, kept or collapsed. Plain library
calls: no Prefect server is started. With ``-o FILE`` nothing is written
into DIR, so a read-only dataset can be reported on.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from cleaners.report.data import load_report
from cleaners.report.pageview import page_view, page_views
from cleaners.report.render import REPORT_PAGES, page_html, report_html
from cleaners.store.files import join


class ReportNotWritten(Exception):
    """The HTML was made but could not be written where asked; the message says where to write it instead."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", metavar="DIR", help="the output directory of python -m flows.clean")
    parser.add_argument("--run", metavar="RUN_ID", help="which run (default: the current one)")
    parser.add_argument("--doc", metavar="ARTICLE_ID",
                        help="show the page this article (or page id) was cut from, line by line")
    parser.add_argument("-o", "--html", metavar="FILE", type=Path,
                        help="where to write the HTML (default: DIR/runs/<run>.html, or DIR/runs/doc-<id>.html); "
                        "with it nothing is written into DIR")
    args = parser.parse_args(argv)
    from cleaners.io.remote import url_problem
    from cleaners.store.files import is_remote
    from cleaners.store.output import is_table_output

    if is_remote(args.output) and (problem := url_problem(args.output)) is not None:
        parser.error(problem)  # never repeated in any later message
    out: Any = args.output if is_remote(args.output) else Path(args.output)
    if not is_table_output(args.output) and not (out / "manifest.json").exists():
        parser.error(f"{out} holds no cleaned dataset (no manifest.json); run python -m flows.clean first")
    try:
        if args.doc:
            view = page_view(out, args.doc)
            path = args.html or join(out, "runs", f"doc-{args.doc}.html")
            write_html(path, page_html(view), chosen=args.html is not None)
            removed = sum(1 for line in view.lines if line.kind in ("chrome", "repeat"))
            print(f"{view.source}: {len(view.articles)} articles, {removed} lines removed -> {path}")
        else:
            report = load_report(out, args.run)
            views = page_views(out, [page_id for page_id, _ in report.pages_by_removed[:REPORT_PAGES]])
            path = args.html or join(out, "runs", f"{report.run_id}.html")
            write_html(path, report_html(report, views), chosen=args.html is not None)
            print(path)
    except (KeyError, ValueError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    except ReportNotWritten as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # reading the dataset: permissions, a file gone
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: cannot read the dataset in {out}: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    return 0


def write_html(path: Path | str, html: str, chosen: bool) -> None:
    """Write ``path`` through a temporary name beside it; :class:`ReportNotWritten` saying what to do if not.

    ``chosen``: the path was given with ``-o`` (then the advice is another
    file; otherwise it is ``-o`` itself, since DIR may be read-only). A URL
    (the default beside an output at a URL) is written in one PUT.
    """
    if isinstance(path, str):
        from cleaners.store.files import write_bytes

        try:
            write_bytes(path, html.encode("utf-8"))
        except Exception as exc:
            raise ReportNotWritten(f"the report could not be written to {path} ({type(exc).__name__}: {exc}); "
                                   "write it elsewhere with -o FILE (e.g. -o report.html)") from exc
        return
    tmp = path.with_name(f".{path.name}.tmp")
    made = False
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            made = True
            fh.write(html)
        os.replace(tmp, path)
    except OSError as exc:
        if made:
            with contextlib.suppress(OSError):
                tmp.unlink()
        advice = ("choose another FILE" if chosen
                  else "write it elsewhere with -o FILE (e.g. -o report.html)")
        raise ReportNotWritten(f"the report could not be written to {path} ({exc.strerror or exc}); "
                               f"{advice}") from exc


if __name__ == "__main__":
    sys.exit(main())
