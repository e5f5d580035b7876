"""The text stage for one page: chrome, structure, body, metadata, repeats, then articles.

Order matters and is deliberate: line rules first (so block headers and
known chrome are named), then structure (feed and related entries, blocks),
then the body (line model and one dense region, :mod:`.body`), then per
article the head (title, byline, date), glued promos and repeats. Every line
that leaves the text keeps its reason and becomes an audit row (a run of more
than :data:`MERGE_RUN_LINES` lines removed for one reason becomes one row).
"""
from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from ..config import CleanConfig
from ..model import Article, Page, PageResult, Rejection, RemovedLine, Segment
from ..reasons import GLUED_PROMO, METADATA_REMOVALS, REPEAT_REMOVALS
from .body import LOW_SCORE, OUTSIDE_BODY, Body, announced_list, locate_body
from .boilerplate import SITE_BOILERPLATE
from .byline import parse_byline
from .chrome import mark_chrome
from .dates import forget_dates, parse_date_line, parse_published
from .features import COLUMNS, forget_rows, page_matrix, window_sum
from .line_model import LineModels, load_models
from .lines import CJK, Line, is_headline, line_count, split_lines, tokens, word_count
from .repeats import collapse_repeats
from .rules import forget_rules
from .segment import Entry, Layout, segment_page
from .wrap import document_span, restore_rows, unwrap

#: Reasons for lines that moved into metadata columns rather than being dropped (from the
#: registry, :data:`cleaners.reasons.REMOVALS`; the names stay for the modules importing them).
METADATA_REASONS = METADATA_REMOVALS
#: Reasons for text that was a repeat of text kept elsewhere in the article.
REPEAT_REASONS = REPEAT_REMOVALS


@dataclass(slots=True)
class _Draft:
    lines: list[int]
    head: list[int] = field(default_factory=list)
    title: str | None = None
    author: str | None = None
    published_raw: str | None = None
    published: date | None = None


def too_many_lines(page: Page, config: CleanConfig) -> Rejection | None:
    """The ``too_many_lines`` row of a page this stage would need too much memory for, else None.

    The stage holds about 1.5 KB a line (features, scores, the audit); a
    page under ``max_page_bytes`` can still hold millions of one-character
    lines. Counted as :meth:`str.splitlines` counts, before anything is split;
    not counted at all for a page of no more characters than the limit has
    lines (a line holds at least one character, or its ending), which is
    every news page: ten scans of its text cost more than a percent of a shard.
    """
    if len(page.text) <= config.max_page_lines:
        return None
    lines = line_count(page.text)
    if lines <= config.max_page_lines:
        return None
    return Rejection(page.source, page.record, "too_many_lines",
                     f"{lines:,} lines, over the limit of {config.max_page_lines:,} (max_page_lines)", page.page_id)


