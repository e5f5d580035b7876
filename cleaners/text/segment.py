"""Find a page's structure: its own article, and the entries of feeds and related blocks.

Feed and related-block entries in flattened text share one shape, whatever
the site::

    Site name            (short line, optional)
    5 days ago           (a date line: the anchor)
    - Section            (zero or more tag lines)
    - Site name
    Headline             (headline-shaped)
    Body ...             (until the next entry or the end of the block)

An entry needs its date anchor plus at least one tag line: an article's own
head (a byline, a date, the headline) has the same shape otherwise, and a
dated heading inside a live blog is not an entry either.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .chrome import BlockHeader
from .dates import DateLine, parse_date_line
from .lines import Line, is_headline, is_prose, word_count

_TAG = re.compile(r"^[-•·–—]\s*(?P<tag>\S.*)$")

BLOCK_REASONS = {"related": "related_block", "comments": "comments", "listing": "listing_block"}


@dataclass(slots=True)
class Entry:
    """One entry of a feed or related block, as line indices into the page."""

    start: int
    title: int
    meta: list[int]
    site: str | None = None
    section: str | None = None
    date: DateLine | None = None
    body: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Layout:
    main: list[int]
    entries: list[Entry]
    #: kept lines outside any article, with the reason they are chrome
    outside: dict[int, str]
    block_kind: str | None


def segment_page(lines: list[Line], headers: list[BlockHeader], date_order: str = "dmy") -> Layout:
    """Split the page into its own article, feed/related entries, and chrome blocks.

    Block headers cut the page into sections; the page's own article is the
    section with the most running prose (a header above the body, such as a
    "Top Stories" menu, must not end the article before it starts). Lines
    after that section are the block their nearest header names.
    """
    kept = [i for i, line in enumerate(lines) if line.kept]
    entries = find_entries(lines, kept, date_order)
    in_entries = {i for e in entries for i in (e.start, e.title, *e.meta, *e.body)}
    region_end = entries[0].start if entries else len(lines)

    cuts = [h for h in headers if h.index < region_end]
    bounds = [-1] + [h.index for h in cuts] + [region_end]
    sections = [[i for i in kept if lo < i < hi and i not in in_entries] for lo, hi in zip(bounds, bounds[1:])]
    scores = [sum(lines[i].words for i in sec if is_prose(lines[i].text)) for sec in sections]
    best = max(range(len(sections)), key=lambda n: (scores[n], -n))
    main = sections[best]

    outside: dict[int, str] = {}
    block_kind = cuts[best].kind if best < len(cuts) else ("listing" if entries else None)
    for n, section in enumerate(sections):
        if n == best:
            continue
        reason = "outside_article" if n < best else BLOCK_REASONS[cuts[n - 1].kind]
        outside.update(dict.fromkeys(section, reason))
    after = BLOCK_REASONS.get(block_kind or "", "outside_article")
    outside.update({i: after for i in kept if i >= region_end and i not in in_entries})
    return Layout(main, entries, outside, block_kind)


def find_entries(lines: list[Line], kept: list[int], date_order: str) -> list[Entry]:
    """All entries, in page order; each body runs to the next entry's first line."""
    entries: list[Entry] = []
    k = 0
    while k < len(kept):
        entry = _entry_at(lines, kept, k, date_order)
        if entry is None:
            k += 1
            continue
        if entries:
            prev = entries[-1]
            prev.body = [i for i in kept if prev.title < i < entry.start]
        entries.append(entry)
        k = kept.index(entry.title) + 1
    if entries:
        last = entries[-1]
        last.body = [i for i in kept if i > last.title]
    return [e for e in entries if e.body]


def _entry_at(lines: list[Line], kept: list[int], k: int, date_order: str) -> Entry | None:
    date = parse_date_line(lines[kept[k]].text, date_order)
    if date is None:
        return None
    site_index = kept[k - 1] if k >= 1 and _site_like(lines[kept[k - 1]].text) else None
    j, tags, meta = k + 1, [], [kept[k]]
    while j < len(kept) and (m := _TAG.match(lines[kept[j]].text)) and word_count(m["tag"]) <= 6:
        tags.append(m["tag"].strip())
        meta.append(kept[j])
        j += 1
    if not tags:  # a byline and date above a headline look the same; feeds tag their entries
        return None
    if j + 1 >= len(kept) or not is_headline(lines[kept[j]].text):
        return None
    site = lines[site_index].text if site_index is not None else None
    if site_index is not None:
        meta.insert(0, site_index)
    section = next((t for t in tags if site is None or t.casefold() != site.casefold()), None)
    return Entry(start=meta[0], title=kept[j], meta=meta, site=site, section=section, date=date)


def _site_like(text: str) -> bool:
    """A publisher name: a few words, no sentence punctuation, not itself a tag or date."""
    return (1 <= word_count(text) <= 5 and len(text) <= 50 and not re.search(r"[.!?:;,]$", text)
            and not _TAG.match(text))
