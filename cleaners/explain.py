"""``python -m cleaners.explain FILE``: show what cleaning keeps and removes in one page, and why.

For tuning rules on a page before (or instead of) a run: each line is printed
with its reason code, kept lines unmarked. After a run, the same information
for every page is in the ``removed`` dataset.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import CleanConfig
from .io.readers import discover, read_file
from .model import Page
from .text.page import GLUED_PROMO, clean_page


def render(page: Page, config: CleanConfig, width: int = 110) -> str:
    result = clean_page(page, config)
    reasons: dict[int, str] = {}
    tails: dict[int, str] = {}
    for removed in result.removed:
        if removed.reason == GLUED_PROMO and removed.text != page.text.splitlines()[removed.line_no].strip():
            tails[removed.line_no] = removed.text
        else:
            reasons[removed.line_no] = removed.reason
    out = []
    for no, text in enumerate(page.text.splitlines()):
        text = text.strip()
        if not text:
            continue
        mark = f"- {reasons[no]}" if no in reasons else ""
        out.append(f"{no:4d} {mark:<20} {text[:width]}")
        if no in tails:
            out.append(f"{'':4} {'- ' + GLUED_PROMO:<20}   ...{tails[no][:width - 3]}")
    for article in result.articles:
        out.append(f"\n[{article.segment} {article.position}] {article.title!r}  {article.n_words} words"
                   + (f"  site={article.site!r}" if article.site else "")
                   + (f"  author={article.author!r}" if article.author else "")
                   + (f"  published={article.published_raw!r}" if article.published_raw else ""))
    if result.rejection:
        out.append(f"\nrejected: {result.rejection.reason}: {result.rejection.detail}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cleaners.explain", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path, help="one input file (.txt or .txt.gz)")
    args = parser.parse_args(argv)
    files, rejected = discover([args.file])
    for rejection in rejected:
        print(f"{rejection.source}: {rejection.reason}: {rejection.detail}", file=sys.stderr)
    for file in files:
        for item in read_file(file):
            if isinstance(item, Page):
                print(render(item, CleanConfig()))
            else:
                print(f"{item.source}: {item.reason}: {item.detail}", file=sys.stderr)
    return 0 if files else 1


if __name__ == "__main__":
    sys.exit(main())