def clean_page(page: Page, config: CleanConfig, models: LineModels | None = None,
               site_lines: frozenset[str] = frozenset()) -> PageResult:
    """Turn one flattened page into articles, audit rows, or one rejection.

    ``site_lines``: lines the page's site repeats on most of its pages (see
    :func:`cleaners.text.boilerplate.repeated_lines`), removed as chrome.
    """
    lines = split_lines(page.text)
    wrapped = unwrap(lines, page.text)  # hard-wrapped paragraphs become one line each
    headers = mark_chrome(lines, site_lines)
    layout = segment_page(lines, headers, config.date_order)
    document = document_span(lines, wrapped)  # a plain-text document's lines: body unless a rule names them
    body = _locate_body(lines, layout, config, models or load_models(), document)
    in_body = set(body.kept)
    for line in lines:  # every other kept line is chrome, named by its block if it has one
        if line.kept and line.no not in in_body and line.no not in layout.entry_lines:
            line.reason = layout.outside.get(line.no) or body.removed.get(line.no, OUTSIDE_BODY)

    result = PageResult()
    promo_tails: dict[int, str] = {}
    owner: dict[int, str] = {}

    main = _Draft(body.kept)
    _read_head(lines, main, body.start, config, layout.entry_lines)
    if page.title and not main.title:
        main.title = page.title
    main_text, main_words = _body(lines, main, config, promo_tails, document)
    if main_words >= config.min_article_words:
        art = _article(page, "main", 0, main, main_text)
        result.articles.append(art)
        owner.update(dict.fromkeys(main.lines, art.article_id))
    else:  # too little left for an article: its head and body are page chrome after all
        for i in main.lines + main.head:
            if lines[i].text and (lines[i].kept or lines[i].reason in METADATA_REASONS | REPEAT_REASONS):
                lines[i].reason = "outside_article"

    # Entries after a page's own article were salvaged from its related block; without one, two
    # or more entries make a feed page, and a lone entry is the page's own article with a tagged head.
    segment: Segment = "related" if result.articles else "listing" if len(layout.entries) > 1 else "main"
    for entry in layout.entries:
        draft = _entry_draft(lines, entry)
        text, words = _body(lines, draft, config, promo_tails)
        if words < config.related_min_words:
            for i in [entry.title, *entry.meta, *entry.body]:
                if lines[i].text and (lines[i].kept or lines[i].reason in METADATA_REASONS | REPEAT_REASONS):
                    lines[i].reason = "teaser_entry"
            continue
        art = _article(page, segment, len(result.articles), draft, text)
        art.site, art.section = entry.site, entry.section
        result.articles.append(art)
        owner.update(dict.fromkeys([entry.title, *entry.meta, *entry.body], art.article_id))

    result.removed = restore_rows(_audit_rows(page, lines, promo_tails, owner), wrapped.joined)

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


def forget_lines() -> None:
    """Empty this process's memos of line decisions (dates, bylines, chrome rules).

    They only save work: a site's menus and footers recur on most of its
    pages. Benchmarks call this between timed runs, so that no run profits
    from the memos of the one before.
    """
    forget_dates()
    parse_byline.cache_clear()
    forget_rules()
    forget_rows()


def page_features(lines: list[Line]) -> tuple[list[int], np.ndarray]:
    """The non-blank lines' indices and their feature matrix (also what the model is trained on)."""
    nonblank = [i for i, line in enumerate(lines) if line.text]
    # Site boilerplate depends on the batch, which training never sees: it does not set the flag.
    chrome = [lines[i].reason is not None and lines[i].reason != SITE_BOILERPLATE for i in nonblank]
    return nonblank, page_matrix([lines[i].text for i in nonblank], chrome)


def _locate_body(lines: list[Line], layout: Layout, config: CleanConfig, models: LineModels,
                 document: range | None = None) -> Body:
    """Score every non-blank line, then take the densest run of body-like candidates.

    ``document``: a hard-wrapped document's span (:func:`.wrap.document_span`), all body.
    """
    nonblank, x = page_features(lines)
    model = models.for_page(x)
    in_entries = layout.entry_lines
    scores = model.proba(x)
    if config.body_prose_floor > 0:  # unmistakable prose always pulls the body region towards it
        # 3 lines cut short with "..." among 7 make a teaser run (a count: a mean clipped at the page
        # edges would call 1 of 2 lines a run)
        teasers = window_sum(x[:, _TRUNCATED], 3) >= 3
        prose = (x[:, _PROSE_SIGNS] >= _PROSE_LIMITS).all(axis=1) & ~teasers
        scores = np.where(prose, np.maximum(scores, config.body_prose_floor), scores)
    if document is not None:  # a plain-text document's lines are its text unless a rule named them
        scores = np.where([i in document for i in nonblank], 1.0, scores)
    # Feed and related entries are other articles: the body region must not reach across them.
    scores = np.where([i in in_entries for i in nonblank], 0.0, scores)
    # A line a rule already named (an ad label, a share bar between paragraphs) is neutral in the
    # region: it must not split the body. Block headers keep their low score and do separate.
    neutral = np.array([(lines[i].reason is not None and i not in layout.header_lines) or i in layout.promo_lines
                        for i in nonblank])
    scores = np.where(neutral, config.body_center, scores)
    # Related and listing blocks stay candidates (in link-split text a "Related" fragment can open one
    # inside the article), but their entries' summaries are prose too: they must outscore the page's
    # own text by a margin to take the region.
    soft = {i for i in nonblank if layout.outside.get(i) in _SOFT_BLOCKS}
    if config.body_related_penalty:
        scores = np.where([i in soft for i in nonblank], scores - config.body_related_penalty, scores)
    # Lines below a comments header or a footer stay chrome: readers' comments are prose too.
    candidates = {i for i in nonblank if lines[i].kept and i not in in_entries and i not in layout.promo_lines
                  and layout.outside.get(i) not in _CLOSED_BLOCKS}
    body = locate_body(nonblank, scores, np.array([lines[i].words for i in nonblank], dtype=float),
                       candidates, config.body_center, config.body_min_score)
    # a list is announced by the page's own text, not by a related or listing block's
    return announced_list(body, lines, candidates - soft)


