#!/usr/bin/env python3
"""Pages per second of the HTML stage next to plain ``trafilatura.extract``, in one process.

    python benchmarks/html_stage_speed.py ../shared/bench/extraction/html [--repeat 5]

Three ways over the same pages, one page after another, after one warm-up
pass each (imports, lxml and regex caches): ``trafilatura.extract(html,
deduplicate=False)`` as a user would call it (the baseline), our
:func:`cleaners.html.page.clean_html_page` in-process, and the same through
the time-limited worker (:class:`cleaners.html.guard.BoundedExtractor`), as
the pipeline runs it. Rounds alternate between the three so that drifts of
the machine hit all of them; the best round of each is reported with the
ratio to the baseline. Run it under ``taskset -c 0`` for one core. Timing is
printed, never asserted.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura

from cleaners.config import CleanConfig
from cleaners.html.guard import BoundedExtractor
from cleaners.html.page import clean_html_page
from cleaners.model import Page
from cleaners.text.line_model import load_models


def seconds(work: list, fn: Callable) -> float:
    start = time.perf_counter()
    for item in work:
        fn(item)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("html", type=Path, help="folder of *.html / *.html.gz pages")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    paths = sorted(p for p in args.html.rglob("*") if p.name.endswith((".html", ".html.gz", ".htm")))
    docs = []
    for path in paths:
        data = path.read_bytes()
        docs.append((gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", "replace"))
    pages = [Page(p.name, None, "", hashlib.sha256(d.encode()).hexdigest(), html=d) for p, d in zip(paths, docs)]
    config = CleanConfig()
    load_models()

    with BoundedExtractor(config.html_timeout) as guard:
        ways: dict[str, tuple[list, Callable]] = {
            "trafilatura.extract": (docs, lambda h: trafilatura.extract(h, deduplicate=False)),
            "HTML stage, in-process": (pages, lambda p: clean_html_page(p, config)),
            "HTML stage, time-limited worker": (pages, lambda p: guard.clean(p, config)),
        }
        for work, fn in ways.values():  # warm-up
            seconds(work, fn)
        best = dict.fromkeys(ways, float("inf"))
        for _ in range(args.repeat):
            for name, (work, fn) in ways.items():
                best[name] = min(best[name], seconds(work, fn))
    base = len(docs) / best["trafilatura.extract"]
    for name, secs in best.items():
        rate = len(docs) / secs
        print(f"{name:<32} {len(docs)} pages  {rate:7.1f} pages/s  {rate / base:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
