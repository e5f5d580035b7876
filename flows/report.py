"""``python -m flows.report DIR``: the run report of a cleaned dataset, or one page line by line.

    python -m flows.report data/clean                  # report of the current run -> data/clean/runs/<run>.html
    python -m flows.report data/clean --run RUN_ID     # an earlier run's report
    python -m flows.report data/clean --doc ARTICLE_ID # one page: removed lines struck through, with their rule

Every run already writes its report next to the dataset; this command makes
it again (after the thresholds' documentation changed, or for an older run)
and makes page views for any article, kept or collapsed. Plain library
calls: no Prefect server is started.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cleaners.report.pageview import page_view
from cleaners.report.render import page_html, write_run_report, write_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", metavar="DIR", help="the output directory of python -m flows.clean")
    parser.add_argument("--run", metavar="RUN_ID", help="which run (default: the current one)")
    parser.add_argument("--doc", metavar="ARTICLE_ID",
                        help="show the page this article (or page id) was cut from, line by line")
    parser.add_argument("-o", "--html", metavar="FILE", type=Path,
                        help="where to write the HTML (default: DIR/runs/<run>.html, or DIR/runs/doc-<id>.html)")
    args = parser.parse_args(argv)
    out = Path(args.output)
    if not (out / "manifest.json").exists():
        parser.error(f"{out} holds no cleaned dataset (no manifest.json); run python -m flows.clean first")
    try:
        if args.doc:
            view = page_view(out, args.doc)
            path = args.html or out / "runs" / f"doc-{args.doc}.html"
            write_text(path, page_html(view))
            removed = sum(1 for line in view.lines if line.kind in ("chrome", "repeat"))
            print(f"{view.source}: {len(view.articles)} articles, {removed} lines removed -> {path}")
        else:
            path = write_run_report(out, args.run)
            if args.html:
                write_text(args.html, path.read_text(encoding="utf-8"))
                path = args.html
            print(path)
    except (KeyError, ValueError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
