"""Turning fetched bytes into a page: HTML decoded by its declared charset, or plain text.

Shared by the single-page HTML reader and the WARC reader. Decoding goes
through beautifulsoup4's ``UnicodeDammit`` (HTTP charset first, then the
page's ``<meta charset>``, then detection), the same cascade browsers use.
"""
from __future__ import annotations

import re

from bs4 import UnicodeDammit

from ...model import Page, Rejection
from ..readers import looks_binary

#: Any tag at all in the first bytes: without one the "HTML" is plain text.
_TAG = re.compile(r"<\s*[!a-zA-Z/?]")
_SNIFF = 65536


def page_from_bytes(data: bytes, source: str, record: str | None, content_sha: str,
                    charset: str | None = None, **fields: str | None) -> Page | Rejection:
    """A :class:`Page` for the HTML stage, a text page when there is no markup, or why neither."""
    kind = looks_binary(data)
    if kind is not None:
        return Rejection(source, record, "not_html", f"the page holds {kind}, not HTML")
    dammit = UnicodeDammit(data, known_definite_encodings=[charset] if charset else [], is_html=True)
    markup = dammit.unicode_markup
    if markup is None:
        return Rejection(source, record, "decode_error", "no character encoding decodes the page")
    return page_from_markup(markup, source, record, content_sha, **fields)


def page_from_markup(markup: str, source: str, record: str | None, content_sha: str,
                     **fields: str | None) -> Page:
    """An HTML page, or a text page when the "HTML" has no tag at all (flattened text saved as .html)."""
    if not _TAG.search(markup[:_SNIFF]):
        return Page(source=source, record=record, text=markup, content_sha=content_sha, **fields)
    return Page(source=source, record=record, text="", html=markup, content_sha=content_sha, **fields)
