"""The text stage's output on all 166 dev pages, held to a fingerprint: speed work may not change it.

The pages are the extraction benchmark's dev split in both flattenings
(``text-blocks/`` and ``text/``; scrapinghub/article-extraction-benchmark,
MIT licence), copied into ``tests/data/extraction_pages.json.gz``. Each
page's fingerprint is a hash of everything :func:`clean_page` returns:
every article field and every audit row (text, line, reason, owner), or the
rejection. A change meant to alter the output (a quality change) updates
the fingerprints, and says so in its commit, with::

    python -m tests.text.test_fingerprint --update
"""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import sys
from functools import cache
from pathlib import Path

from cleaners.config import CleanConfig
from cleaners.model import Page, PageResult
from cleaners.text.page import clean_page

DATA = Path(__file__).resolve().parent.parent / "data"
PAGES = DATA / "extraction_pages.json.gz"
FINGERPRINTS = DATA / "text_fingerprints.json"


@cache
def pages() -> dict[str, str]:
    text: dict[str, str] = json.loads(gzip.decompress(PAGES.read_bytes()))
    return text


def fingerprint(result: PageResult) -> str:
    """A hash of every field of every article and audit row, and of the rejection."""
    rows = ([dataclasses.astuple(a) for a in result.articles], [dataclasses.astuple(r) for r in result.removed],
            dataclasses.astuple(result.rejection) if result.rejection else None)
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def clean(name: str) -> PageResult:
    text = pages()[name]
    page = Page(name, None, text, hashlib.sha256(text.encode()).hexdigest())
    return clean_page(page, CleanConfig())


def current() -> dict[str, str]:
    return {name: fingerprint(clean(name)) for name in sorted(pages())}


def test_every_dev_page_cleans_to_its_fingerprint() -> None:
    expected = json.loads(FINGERPRINTS.read_text(encoding="utf-8"))
    assert len(expected) == 166 and sorted(expected) == sorted(pages())
    changed = sorted(name for name, value in current().items() if expected[name] != value)
    assert not changed, (f"{len(changed)} of {len(expected)} dev pages clean differently: {changed[:10]}; if that "
                         f"is meant, run `python -m tests.text.test_fingerprint --update` and say why in the commit")


def test_the_fingerprint_sees_a_one_character_change() -> None:
    result = clean(sorted(pages())[0])
    assert result.articles and result.removed
    before = fingerprint(result)
    result.articles[0].text += "."
    assert fingerprint(result) != before
    result.articles[0].text = result.articles[0].text[:-1]
    assert fingerprint(result) == before
    last = result.removed[-1]
    result.removed[-1] = dataclasses.replace(last, reason="teaser_entry" if last.reason != "teaser_entry" else "x")
    assert fingerprint(result) != before


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    FINGERPRINTS.write_text(json.dumps(current(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {FINGERPRINTS}")
