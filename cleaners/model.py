"""The records every stage passes along: a page in, articles and audit rows out.

One model for all stages (datatrove's ``Document`` habit): readers make
:class:`Page`, the text stage turns a page into :class:`Article` drafts plus
:class:`RemovedLine` audit rows, dedup fills the cluster fields, the writer
maps the same objects onto the pyarrow schemas in :mod:`cleaners.io.schema`.
Loose dicts never cross a stage boundary.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Segment = Literal["main", "related", "listing"]

#: Kept-copy priority when near-duplicates collapse: a page's own article
#: beats a listing entry, which beats a copy salvaged from a related block.
SEGMENT_RANK: dict[str, int] = {"main": 0, "listing": 1, "related": 2}


def stable_id(*parts: str | None) -> str:
    """A short, stable hex id over the parts (None and "" differ)."""
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(b"\x00" if part is None else b"\x01" + part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Page:
    """One input record: a whole flattened page, or its HTML.

    ``content_sha`` is over the record's own bytes, so ids follow content:
    the same input gives the same ids in every run, whatever the run order.
    """

    source: str
    record: str | None
    text: str
    content_sha: str
    url: str | None = None
    title: str | None = None
    published: str | None = None
    #: the page's HTML when the input was HTML (``text`` is then ""): the HTML stage cleans it
    html: str | None = None
    #: when the page was fetched (WARC-Date, ISO 8601), if the input says; the raw string, because the
    #: ledger's content keys hash it (:func:`cleaners.io.ledger.item_key`): parsed only into the output row
    fetched: str | None = None
    #: the codec its bytes were decoded with (None: the input held a string, e.g. JSON)
    encoding: str | None = None
    #: repairs made while decoding (``mojibake``, ``control_chars``, ``surrogates``: :mod:`cleaners.io.decode`)
    repairs: tuple[str, ...] = ()

    @property
    def page_id(self) -> str:
        return stable_id(self.source, self.record, self.content_sha)


@dataclass(slots=True)
class Article:
    """One article cut from a page; dedup fills the cluster fields."""

    page_id: str
    source: str
    record: str | None
    segment: Segment
    position: int
    title: str | None
    text: str
    site: str | None = None
    section: str | None = None
    author: str | None = None
    published: date | None = None
    published_raw: str | None = None
    url: str | None = None
    #: the page's language as the extractor found it (HTML pages: trafilatura's metadata)
    language: str | None = None
    #: when the page was fetched (the page's raw WARC-Date), if the input said; the ``fetched`` column is
    #: its parse as a UTC timestamp (:func:`cleaners.io.schema.parse_fetched`, null when it does not parse)
    fetched: str | None = None
    cluster_id: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    containment: float | None = None

    @property
    def article_id(self) -> str:
        return stable_id(self.page_id, self.segment, str(self.position))

    @property
    def n_words(self) -> int:
        """Words as ``str.split()`` counts them (compiled: every article's row asks)."""
        from .text.token_scan import split_count  # numba: not an import of the data model's own

        return split_count(self.text)


@dataclass(slots=True)
class RemovedLine:
    """Audit row: one line (or the tail of one) that cleaning took out, and why.

    Not frozen, though nothing changes one after it is made (stages use
    :func:`dataclasses.replace`): one is made for every removed line, and a
    frozen dataclass's ``__init__`` costs five times as much (1.8 against
    0.35 µs), 5% of the text stage on pages full of menus.

    ``article_id`` names the article the line was cut from when it sat inside
    one (a glued promo, a repeated paragraph); page chrome has none.

    A long run of consecutive lines removed for the same reason is one row
    (:data:`cleaners.text.page.MERGE_RUN_LINES`): ``text`` holds the run's
    lines joined by ``\\n`` (blank lines between them as empty lines), so
    line ``i`` of ``text`` is line ``line_no + i`` of the page, and ``lines``
    says how many removed lines the row stands for (1 for a single line).
    Only a merged row's text holds a ``\\n``.
    """

    page_id: str
    source: str
    record: str | None
    line_no: int
    text: str
    reason: str
    article_id: str | None = None
    #: removed lines the row stands for (not a column: the output counts a merged row's non-blank lines)
    lines: int = 1


@dataclass(frozen=True, slots=True)
class Rejection:
    """An input record that yielded no article, with a machine-readable reason."""

    source: str
    record: str | None
    reason: str
    detail: str
    page_id: str | None = None
    #: the row stands for where the file ended when it was read (a cut file, a half-written last line, a
    #: file with no record): a later run that finds the file grown past that point replaces it
    #: (:mod:`cleaners.io.ledger`, "superseded rejections"). Not a column: it only guides the ledger.
    provisional: bool = False


@dataclass(slots=True)
class PageResult:
    """What the text stage makes of one page."""

    articles: list[Article] = field(default_factory=list)
    removed: list[RemovedLine] = field(default_factory=list)
    rejection: Rejection | None = None
