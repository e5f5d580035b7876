"""The HTML stage for one page: chrome by intent, several extractors, a learned per-block verdict.

1. Parse once, leniently (:mod:`.parse`: trafilatura's loader, then repairs so
   that the text a browser shows ends up in ``<body>``).
2. The page's blocks (one per line of the block flattening) and their DOM
   features (:mod:`.blocks`); the opinions on the whole page: trafilatura in
   several modes (one run also gives the metadata, :mod:`.extract`) and
   readability (trafilatura's port); then chrome elements removed by intent (:mod:`.chrome`):
   ads, related blocks, comments, newsletter and consent boxes, share bars,
   navigation, footers.
3. The combiner (:mod:`.combine`, a model trained by
   ``benchmarks/train_html_model.py``) weighs the opinions, the DOM and the
   text stage's line model on the block lines per block and picks the body;
   blocks it drops are ``html_not_body`` audit rows.
4. The text stage's in-body cleanups run on that body (chrome lines, glued
   promotions, repeated headline and paragraphs).
5. Related blocks that hold whole articles become ``related`` articles; teaser
   lists are dropped.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from lxml import etree

from ..config import CleanConfig
from ..model import Article, Page, PageResult, Rejection, RemovedLine
from ..text.line_model import LineModels, load_models
from ..text.lines import is_headline, is_prose, word_count
from ..text.page import apply_record_date, clean_extracted_body, clean_page, too_many_lines
from .blocks import Block
from .chrome import RemovedElement
from .combine import choose_blocks, load_combiner, page_signals
from .extract import Extraction
from .flatten import block_lines
from .parse import markup_depth, nesting_reaches, parse_html, visible_lines

#: The reason of a block the combiner judged not article body (chrome removal's own rows keep theirs).
NOT_BODY = "html_not_body"


def clean_html_page(page: Page, config: CleanConfig, models: LineModels | None = None) -> PageResult:
    """Articles, audit rows, or one rejection for an HTML page (``page.html``)."""
    html = page.html or ""
    size = len(html.encode("utf-8", "replace"))
    if size > config.max_page_bytes:
        return _rejected(page, "too_large", f"{size} bytes of HTML, limit {config.max_page_bytes} (max_page_bytes)")
    try:
        tree = parse_html(html, config.max_html_depth)  # lenient: text lands in <body> (:mod:`.parse`)
    except (ValueError, etree.LxmlError):  # markup lxml refuses even after the repairs: its visible text
        tree = None
    if tree is None:
        return _text_floor(page, html, config, models, None)
    if nesting_reaches(tree, config.max_html_depth):  # tags the page never closes were closed: they do not count
        depth = markup_depth(tree)
        return _rejected(page, "too_deep", f"elements nested {depth} deep, limit {config.max_html_depth} "
                                           "(max_html_depth)" + (", and the parser stops at 255: text below "
                                                                 "is lost" if depth >= 255 else ""))
    signals = page_signals(tree, page.url, (combiner := load_combiner()).opinions)
    chrome, found = signals.chrome, signals.found
    keep, _ = choose_blocks(signals, models or load_models(), combiner, config.min_article_words)
    body, body_lines = clean_extracted_body(
        "\n".join(block.text for block, kept in zip(signals.blocks, keep) if kept), found.title, config)

    result = PageResult()
    chrome, back = _not_taken_back(chrome, signals.blocks, keep & signals.removed)
    if word_count(body) >= config.min_article_words:
        main = Article(page_id=page.page_id, source=page.source, record=page.record, segment="main",
                       position=0, title=found.title, text=body)
        _fill_metadata(main, found, page)
        result.articles.append(main)
        result.removed.extend(
            _removed(page, line.no, line.text, line.reason, main.article_id)
            for line in body_lines if line.reason and line.text)
    else:  # the kept blocks are too short for an article: they go too, with a row each
        keep = np.zeros(len(signals.blocks), dtype=bool)
    result.removed.extend(  # blocks not in the body; chrome removal audits its own (unless taken back)
        _removed(page, block.element.sourceline or 0, block.text, NOT_BODY, None)
        for block, kept, gone in zip(signals.blocks, keep, signals.removed)
        if not kept and (not gone or _inside(block.element, back)))
    result.removed.extend(_removed(page, el.sourceline, el.text, el.reason, None) for el in chrome if el.text)
    result.articles.extend(_salvage_related(page, chrome, config, len(result.articles)))
    if not result.articles:
        return _text_floor(page, html, config, models, found,
                           f"no article of at least {config.min_article_words} words in the HTML "
                           f"(trafilatura: {word_count(found.text)} words; {len(chrome)} chrome elements removed)")
    return result


def _text_floor(page: Page, html: str, config: CleanConfig, models: LineModels | None,
                found: Extraction | None, why: str = "") -> PageResult:
    """No article from the HTML path: the text stage on the page's visible text, or the rejection.

    A page whose prose a reader sees is never lost to markup the HTML path
    could not use (content under chrome-like wrappers, a parse that failed):
    the visible text, block-flattened from an unpruned parse (or read by
    Python's tokenizer when lxml parses nothing), is cleaned as a text page.
    """
    lines = visible_lines(html, config.max_html_depth)
    if lines:
        as_text = replace(page, text="\n".join(lines), html=None)
        if (refused := too_many_lines(as_text, config)) is not None:  # the text path's own bound
            return PageResult(rejection=refused)
        result = clean_page(as_text, config, models)
        main = next((a for a in result.articles if a.segment == "main"), None)
        if main is not None and found is not None:
            _fill_metadata(main, found, page)
        if result.articles:
            return result
    if found is None:
        return _rejected(page, "html_parse_error", "the page is empty" if not html.strip() else
                         "no HTML document could be parsed from the page, and it holds no visible text")
    return _rejected(page, "empty_after_cleaning", f"{why}; the text stage found none in its "
                     f"{len(lines)} visible lines" if lines else f"{why}; the page holds no visible text")


def _inside(element: etree._Element, roots: set[etree._Element]) -> bool:
    return bool(roots) and (element in roots or any(a in roots for a in element.iterancestors()))


def _not_taken_back(chrome: list[RemovedElement], blocks: list[Block],
                    taken: np.ndarray) -> tuple[list[RemovedElement], set[etree._Element]]:
    """The removed elements none of whose blocks the combiner took back into the body, and those it did.

    The blocks of a taken-back element that the body leaves out get ``html_not_body`` rows of
    their own, since the element's chrome row is gone.

    It takes blocks of removed elements only when the body would be too short
    without them (a theme naming its paragraphs ``comment-text``): such an
    element is article, not chrome, and gets no chrome row nor a salvage.
    """
    if not taken.any():
        return chrome, set()
    back = set()
    for block, took in zip(blocks, taken):
        if took:
            back.update(block.element.iterancestors())
            back.add(block.element)
    return ([el for el in chrome if el.element not in back],
            {el.element for el in chrome if el.element in back and el.element is not None})


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
