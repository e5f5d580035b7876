"""One record of a JSONL or Parquet export (``text`` or ``html``, optional ``id``, ``url``, ``title``,
``published``) turned into a page.

Both formats share these rules so a scraper's export means the same thing
whichever way it was saved: ``html`` wins over ``text`` when both are given
(the HTML stage extracts better than flattened text allows); ``record`` is the
``id`` field, else the 0-based row (CONTRACT.md); ids hash the row too, so a
repeated id cannot give two articles one ``article_id``.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ...model import Page, Rejection
from ..decode import normalise_text
from ..readers import decoded_page, record_sha, too_large
from .markup import page_from_bytes, page_from_markup

#: Fields a record may carry besides its page.
META_FIELDS = ("url", "title", "published")
BODY_FIELDS = ("html", "text")


def page_from_record(rec: Mapping[str, Any], source: str, row: int, limit: int | None) -> Page | Rejection:
    record = record_id(rec.get("id"), row)
    field = next((f for f in BODY_FIELDS if _has_body(rec.get(f))), None)
    if field is None:
        found = ", ".join(f"{k}: {type(rec[k]).__name__}" for k in BODY_FIELDS if k in rec) or "neither field"
        return Rejection(source, record, "no_text", f"no non-empty `text` or `html` string ({found})")
    value = rec[field]
    payload = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    if limit is not None and len(payload) > limit:
        return too_large(source, record, len(payload), limit)
    meta = {k: _as_text(rec.get(k)) for k in META_FIELDS}
    sha = record_sha(payload, row)
    if isinstance(value, bytes):  # a binary Parquet column: bytes in some encoding
        if field == "html":
            return page_from_bytes(value, source, record, sha, **meta)
        return decoded_page(value, source, record, sha, **meta)
    if field == "html":
        return page_from_markup(value, source, record, sha, **meta)
    text, repairs = normalise_text(value)
    return Page(source=source, record=record, text=text, content_sha=sha, repairs=repairs, **meta)


def record_id(value: Any, row: int) -> str:
    """A record's name: its ``id`` field (a non-empty string or an integer), else its 0-based row."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        return str(row)
    return normalise_text(str(value))[0]


def _has_body(value: Any) -> bool:
    return isinstance(value, (str, bytes)) and bool(value.strip())


def _as_text(value: Any) -> str | None:
    """Strings as given; dates and timestamps (typed Parquet columns) in ISO 8601; anything else dropped."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str) and value.strip():
        return normalise_text(value.strip())[0]
    return None
