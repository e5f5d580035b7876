"""``python -m cleaners.explain FILE``: show what cleaning keeps and removes in one page, and why.

For tuning rules on a page before (or instead of) a run: each line is printed
with its reason code, kept lines unmarked. After a run, the same information
for every page is in the ``removed`` dataset. A page over ``--max-page-bytes``
(the run's option, with the same default) is not read, only named
(``too_large``), as a run would reject it: a small ``.txt.gz`` can unpack to
gigabytes.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from .config import CleanConfig
from .io.readers import discover, read_file
from .model import Page
from .text.lines import normalise_line
from .text.page import GLUED_PROMO, clean_page, too_many_lines


def render(page: Page, config: CleanConfig, width: int = 110) -> str:
    if (refused := too_many_lines(page, config)) is not None:  # as a run would: not held line by line
        return f"rejected: {refused.reason}: {refused.detail}"
    result = clean_page(page, config)
    page_lines = page.text.splitlines()
    reasons: dict[int, str] = {}
    tails: dict[int, str] = {}
    for removed in result.removed:
        # a merged run (RemovedLine.lines > 1) holds its lines joined by "\n", from line_no on
        for no, text in enumerate(removed.text.split("\n") if removed.lines > 1 else [removed.text],
                                  removed.line_no):
            if not text:
                continue
            if removed.reason == GLUED_PROMO and text != page_lines[no].strip():
                tails[no] = text
            else:
                reasons[no] = removed.reason
    out = []
    for no, text in enumerate(page_lines):
        text = normalise_line(text)
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
    default = CleanConfig.model_fields["max_page_bytes"].default
    parser.add_argument("--max-page-bytes", type=int, default=default, metavar="N",
                        help="a larger page is not read (too_large), as in a run (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        config = CleanConfig(max_page_bytes=args.max_page_bytes)
    except ValidationError as exc:
        parser.error(f"--max-page-bytes: {exc.errors()[0]['msg']}")
    files, rejected = discover([args.file])
    for rejection in rejected:
        print(f"{rejection.source}: {rejection.reason}: {rejection.detail}", file=sys.stderr)
    for file in files:
        for item in read_file(file, config.max_page_bytes):
            if isinstance(item, Page):
                print(render(item, config))
            else:
                print(f"{item.source}: {item.reason}: {item.detail}", file=sys.stderr)
    return 0 if files else 1


if __name__ == "__main__":
    sys.exit(main())
