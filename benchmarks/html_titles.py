"""How often the main article's title matches what the page itself declares (og:title or <title>).

    python benchmarks/html_titles.py OUT HTML_DIR

OUT is a run's output folder, HTML_DIR the pages it was run on (``*.html``
or ``*.html.gz``). A title counts as right when its words and the page's
og:title or <title> (each also without a " | Site name" tail) agree: each
holds at least 80% of the other's words (case and punctuation ignored).
Pages that declare neither are counted apart. Prints the share and the misses.
"""
from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

import pyarrow.dataset as ds
from bs4 import BeautifulSoup

_WORD = re.compile(r"\w+")
_SITE_TAIL = re.compile(r"\s+[|\-–—·:»]\s+[^|\-–—·:»]{2,60}$")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def declared_titles(html: str) -> list[str]:
    soup = BeautifulSoup(html, "lxml")
    found = []
    og = soup.find("meta", attrs={"property": "og:title"}) or soup.find("meta", attrs={"name": "og:title"})
    if og and og.get("content"):
        found.append(og["content"].strip())
    if soup.title and soup.title.string:
        found.append(soup.title.string.strip())
    found += [_SITE_TAIL.sub("", t) for t in found]
    return [t for t in found if t]


def agrees(ours: str, theirs: str) -> bool:
    a, b = words(ours), words(theirs)
    if not a or not b:
        return False
    share_a = sum(w in set(b) for w in a) / len(a)
    share_b = sum(w in set(a) for w in b) / len(b)
    return share_a >= 0.8 and share_b >= 0.8


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("html_dir", type=Path)
    args = parser.parse_args(argv)
    rows = ds.dataset(args.out / "articles", format="parquet", partitioning="hive").to_table(
        columns=["source", "segment", "title"]).to_pylist()
    titles = {r["source"]: r["title"] or "" for r in rows if r["segment"] == "main"}
    right = undeclared = 0
    misses = []
    pages = sorted(p for p in args.html_dir.rglob("*") if p.name.endswith((".html", ".html.gz", ".htm")))
    for path in pages:
        data = path.read_bytes()
        html = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", "replace")
        source = path.relative_to(args.html_dir).as_posix()
        declared = declared_titles(html)
        if not declared:
            undeclared += 1
            continue
        ours = titles.get(source, "")
        if any(agrees(ours, t) for t in declared):
            right += 1
        else:
            misses.append((source, ours, declared[0]))
    judged = len(pages) - undeclared
    print(f"pages {len(pages)}  with a declared title {judged}  title right {right} "
          f"({right / max(judged, 1):.1%})")
    for source, ours, theirs in misses:
        print(f"  miss {source[:20]}  ours={ours[:70]!r}  page={theirs[:70]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
