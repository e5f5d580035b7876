"""The text stage for one page: chrome, structure, metadata, repeats, then articles.

Order matters and is deliberate: line chrome first (so block headers are
known), then structure (which lines belong to which article), then per
article the head (title, byline, date), glued promos and repeats. Every line
that leaves the text keeps its reason and becomes an audit row.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from ..config import CleanConfig
from ..model import Article, Page, PageResult, Rejection, RemovedLine, Segment
from .byline import parse_byline
from .chrome import mark_chrome, split_glued_promo
from .dates import parse_date_line
from .lines import Line, is_headline, is_prose, split_lines, tokens, word_count
from .repeats import REPEATED_LINE, REPEATED_PARAGRAPH, collapse_repeats
from .segment import Entry, segment_page

#: Reasons for lines that moved into metadata columns rather than being dropped.
METADATA_REASONS = frozenset({"title", "byline", "dateline", "entry_meta"})
#: Reasons for text that was a repeat of text kept elsewhere in the article.
REPEAT_REASONS = frozenset({REPEATED_LINE, REPEATED_PARAGRAPH, "title_repeat"})
GLUED_PROMO = "glued_promo"


@dataclass(slots=True)
class _Draft:
    lines: list[int]
    title: str | None = None
    author: str | None = None
    published_raw: str | None = None
    published: date | None = None


def clean_page(page: Page, config: CleanConfig) -> PageResult:
    """Turn one flattened page into articles, audit rows, or one rejection."""
    lines = split_lines(page.text)
    headers = mark_chrome(lines)
    layout = segment_page(lines, headers, config.date_order)
    for i, reason in layout.outside.items():
        lines[i].reason = reason

    result = PageResult()
    promo_tails: dict[int, str] = {}
    owner: dict[int, str] = {}

    main = _Draft(layout.main)
    _read_head(lines, main, config)
    if page.title and not main.title:
        main.title = page.title
    main_text = _body(lines, main, config, promo_tails)
    if word_count(main_text) >= config.min_article_words:
        art = _article(page, "main", 0, main, main_text)
        result.articles.append(art)
        owner.update(dict.fromkeys(main.lines, art.article_id))
    else:  # too little left for an article: its head and body are page chrome after all
        for i in main.lines:
            if lines[i].text and (lines[i].kept or lines[i].reason in METADATA_REASONS | REPEAT_REASONS):
                lines[i].reason = "outside_article"

    # Entries after a page's own article were salvaged from its related block; without one, two
    # or more entries make a feed page, and a lone entry is the page's own article with a tagged head.
    segment: Segment = "related" if result.articles else "listing" if len(layout.entries) > 1 else "main"
    for entry in layout.entries:
        draft = _entry_draft(lines, entry)
        text = _body(lines, draft, config, promo_tails)
        if word_count(text) < config.related_min_words:
            for i in [entry.title, *entry.meta, *entry.body]:
                if lines[i].text and lines[i].reason in (None, "title", "entry_meta"):
                    lines[i].reason = "teaser_entry"
            continue
        art = _article(page, segment, len(result.articles), draft, text)
        art.site, art.section = entry.site, entry.section
        result.articles.append(art)
        owner.update(dict.fromkeys([entry.title, *entry.meta, *entry.body], art.article_id))

    for line in lines:
        if line.reason and line.text:
            result.removed.append(_removed(page, line.no, line.text, line.reason, owner.get(line.no)))
        if line.no in promo_tails:
            result.removed.append(_removed(page, line.no, promo_tails[line.no], GLUED_PROMO, owner.get(line.no)))

    if not result.articles:
        reasons = Counter(line.reason for line in lines if line.text and line.reason)
        nonblank = sum(1 for line in lines if line.text)
        top = ", ".join(f"{r} x{n}" for r, n in reasons.most_common(4)) or "none"
        result.rejection = Rejection(
            page.source, page.record, "empty_after_cleaning",
            f"{nonblank} non-blank lines, no article of at least {config.min_article_words} words "
            f"left after cleaning (removed: {top})",
            page.page_id,
        )
    return result


def _read_head(lines: list[Line], draft: _Draft, config: CleanConfig) -> None:
    """Take title, byline and date lines off the top of an article, up to its first prose line."""
    kept = [i for i in draft.lines if lines[i].kept]
    for pos, i in enumerate(kept):
        line = lines[i]
        if is_prose(line.text):
            return
        if (author := parse_byline(line.text)) and not draft.author:
            line.reason, draft.author = "byline", author
        elif (dated := parse_date_line(line.text, config.date_order)) and not draft.published_raw:
            line.reason, draft.published_raw, draft.published = "dateline", dated.raw, dated.value
        elif draft.title is None and pos + 1 < len(kept) and _label_above_headline(
                line.text, lines[kept[pos + 1]].text):
            line.reason = "label"  # a section or site name above the headline ("World", "Daily Courier")
        elif draft.title is None and pos + 1 < len(kept) and is_headline(line.text):
            line.reason, draft.title = "title", line.text
        else:
            return


def _label_above_headline(text: str, following: str) -> bool:
    """A short label (at most three words, no punctuation) directly above a longer headline."""
    words = word_count(text)
    return (words <= 3 and not re.search(r"[.!?,;:]$", text) and is_headline(following)
            and word_count(following) > words)


def _entry_draft(lines: list[Line], entry: Entry) -> _Draft:
    for i in entry.meta:
        lines[i].reason = "entry_meta"
    lines[entry.title].reason = "title"
    draft = _Draft(entry.body, title=lines[entry.title].text)
    if entry.date:
        draft.published_raw, draft.published = entry.date.raw, entry.date.value
    return draft


def _body(lines: list[Line], draft: _Draft, config: CleanConfig, promo_tails: dict[int, str]) -> str:
    """Clean the body lines of one article in place and return its text."""
    title_key = tuple(tokens(draft.title)) if draft.title else None
    body = [lines[i] for i in draft.lines if lines[i].kept]
    for line in body:
        if title_key and tuple(tokens(line.text)) == title_key:
            line.reason = "title_repeat"
            continue
        kept, tail = split_glued_promo(line.text)
        if tail:
            promo_tails[line.no] = tail
            if kept:
                line.text = kept
            else:
                line.reason = GLUED_PROMO
                del promo_tails[line.no]
    collapse_repeats(body, config.repeat_similarity, config.repeat_min_words)
    return "\n".join(line.text for line in body if line.kept)


def _article(page: Page, segment: Segment, position: int, draft: _Draft, text: str) -> Article:
    return Article(
        page_id=page.page_id, source=page.source, record=page.record, segment=segment,
        position=position, title=draft.title, text=text, author=draft.author,
        published=draft.published,
        published_raw=draft.published_raw, url=page.url,
    )


def _removed(page: Page, line_no: int, text: str, reason: str, article_id: str | None) -> RemovedLine:
    return RemovedLine(page.page_id, page.source, page.record, line_no, text, reason, article_id)


__all__ = ["GLUED_PROMO", "METADATA_REASONS", "REPEAT_REASONS", "clean_page"]