#: Blocks whose lines never rejoin the body. Related and feed headers are left to the model:
#: in link-split text their words often occur as fragments ("Related" linking a story).
_CLOSED_BLOCKS = frozenset({"comments", "footer"})
#: Blocks whose lines count against the body region (:data:`CleanConfig.body_related_penalty`).
_SOFT_BLOCKS = frozenset({"related_block", "listing_block"})

#: Columns and lower limits that make a line unmistakable prose: at least 12 words (the
#: package's prose bar), ending a sentence, at least 15% function words; and not in a run of
#: lines cut short with an ellipsis (3 of 7), as a feed's or a ticker's teasers are.
_PROSE_SIGNS = [COLUMNS.index("log_words"), COLUMNS.index("ends_sentence"), COLUMNS.index("stopword_share")]
_PROSE_LIMITS = np.array([np.log1p(12), 1.0, 0.15])
_TRUNCATED = COLUMNS.index("ends_ellipsis")

def _read_head(lines: list[Line], draft: _Draft, start: int | None, config: CleanConfig,
               entry_lines: frozenset[int] = frozenset()) -> None:
    """Find title, byline and date around the top of the body.

    Backwards from the body's first line, past bylines, dates, captions and
    standfirsts, the first headline-shaped line is the title (titles are not
    body, so the model leaves them just outside). Forwards, bylines and dates
    among the first body lines are taken too, and a headline-shaped first line
    is the title when none was found above.
    """
    if start is None:
        return
    above = [i for i in range(start - 1, max(-1, start - 40), -1) if lines[i].text][:_HEAD_LINES]
    for i in above:
        if i in entry_lines:
            break  # a feed or related entry above the body: its lines are another article's
        line = lines[i]
        if line.reason not in (None, OUTSIDE_BODY, LOW_SCORE, "outside_article"):
            continue  # chrome a rule named (share bar, breadcrumb) may sit between title and body
        if _take_meta(line, draft, config):
            draft.head.append(i)
        elif draft.title is not None:
            break  # above the title only a date or byline still belongs to the article
        elif _title_like(line.text):
            line.reason, draft.title = "title", line.text
            draft.head.append(i)
    for pos, i in enumerate([i for i in draft.lines if lines[i].kept][:_HEAD_LINES]):
        line = lines[i]
        if line.prose:
            return
        if _take_meta(line, draft, config):
            continue
        if draft.title is None and pos + 1 < len(draft.lines) and is_headline(line.text):
            line.reason, draft.title = "title", line.text
        else:
            return


_HEAD_LINES = 8


def _take_meta(line: Line, draft: _Draft, config: CleanConfig) -> bool:
    """Move a byline or date line into the draft's metadata.

    The first byline and date fill the fields; a second one (a repeated credit, "Updated"
    under "Published") is metadata all the same. Not taken, it would be read as the
    headline ("By Jane Smith" became the title when the byline appeared twice).
    """
    if author := parse_byline(line.text):
        line.reason, draft.author = "byline", draft.author or author
        return True
    if dated := parse_date_line(line.text, config.date_order):
        line.reason = "dateline"
        if not draft.published_raw:
            draft.published_raw, draft.published = dated.raw, dated.value
        return True
    return False


