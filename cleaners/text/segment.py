"""Find a page's structure: the entries of feeds and related blocks, and its chrome blocks.

Feed and related-block entries in flattened text share one shape, whatever
the site::

    Site name            (short line)
    5 days ago           (a date line: the anchor)
    - Section            (one or more tag lines)
    - Site name
    Headline             (headline-shaped)
    Body ...             (until the next entry or the end of the block)

An entry needs its date anchor with a site line above and at least one short
tag line below: an article's own head (a byline, a date, the headline) and a
dated timeline of bullet points have the same shape otherwise.
"""
from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from .chrome import BlockHeader
from .dates import DateLine, parse_date_line
from .lines import Line, is_headline, word_count

_TAG = re.compile(r"^[-•·–—]\s*(?P<tag>\S.*)$")

BLOCK_REASONS = {"related": "related_block", "comments": "comments", "listing": "listing_block",
                 "footer": "footer"}


@dataclass(slots=True)
class Entry:
    """One entry of a feed or related block, as line indices into the page."""

    start: int
    title: int
    meta: list[int]
    site: str
    tags: list[str] = field(default_factory=list)
    section: str | None = None
    date: DateLine | None = None
    body: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Layout:
    entries: list[Entry]
    #: kept lines outside any article, with the reason they are chrome
    outside: dict[int, str]
    #: every line that belongs to an entry (its header, title and body)
    entry_lines: frozenset[int] = frozenset()
    #: the block header lines (related, comments, feed, footer)
    header_lines: frozenset[int] = frozenset()
    #: a promo inside the article (its header's block, above the article's resumed paragraphs):
    #: never body, and no gap in the body region either
    promo_lines: frozenset[int] = frozenset()


def segment_page(lines: list[Line], headers: list[BlockHeader], date_order: str = "dmy") -> Layout:
    """Find feed/related entries and name the blocks that lie outside the page's own text.

    Block headers cut the page into sections. The section with the most running
    prose is taken as where the page's own text sits (a header above it, such as
    a "Top Stories" menu, must not count as ending it); kept lines after it are
    the block their nearest header above names (``comments``, ``related_block``,
    ...), lines before it ``outside_article``. The body itself is chosen later by
    :mod:`cleaners.text.body`; these reasons tell it which blocks are closed.
    """
    kept = [i for i, line in enumerate(lines) if line.kept]
    entries = find_entries(lines, kept, headers, date_order)
    in_entries = {i for e in entries for i in (e.start, e.title, *e.meta, *e.body)}
    region_end = entries[0].start if entries else len(lines)

    cuts = [h.index for h in headers if h.index < region_end]
    bounds = [-1, *cuts, region_end]
    sections = [[i for i in kept[bisect_right(kept, lo):bisect_left(kept, hi)] if i not in in_entries]
                for lo, hi in itertools.pairwise(bounds)]
    scores = [sum(lines[i].words for i in sec if lines[i].prose) for sec in sections]
    best = max(range(len(sections)), key=lambda n: (scores[n], -n))
    main = sections[best]

    main_end = main[-1] if main else -1
    kinds = {h.index: BLOCK_REASONS[h.kind] for h in headers}
    outside: dict[int, str] = {}
    block: str | None = None
    # the promo's own lines stay its block's; only the article's resumed paragraphs are taken
    resumed = _resumed(lines, sections, best, headers, cuts) if main else []
    promo = {i for i in range(main_end + 1, resumed[0]) if i not in in_entries} if resumed else set()
    taken = set(main) | in_entries | set(resumed)
    for i, line in enumerate(lines):
        block = kinds.get(i, block)
        if line.kept and i not in taken:
            outside[i] = block if block and i > main_end else "outside_article"
    return Layout(entries, outside, frozenset(in_entries), frozenset(h.index for h in headers), frozenset(promo))


def find_entries(lines: list[Line], kept: list[int], headers: list[BlockHeader],
                 date_order: str) -> list[Entry]:
    """All entries, in page order; a body runs to the next entry or block header."""
    stops = sorted({h.index for h in headers} | {len(lines)})
    entries: list[Entry] = []
    k = 0
    while k < len(kept):
        entry = _entry_at(lines, kept, k, date_order)
        if entry is None:
            k += 1
            continue
        entries.append(entry)
        k = kept.index(entry.title) + 1
    for entry, following in zip(entries, [*entries[1:], None]):
        end = following.start if following else len(lines)
        end = min(end, next(i for i in stops if i > entry.title))
        entry.body = [i for i in kept if entry.title < i < end]
    entries = [e for e in entries if e.body]
    # Feeds repeat their entry shape; a lone look-alike counts only when a tag repeats its
    # site name, as feed cards do ("Reuters / 2 hours ago / - Reuters"), unlike a timeline.
    if len(entries) == 1 and not any(t.casefold() == entries[0].site.casefold() for t in entries[0].tags):
        return []
    return entries


def _entry_at(lines: list[Line], kept: list[int], k: int, date_order: str) -> Entry | None:
    date = parse_date_line(lines[kept[k]].text, date_order)
    if date is None or k == 0 or not _site_like(lines[kept[k - 1]].text):
        return None
    j, tags, meta = k + 1, [], [kept[k - 1], kept[k]]
    while j < len(kept) and (m := _TAG.match(lines[kept[j]].text)) and _label(m["tag"]):
        tags.append(m["tag"].strip())
        meta.append(kept[j])
        j += 1
    # An article's own head (byline, date, headline) and a dated timeline of bullets have
    # the same shape otherwise: feeds name the site above the date and tag below it.
    if not tags or j + 1 >= len(kept) or not is_headline(lines[kept[j]].text):
        return None
    site = lines[kept[k - 1]].text
    section = next((t for t in tags if t.casefold() != site.casefold()), None)
    return Entry(start=meta[0], title=kept[j], meta=meta, site=site, tags=tags, section=section, date=date)


#: The article resumes below a block header when the section ends in at least this many prose
#: lines and words, with nothing but prose after its first one.
_RESUME_LINES, _RESUME_WORDS = 2, 40


def _resumed(lines: list[Line], sections: list[list[int]], main: int, headers: list[BlockHeader],
             cuts: list[int]) -> list[int]:
    """The article's own paragraphs in the section right below the main one, after a promo inside it.

    A "DON'T MISS" or "Related" header inside an article, its two or three headlines, and then
    the article going on: the section below the header ends in a run of running prose. A related
    block's teasers alternate headline and summary, so their prose is never one closing run.
    Only a related or listing header ends a promo; comments and footers close the page.
    """
    if main + 1 >= len(sections) or not sections[main + 1]:
        return []
    header = next((h for h in headers if h.index == cuts[main]), None) if main < len(cuts) else None
    if header is None or header.kind not in ("related", "listing"):
        return []
    section = sections[main + 1]
    run = list(itertools.takewhile(lambda i: lines[i].prose, reversed(section)))[::-1]
    words = sum(lines[i].words for i in run)
    if len(run) < _RESUME_LINES or words < _RESUME_WORDS or len(run) == len(section):
        return []
    return run


def _label(text: str) -> bool:
    """A tag: a name of at most four words, no sentence punctuation."""
    return 1 <= word_count(text) <= 4 and not re.search(r"[.!?,;:]", text)


def _site_like(text: str) -> bool:
    """A publisher name: a few words, no sentence punctuation, not itself a tag or date."""
    return (1 <= word_count(text) <= 5 and len(text) <= 50 and not re.search(r"[.!?:;,]$", text)
            and not _TAG.match(text))
