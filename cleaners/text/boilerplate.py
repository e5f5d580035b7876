"""Lines a site repeats on many of its pages: navigation, footers, newsletter boxes.

A site's template wraps every article in the same menus and footers, so a
short line that recurs on most pages of one site is chrome, whatever its
wording and language. Counting is per site: the URL's host when the record
has one, else the folder the input file sits in (a crawl usually stores one
site per folder). Only short lines qualify (``max_words``): a syndicated
story repeated across pages is prose and never template, and a batch that is
mostly copies of one story must not lose its paragraphs.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from ..model import Page
from .rules import fold
from .token_scan import token_counts

SITE_BOILERPLATE = "site_boilerplate"


def site_key(page: Page) -> str:
    """The site a page belongs to: URL host, else the input's folder."""
    if page.url:
        host = _host(page.url)
        if host:
            return host.removeprefix("www.")
    return str(PurePosixPath(page.source).parent)


@lru_cache(maxsize=8192)
def _host(url: str) -> str | None:
    """Remembered: a page's site is asked for two or three times (its chunk's site lines, then its own),
    9 µs each, and a chunk holds more pages than ``urlsplit``'s own cache."""
    return urlsplit(url).hostname


def repeated_lines(pages: Iterable[Page], min_pages: int, min_share: float,
                   max_words: int) -> dict[str, frozenset[str]]:
    """Per site, the folded short lines found on at least ``min_share`` of its pages (and ``min_pages``)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    sizes: Counter[str] = Counter()
    for page in pages:
        key = site_key(page)
        sizes[key] += 1
        lines = [line for line in page.text.splitlines() if line and not line.isspace()]
        if lines:  # the page's word counts in one compiled pass, not a regular expression a line
            counts[key].update({fold(line) for line, words in zip(lines, token_counts(lines).tolist())
                                if words <= max_words})
    found: dict[str, frozenset[str]] = {}
    for key, counter in counts.items():
        if sizes[key] < min_pages:
            continue
        need = max(min_pages, min_share * sizes[key])
        found[key] = frozenset(line for line, n in counter.items() if n >= need)
    return found