#: A time, a year or a reading-time note: a dateline or credit ("AP November 19, 2019, 9:02 AM"),
#: never the headline, even when no date parser reads the whole line.
_METADATA_LIKE = re.compile(
    r"\b\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?\b|\b(?:19|20)\d{2}\b.*\b(?:19|20)?\d{1,2}\b|"
    r"\b(?:min(?:ute)?s? read|reading time|lesezeit|tempo de leitura|temps de lecture)\b|"
    # photo credits sit between headline and body too (an agency name alone does not:
    # "Reuters: US wants Europe to..." is a headline)
    r"\b(?:getty images|ap photo|file photo|illustration|share via|sharing is caring)\b|"
    r"\b(?:photo(?:graph)?s?|image(?: credit)?|credit)\s*:",
    re.IGNORECASE)


def _title_like(text: str) -> bool:
    """Headline-shaped, and neither running text, a label nor a dateline or credit.

    :func:`is_headline` allows 30 words, but a line of 24 words or more is prose (the long-line
    arm of :func:`is_prose`) even when it ends in an emoji, a stray symbol or a photo credit's
    bracket: a caption or a link-split paragraph above the body, never the headline. CJK
    characters do not count there (each is a token: a Japanese headline holds 30).
    """
    return (is_headline(text) and word_count(text) >= 2 and len(_NON_CJK_WORD.findall(text)) < 24
            and not _label_line(text) and not _METADATA_LIKE.search(text))


_NON_CJK_WORD = re.compile(rf"[^\W{CJK}]+")


def _label_line(text: str) -> bool:
    """A short label (at most two words, no punctuation): a section or site name, not a headline."""
    return word_count(text) <= 2 and not re.search(r"[.!?,;:]$", text)


def _entry_draft(lines: list[Line], entry: Entry) -> _Draft:
    for i in entry.meta:
        lines[i].reason = "entry_meta"
    lines[entry.title].reason = "title"
    draft = _Draft(entry.body, title=lines[entry.title].text)
    if entry.date:
        draft.published_raw, draft.published = entry.date.raw, entry.date.value
    return draft


def _body(lines: list[Line], draft: _Draft, config: CleanConfig, promo_tails: dict[int, str],
          document: range | None = None) -> tuple[str, int]:
    """Clean the body lines of one article in place; return its text and its words.

    The words are its lines' tokens: no token spans a line break, so that is
    ``word_count`` of the text without tokenising a whole article again.

    A template's repeats are not looked for in a hard-wrapped document's lines (``document``):
    a document that repeats a line (a table's header, a list's refrain) means it.
    """
    title_key = [t.casefold() for t in tokens(draft.title)] if draft.title else None

    def repeats_title(line: Line) -> bool:
        if not title_key:  # no title, or one without words (an emoji): nothing to repeat
            return False
        return line.words == len(title_key) and [t.casefold() for t in line.toks] == title_key

    body = [lines[i] for i in draft.lines if lines[i].kept]
    for line in body:
        # Cut first, compare after: "Storm hits coast. Subscribe now." is the headline again, and
        # kept once it would go as one the next time the text is cleaned.
        if line.promo_tail and not repeats_title(line):  # found by the chrome stage: cut the tail
            promo_tails[line.no] = line.promo_tail
            line.set_text(line.text[: len(line.text) - len(line.promo_tail)].rstrip())
        if repeats_title(line):
            line.reason = "title_repeat"
    collapse_repeats([line for line in body if line.no not in (document or ())], config.repeat_similarity,
                     config.repeat_min_words)
    kept = [line for line in body if line.kept]
    return "\n".join(line.text for line in kept), sum(line.words for line in kept)


def clean_extracted_body(text: str, title: str | None, config: CleanConfig) -> tuple[str, list[Line]]:
    """In-body cleanup of text another extractor already cut from its page.

    The chrome rules, glued promotions, a repeated headline and repeated
    paragraphs, as on the text stage's own bodies; returns the clean text and
    all lines (removed ones carry their reason, for the audit).
    """
    lines = split_lines(text)
    mark_chrome(lines)
    draft = _Draft([i for i, line in enumerate(lines) if line.text], title=title)
    promo_tails: dict[int, str] = {}
    clean, _ = _body(lines, draft, config, promo_tails)
    for no, tail in promo_tails.items():  # the cut tail is audit material like a removed line
        lines.append(Line(no, tail, GLUED_PROMO))
    return clean, lines


