"""Every reason a record can end in ``rejected/``, what it means, and what kind of cause it is.

One table, so that the README, the run summary, ``--strict`` and the tests
agree (a test checks that every reason the code can emit is listed here).
The kind says who should act: ``input`` — the data is broken or not a page
the pipeline reads; ``limit`` — a configured limit stopped it (raise the
option to take it); ``fault`` — something failed while cleaning it (ours or
the machine's, retried next run where said); ``skipped`` — not read, by
design; ``content`` — read and cleaned, but no article was in it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["input", "limit", "fault", "skipped", "content"]


@dataclass(frozen=True, slots=True)
class Reason:
    kind: Kind
    meaning: str


REJECTIONS: dict[str, Reason] = {
    # the data
    "decode_error": Reason("input", "no character encoding decodes the bytes (BOM, UTF-8, declared, detected)"),
    "not_text": Reason("input", "a .txt file holds binary data (an image, a PDF, an archive, control bytes)"),
    "not_html": Reason("input", "an HTML file or WARC response holds something else (image, PDF, JSON...)"),
    "not_json": Reason("input", "a JSONL line is not a JSON object (half-written, cut, or another type)"),
    "no_text": Reason("input", "a JSONL/Parquet record has no non-empty `text` or `html` field"),
    "truncated": Reason("input", "the file ends mid-stream (cut gzip, cut WARC); the records before the cut "
                                 "were read"),
    "unreadable": Reason("input", "the operating system refused to read the file (permissions, vanished)"),
    "read_error": Reason("input", "the file's format library could not read it (a broken Parquet footer...)"),
    "html_parse_error": Reason("input", "no HTML document could be parsed from the markup"),
    "unsupported_format": Reason("input", "no reader for the file's suffix"),
    "not_found": Reason("input", "an INPUT path that does not exist"),
    # the limits (options)
    "too_large": Reason("limit", "the record is over max_page_bytes (never read whole into memory)"),
    "too_deep": Reason("limit", "HTML elements nest deeper than max_html_depth"),
    "timeout": Reason("limit", "HTML extraction took longer than html_timeout seconds (the worker is killed)"),
    # failures while cleaning
    "cleaning_error": Reason("fault", "the cleaner raised on this page (a bug: please report it with the page)"),
    "extraction_crash": Reason("fault", "the HTML extraction process died on this page (parser crash, out of "
                                        "memory)"),
    "shard_failed": Reason("fault", "the cleaning task holding this file failed after its retries; nothing of "
                                    "the file was kept and the next run retries it"),
    # by design
    "hidden_file": Reason("skipped", "a dot-file inside an INPUT folder (pass it as INPUT to read it)"),
    "hidden_directory": Reason("skipped", "a dot-folder inside an INPUT folder"),
    "duplicate_input": Reason("skipped", "the same bytes under the same name twice (or a folder linked twice)"),
    "http_status": Reason("skipped", "a WARC response with a non-2xx HTTP status (error pages, redirects)"),
    # the content
    "empty_after_cleaning": Reason("content", "no article of min_article_words words was left after chrome "
                                              "removal"),
}

#: Kinds that ``--strict`` fails a run for: something that should have been read was not.
STRICT_KINDS = frozenset({"input", "limit", "fault"})


def kind_of(reason: str) -> Kind:
    """The kind of a reason; an unknown one counts as a fault (it is a bug that it is not listed)."""
    entry = REJECTIONS.get(reason)
    return entry.kind if entry else "fault"


def strict_failures(rejected_by_reason: dict[str, int]) -> dict[str, int]:
    """The counts ``--strict`` fails on."""
    return {r: n for r, n in rejected_by_reason.items() if kind_of(r) in STRICT_KINDS and n}
