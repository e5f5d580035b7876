"""Turning fetched bytes into a page: HTML decoded by its declared charset, or plain text.

Shared by the single-page HTML reader and the WARC reader. The charset is
the HTTP header's (WARC) or else the page's ``<meta charset>``, found by
beautifulsoup4's detector; :func:`cleaners.io.decode.decode_bytes` decides
between it, a BOM, valid UTF-8 and detection.
"""
from __future__ import annotations

import re

from ...model import Page, Rejection
from ..decode import DecodeError, declared_charset, decode_bytes, normalise_text
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
    try:
        decoded = decode_bytes(data, charset or declared_charset(data))
    except DecodeError as exc:
        return Rejection(source, record, "decode_error", str(exc))
    except (LookupError, ValueError) as exc:  # a codec that fails its own way costs this record, never the file
        return Rejection(source, record, "decode_error", f"{type(exc).__name__} decoding the page: {exc}")
    return _page(decoded.text, source, record, content_sha, decoded.encoding, decoded.repairs, **fields)


def page_from_markup(markup: str, source: str, record: str | None, content_sha: str,
                     **fields: str | None) -> Page:
    """An HTML page, or a text page when the "HTML" has no tag at all (flattened text saved as .html)."""
    text, repairs = normalise_text(markup)
    return _page(text, source, record, content_sha, None, repairs, **fields)


def _page(markup: str, source: str, record: str | None, content_sha: str, encoding: str | None,
          repairs: tuple[str, ...], **fields: str | None) -> Page:
    if not _TAG.search(markup[:_SNIFF]):
        return Page(source=source, record=record, text=markup, content_sha=content_sha, encoding=encoding,
                    repairs=repairs, **fields)
    return Page(source=source, record=record, text="", html=markup, content_sha=content_sha, encoding=encoding,
                repairs=repairs, **fields)