def _article(page: Page, segment: Segment, position: int, draft: _Draft, text: str) -> Article:
    article = Article(
        page_id=page.page_id, source=page.source, record=page.record, segment=segment,
        position=position, title=draft.title, text=text, author=draft.author,
        published=draft.published,
        published_raw=draft.published_raw, url=page.url, fetched=page.fetched,
    )
    if segment == "main":
        apply_record_date(article, page)
    return article


def apply_record_date(article: Article, page: Page) -> None:
    """A date the input record states (JSONL/Parquet ``published``) beats one read from the page."""
    if page.published:
        article.published_raw, article.published = page.published, parse_published(page.published)


def _removed(page: Page, page_id: str, line_no: int, text: str, reason: str, article_id: str | None) -> RemovedLine:
    return RemovedLine(page_id, page.source, page.record, line_no, text, reason, article_id)


#: A run of more than this many consecutive lines removed for the same reason (and from the same article)
#: is one audit row, not one row a line: its ``text`` holds the run's lines joined by ``\n``, blank lines
#: between them as empty lines, so line ``i`` of it is line ``line_no + i`` of the page
#: (:class:`cleaners.model.RemovedLine`). Real pages stay far below it (the longest run on the dedup dev set
#: is 123 lines); a 5 MB page of millions of one-character lines gives one row instead of millions.
MERGE_RUN_LINES = 1_000


def _audit_rows(page: Page, lines: list[Line], promo_tails: dict[int, str],
                owner: dict[int, str]) -> list[RemovedLine]:
    """The page's audit rows in line order, a long run of one reason merged into one row.

    A run is broken by a kept non-blank line and by a row of another reason or
    article; blank lines do not break it. Runs are held as (line, text) pairs
    only until they pass :data:`MERGE_RUN_LINES`, so no row object is made per
    line of a merged run.
    """
    page_id = page.page_id
    total = len(promo_tails) + sum(1 for line in lines if line.reason and line.text)
    if total <= MERGE_RUN_LINES:  # no run can be long: one row a line, as always
        removed: list[RemovedLine] = []
        for line in lines:
            if line.reason and line.text:
                removed.append(_removed(page, page_id, line.no, line.text, line.reason, owner.get(line.no)))
            if line.no in promo_tails:
                removed.append(_removed(page, page_id, line.no, promo_tails[line.no], GLUED_PROMO,
                                        owner.get(line.no)))
        return removed

    rows: list[RemovedLine] = []
    run: list[tuple[int, str]] = []
    key: tuple[str, str | None] | None = None

    def close() -> None:
        if key is None or not run:
            return
        reason, article_id = key
        if len(run) <= MERGE_RUN_LINES:
            rows.extend(_removed(page, page_id, no, text, reason, article_id) for no, text in run)
            return
        texts = [run[0][1]]
        for (before, _), (no, text) in itertools.pairwise(run):
            texts.extend([""] * (no - before - 1))  # the blank lines between: line i of the text is line_no + i
            texts.append(text)
        rows.append(RemovedLine(page_id, page.source, page.record, run[0][0], "\n".join(texts), reason,
                                article_id, len(run)))

    for line in lines:
        here = []
        if line.reason and line.text:
            here.append((line.reason, line.text))
        if line.no in promo_tails:
            here.append((GLUED_PROMO, promo_tails[line.no]))
        if not here:
            if line.text:  # a kept line ends the run; a blank one does not
                close()
                run, key = [], None
            continue
        for reason, text in here:
            this = (reason, owner.get(line.no))
            if this != key or (run and run[-1][0] == line.no):
                close()
                run, key = [], this
            run.append((line.no, text))
    close()
    return rows


__all__ = ["GLUED_PROMO", "METADATA_REASONS", "REPEAT_REASONS", "apply_record_date", "clean_extracted_body",
           "clean_page"]
