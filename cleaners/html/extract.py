"""trafilatura on an already parsed tree: the article body and the page's metadata, in several modes.

:func:`extract` is the run that also reads the metadata (``favor_recall``:
the mode that misses least, and it skips trafilatura's second-extractor
comparison, which makes it the fastest); :func:`extract_text` gives the
bodies of the other modes. All of them are opinions the HTML combiner
(:mod:`.combine`) weighs block by block. ``include_comments=False`` (comments
are chrome here), ``deduplicate=False`` (its LRU cache would make a page's
output depend on the pages cleaned before it; repeats are our stage's job),
tables kept.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import trafilatura
from lxml import etree

# trafilatura warns "discarding data: None" on every page without a body; the page's rejected row
# (empty_after_cleaning, with trafilatura's word count) already says so, once and where users look.
logging.getLogger("trafilatura.core").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class Extraction:
    text: str
    title: str | None = None
    author: str | None = None
    published_raw: str | None = None
    published: date | None = None
    url: str | None = None
    site: str | None = None
    language: str | None = None
    description: str | None = None  # the page's own summary (meta description): a standfirst, not body


def extract(tree: etree._Element, url: str | None = None) -> Extraction:
    """Body and metadata; an empty text when trafilatura finds no body.

    The language is trafilatura's when it detects one (it needs an optional
    detector), else what the page declares in ``<html lang>``.
    """
    declared = _declared_language(tree)
    doc = trafilatura.bare_extraction(
        tree, url=url, favor_recall=True, include_comments=False, deduplicate=False,
        include_tables=True, with_metadata=True,
    )
    if doc is None:
        return Extraction("", language=declared)
    assert not isinstance(doc, dict)  # a dict only with as_dict=True
    raw_date = doc.date or None
    return Extraction(
        text=doc.text or "", title=doc.title or None, author=doc.author or None,
        published_raw=raw_date, published=_iso_date(raw_date), url=doc.url or None,
        site=doc.sitename or None, language=doc.language or declared, description=doc.description or None,
    )


#: trafilatura's (favor_precision, favor_recall) per mode, for :func:`extract_text` (the combiner's opinions).
MODES: dict[str, tuple[bool, bool]] = {"recall": (False, True), "precision": (True, False), "default": (False, False)}


def extract_text(tree: etree._Element, mode: str, url: str | None = None) -> str:
    """trafilatura's body alone (no metadata) in one of :data:`MODES`; "" when it finds none.

    ``fast=True``: without trafilatura's fallback comparison (its own
    readability port, then jusText), which took 40% of each run; the combiner
    has readability's and the recall run's opinions beside it, and the
    cross-validated F1 with the fast opinions is as high (README, "HTML pages").
    The tree is not changed (trafilatura works on a copy).
    """
    precision, recall = MODES[mode]
    doc = trafilatura.bare_extraction(tree, url=url, favor_precision=precision, favor_recall=recall,
                                      include_comments=False, deduplicate=False, include_tables=True,
                                      with_metadata=False, fast=True)
    if doc is None:
        return ""
    assert not isinstance(doc, dict)
    return doc.text or ""


def _declared_language(tree: etree._Element) -> str | None:
    """"en-GB" -> "en": the primary subtag, lower case, when it looks like one."""
    lang = (tree.get("lang") or tree.get("xml:lang") or "").strip().split("-")[0].split("_")[0].lower()
    return lang if 2 <= len(lang) <= 3 and lang.isalpha() else None


def _iso_date(raw: str | None) -> date | None:
    """trafilatura returns dates as YYYY-MM-DD (its htmldate output format)."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None
