#!/usr/bin/env python3
"""Pages per second of the text stage, against trafilatura on the same pages' HTML, in one process.

    python benchmarks/text_stage_speed.py ../shared/bench/extraction [--repeat 3]

The text stage is :func:`cleaners.text.page.clean_page` (rules, structure,
line model, body region, repeats) on the flattened pages (``text-blocks/`` and
``text/``); the baseline is ``trafilatura.extract`` on ``html/*.html.gz``.
Both run on one core, one page after another; the best of ``--repeat`` runs
is reported. Timing is printed, never asserted.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.model import Page  # noqa: E402
from cleaners.text.line_model import load_models  # noqa: E402
from cleaners.text.page import clean_page, forget_lines  # noqa: E402


def best_rate(work: list, fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        forget_lines()  # no run may profit from the memos of the one before
        start = time.perf_counter()
        for item in work:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return len(work) / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", type=Path, help="extraction bench folder (text-blocks/, text/, html/)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = CleanConfig()
    load_models()  # load once, outside the timing, as a run does

    rates = {}
    for flat in ("text-blocks", "text"):
        pages = []
        for path in sorted((args.bench / flat).glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            pages.append(Page(path.name, None, text, hashlib.sha256(text.encode()).hexdigest()))
        rates[flat] = best_rate(pages, lambda p: clean_page(p, config), args.repeat)
        print(f"text stage, {flat:<11} {len(pages)} pages  {rates[flat]:8.1f} pages/s")

    html_dir = args.bench / "html"
    if html_dir.is_dir():
        import trafilatura

        docs = [gzip.decompress(p.read_bytes()).decode("utf-8", "replace") for p in sorted(html_dir.glob("*.html.gz"))]
        base = best_rate(docs, lambda h: trafilatura.extract(h, deduplicate=False), args.repeat)
        print(f"trafilatura.extract, html {len(docs)} pages  {base:8.1f} pages/s")
        for flat, rate in rates.items():
            print(f"ratio text stage ({flat}) / trafilatura: {rate / base:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
