"""The HTML stage for one page: chrome by intent, trafilatura, in-body cleanup, a second opinion.

1. Parse once (lxml, through trafilatura's loader, which copes with broken
   markup and encodings declared in the page).
2. Remove chrome elements by intent (:mod:`.chrome`): ads, related blocks,
   comments, newsletter and consent boxes, share bars, navigation, footers.
3. trafilatura extracts the body and metadata from the same tree (:mod:`.extract`).
4. The text stage's in-body cleanups run on that body (chrome lines, glued
   promotions, repeated headline and paragraphs).
5. A second opinion: when trafilatura's body is short next to the prose the
   page holds, the text stage's line model runs on the block-flattened page; if
   its body contains trafilatura's and is clearly longer (``html_fallback_ratio``),
   trafilatura stopped early (an inline widget, a mid-article heading) and ours is
   taken. The same happens when trafilatura finds nothing.
6. Related blocks that hold whole articles become ``related`` articles; teaser
   lists are dropped.
"""
from __future__ import annotations

from dataclasses import replace

import trafilatura
from lxml import etree

from ..config import CleanConfig
from ..model import Article, Page, PageResult, Rejection, RemovedLine
from ..text.line_model import LineModels
from ..text.lines import is_headline, is_prose, tokens, word_count
from ..text.page import apply_record_date, clean_extracted_body, clean_page
from .chrome import RemovedElement, remove_chrome
from .extract import Extraction, extract
from .flatten import block_lines

#: trafilatura's body counts as complete when it holds this share of the page's prose words.
_COMPLETE_SHARE = 0.7
#: Share of trafilatura's word 4-grams that the line model's body must hold to replace it.
_COVER = 0.8


def clean_html_page(page: Page, config: CleanConfig, models: LineModels | None = None) -> PageResult:
    """Articles, audit rows, or one rejection for an HTML page (``page.html``)."""
    html = page.html or ""
    size = len(html.encode("utf-8", "replace"))
    if size > config.max_page_bytes:
        return _rejected(page, "too_large", f"{size} bytes of HTML, limit {config.max_page_bytes} (max_page_bytes)")
    tree = trafilatura.load_html(html) if html.strip() else None
    if tree is None:
        return _rejected(page, "html_parse_error", "no HTML document could be parsed from the page")
    depth = markup_depth(tree)
    if depth >= config.max_html_depth:
        return _rejected(page, "too_deep", f"elements nested {depth} deep, limit {config.max_html_depth} "
                                           "(max_html_depth)" + (", and the parser stops at 255: text below "
                                                                 "is lost" if depth >= 255 else ""))
    chrome = remove_chrome(tree)
    lines = block_lines(tree)
    found = extract(tree, page.url)
    body, body_lines = clean_extracted_body(found.text, found.title, config)
    body_words = word_count(body)

    result = PageResult()
    ours = None
    if body_words < config.min_article_words or body_words < _COMPLETE_SHARE * _prose_words(lines):
        ours = clean_page(replace(page, text="\n".join(lines), html=None), config, models)
    if ours is not None and _ours_is_better(ours, body, body_words, config):
        result.removed.extend(ours.removed)
        result.articles.extend(ours.articles)
        main = next((a for a in result.articles if a.segment == "main"), None)
        if main is not None:
            _fill_metadata(main, found, page)
    elif body_words >= config.min_article_words:
        main = Article(page_id=page.page_id, source=page.source, record=page.record, segment="main",
                       position=0, title=found.title, text=body)
        _fill_metadata(main, found, page)
        result.articles.append(main)
        result.removed.extend(
            _removed(page, line.no, line.text, line.reason, main.article_id)
            for line in body_lines if line.reason and line.text)
    result.removed.extend(_removed(page, el.sourceline, el.text, el.reason, None) for el in chrome if el.text)
    result.articles.extend(_salvage_related(page, chrome, config, len(result.articles)))
    if not result.articles:
        result.rejection = Rejection(
            page.source, page.record, "empty_after_cleaning",
            f"no article of at least {config.min_article_words} words in the HTML "
            f"(trafilatura: {word_count(found.text)} words; {len(chrome)} chrome elements removed)",
            page.page_id)
    return result


def markup_depth(tree: etree._Element) -> int:
    """How deep elements nest (iteratively: a recursive walk would hit Python's limit first)."""
    depth = deepest = 0
    for event, _ in etree.iterwalk(tree, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


def _prose_words(lines: list[str]) -> int:
    return sum(word_count(line) for line in lines if is_prose(line))


def _ours_is_better(ours: PageResult, body: str, body_words: int, config: CleanConfig) -> bool:
    main = next((a for a in ours.articles if a.segment == "main"), None)
    if main is None:
        return False
    if body_words < config.min_article_words:
        return True
    if word_count(main.text) < config.html_fallback_ratio * body_words:
        return False
    theirs, mine = _grams(body), _grams(main.text)
    return bool(theirs) and len(theirs & mine) >= _COVER * len(theirs)


def _grams(text: str) -> set[tuple[str, ...]]:
    toks = tokens(text)
    return set(zip(toks, toks[1:], toks[2:], toks[3:]))


def _fill_metadata(article: Article, found: Extraction, page: Page) -> None:
    """trafilatura's metadata (from meta tags and JSON-LD) wins over what the text gave."""
    article.title = found.title or article.title or page.title
    article.author = found.author or article.author
    if found.published_raw:
        article.published_raw, article.published = found.published_raw, found.published
    apply_record_date(article, page)
    article.url = page.url or found.url
    article.site = found.site or article.site
    article.language = found.language
    article.fetched = page.fetched


def _salvage_related(page: Page, chrome: list[RemovedElement], config: CleanConfig,
                     position: int) -> list[Article]:
    """Whole articles inside removed related blocks; teaser lists fail the word bar and go."""
    articles: list[Article] = []
    for removed in chrome:
        if removed.reason != "html_related" or removed.element is None:
            continue
        units = list(removed.element.iter("article")) or [removed.element]
        for unit in units:
            lines = block_lines(unit)
            prose = [line for line in lines if is_prose(line)]
            if sum(map(word_count, prose)) < config.related_min_words:
                continue
            title = next((line for line in lines if is_headline(line) and not is_prose(line)), None)
            articles.append(Article(page_id=page.page_id, source=page.source, record=page.record,
                                    segment="related", position=position, title=title,
                                    text="\n".join(prose), url=page.url, fetched=page.fetched))
            position += 1
    return articles


def _removed(page: Page, line_no: int, text: str, reason: str, article_id: str | None) -> RemovedLine:
    return RemovedLine(page.page_id, page.source, page.record, line_no, text, reason, article_id)


def _rejected(page: Page, reason: str, detail: str) -> PageResult:
    return PageResult(rejection=Rejection(page.source, page.record, reason, detail, page.page_id))


__all__ = ["clean_html_page"]
