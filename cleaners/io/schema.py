"""The explicit pyarrow schemas of the output datasets, and the rows that fill them.

Written out field by field (never inferred from a first batch) so that every
run, every shard and every reader sees the same types, including for empty
outputs. CONTRACT.md columns come first; the rest are this project's
extensions, documented in the README.

Every field carries a ``description`` in its Parquet field metadata, and
every schema says which dataset it is and which layout version
(:data:`SCHEMA_VERSION`), so a file found on its own explains itself and an
output written by an older version can be recognised and upgraded
(:func:`conform_table`, used by :mod:`cleaners.io.writer`). The README's
column tables say the same as the descriptions, word for word; a test
(``tests/io/test_schema.py``) holds them together, so edit both.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pyarrow as pa

from ..model import Article, Rejection, RemovedLine

#: Version of the column layout. 1: before field descriptions, ``fetched`` a string (no metadata in the
#: files, no ``schema_version`` in the manifest). 2: ``fetched`` a UTC timestamp, descriptions, this metadata.
SCHEMA_VERSION = 2
#: Schema-level metadata keys of every dataset file.
VERSION_KEY = "newsclean.schema_version"
DATASET_KEY = "newsclean.dataset"
#: Field-level metadata key of a column's meaning.
DESCRIPTION_KEY = "description"

#: The type of ``fetched``: an instant, kept in UTC.
FETCHED_TYPE = pa.timestamp("us", tz="UTC")


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={DESCRIPTION_KEY: description})


def _schema(dataset: str, fields: list[pa.Field]) -> pa.Schema:
    return pa.schema(fields, metadata={VERSION_KEY: str(SCHEMA_VERSION), DATASET_KEY: dataset})


_ARTICLE_FIELDS = [
    _field("article_id", pa.string(),
           "stable: hash of (source, record, content hash of the page, segment, position)", nullable=False),
    _field("source", pa.string(),
           "input path relative to the INPUT folder (its name when INPUT is a file); with several INPUTs, "
           "relative to the deepest folder that holds them all", nullable=False),
    _field("record", pa.string(),
           "record inside a multi-record file: the JSONL/Parquet id field, else its 0-based row; the "
           "WARC-Record-ID; null for .txt and .html"),
    _field("segment", pa.string(),
           "main, related (salvaged from a related block) or listing (a feed entry)", nullable=False),
    _field("position", pa.int32(), "order of the article within its page, from 0", nullable=False),
    _field("title", pa.string(), "the headline, not repeated in text"),
    _field("text", pa.string(), "the clean body, paragraphs separated by \\n", nullable=False),
    _field("cluster_id", pa.string(), "article_id of the cluster's kept article (its own id when unique)",
           nullable=False),
    _field("page_id", pa.string(), "stable id of the input page the article came from", nullable=False),
    _field("site", pa.string(), "the site a feed or related entry names in its header lines"),
    _field("section", pa.string(), "the section (tag lines) a feed or related entry names in its header lines"),
    _field("author", pa.string(), "from a byline"),
    _field("published", pa.date32(),
           "the record's published, the HTML's metadata, or a calendar date the text states"),
    _field("published_raw", pa.string(),
           'the date as given ("5 days ago", "07-05-2025", "2024-06-07T10:00:00Z")'),
    _field("url", pa.string(), "the record's url, the WARC-Target-URI, or the page's canonical URL"),
    _field("language", pa.string(), "HTML pages: the language trafilatura found, else <html lang>"),
    _field("fetched", FETCHED_TYPE,
           "when the page was fetched, in UTC: the WARC-Date of pages from WARC files (null for other inputs, "
           "and for a WARC-Date that is not ISO 8601)"),
    _field("n_words", pa.int32(), "words in text", nullable=False),
    _field("run_id", pa.string(), "the run that wrote the row", nullable=False),
]

_DUPLICATE_FIELDS = [
    _field("duplicate_of", pa.string(), "kept article's article_id", nullable=False),
    _field("similarity", pa.float64(), "verified estimated Jaccard similarity to the kept article",
           nullable=False),
    _field("containment", pa.float64(), "estimated share of the shorter text inside the longer", nullable=False),
]

ARTICLES = _schema("articles", _ARTICLE_FIELDS)

DUPLICATES = _schema("duplicates", _ARTICLE_FIELDS + _DUPLICATE_FIELDS)

REJECTED = _schema("rejected", [
    _field("source", pa.string(), "the input file (as in articles)", nullable=False),
    _field("record", pa.string(),
           "the record inside the file; null when the row stands for the whole file (a .txt, a truncation, "
           "an unreadable file, a file with no record)"),
    _field("reason", pa.string(),
           "a machine-readable cause, one of the codes in cleaners/reasons.py (What happens to bad input)",
           nullable=False),
    _field("detail", pa.string(), "what exactly went wrong and, where it helps, which option to change",
           nullable=False),
    _field("page_id", pa.string(),
           "set when the record was read as a page and then rejected (empty_after_cleaning, timeout, ...)"),
    _field("run_id", pa.string(), "the run that wrote the row", nullable=False),
])

REMOVED = _schema("removed", [
    _field("page_id", pa.string(), "the page the line was removed from", nullable=False),
    _field("source", pa.string(), "the input file (as in articles)", nullable=False),
    _field("record", pa.string(), "the record inside the file (as in articles)"),
    _field("line_no", pa.int32(),
           "0-based line of the page; for HTML, the removed element's line in the HTML source, or the line "
           "of the extracted text (HTML pages)", nullable=False),
    _field("text", pa.string(), "the removed line (for glued_promo, only the cut tail)", nullable=False),
    _field("reason", pa.string(), "the rule that removed it (What was removed, and why)", nullable=False),
    _field("article_id", pa.string(), "the article the text was cut from; null for page chrome"),
    _field("run_id", pa.string(), "the run that wrote the row", nullable=False),
])

#: Name of each dataset under the output directory, with its schema.
DATASETS: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "duplicates": DUPLICATES,
    "rejected": REJECTED,
    "removed": REMOVED,
}


#: The dedup index: every kept article's signature, so later runs dedup against it without the texts.
INDEX = _schema("_index", [
    _field("article_id", pa.string(), "a kept article's article_id", nullable=False),
    _field("segment", pa.string(), "its segment, which ranks it among copies (main, listing, related)",
           nullable=False),
    _field("n_words", pa.int32(), "words in its text", nullable=False),
    _field("minhash", pa.binary(), "its MinHash signature: num_perm little-endian uint32", nullable=False),
    _field("shingles", pa.int32(), "distinct shingles in its text (for containment)", nullable=False),
    _field("lead_minhash", pa.binary(), "the MinHash signature of its lead (first prose words; finds teasers): "
           "num_perm little-endian uint32; null when the run signed no leads (lead_words 0)"),
])

#: The ledger of processed inputs: a content key per file and per record (or rejection) already accounted for.
LEDGER = _schema("_ledger", [
    _field("key", pa.binary(16), "128-bit BLAKE2b content key of what was taken", nullable=False),
    _field("kind", pa.string(),
           "file, record or rejection: what the key is over; provisional: the key of a rejected row a later "
           "read of its file may replace; supersedes: the key of an earlier rejected row this run replaced; "
           "limits: the key of a file some of whose records limits stopped",
           nullable=False),
    _field("source", pa.string(), "the input file (as in articles)", nullable=False),
    _field("record", pa.string(),
           "the record inside the file; null for a file key or a file-level row; for a provisional entry, when "
           "it is replaced: any (any later read of the file), or prefix SIZE FILEKEY [OPTION=VALUE] (a read whose "
           "first SIZE bytes are the file read then; for a limit row, with another value of the option); for a "
           "limits entry, OPTION=VALUE of each limit that stopped a record (only a higher value reads it again)"),
    _field("run_id", pa.string(), "the run that took it", nullable=False),
])

#: Datasets of the snapshot that are the tool's own state, not output (underscore: readers skip them).
INTERNAL: dict[str, pa.Schema] = {"_index": INDEX, "_ledger": LEDGER}


def schema_of(dataset: str) -> pa.Schema:
    """The current schema of an output or internal dataset (KeyError for a name this version does not know)."""
    return DATASETS.get(dataset) or INTERNAL[dataset]


def schema_version(schema: pa.Schema) -> int:
    """The layout version a file's schema says it has; files before version 2 say nothing: 1."""
    raw = (schema.metadata or {}).get(VERSION_KEY.encode())
    try:
        return int(raw) if raw is not None else 1
    except ValueError:
        return 1


def type_name(type_: pa.DataType) -> str:
    """A column type as the README's tables write it (``string``, ``int32``, ``timestamp[us, UTC]``...)."""
    if pa.types.is_timestamp(type_):
        return f"timestamp[{type_.unit}, {type_.tz}]" if type_.tz else f"timestamp[{type_.unit}]"
    if pa.types.is_fixed_size_binary(type_):
        return f"binary({type_.byte_width})"
    return {"double": "float64", "date32[day]": "date32"}.get(str(type_), str(type_))


def column_rows(schema: pa.Schema) -> list[tuple[str, str, str]]:
    """(name, type as the README writes it, description) of every field: what the README tables render."""
    return [(f.name, type_name(f.type) + (", null" if f.nullable else ""),
             (f.metadata or {}).get(DESCRIPTION_KEY.encode(), b"").decode("utf-8")) for f in schema]


# ------------------------------------------------------------------ values
#: W3C-DTF, the ISO 8601 profile WARC-Date uses: 2024-05-01, 2024-05-01T12:00Z, 2024-05-01T12:00:00.123456789Z,
#: with a zone offset or none (WARC dates are UTC). Also the 14 digits of ARC files' dates.
_W3C_DATE = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"\s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?)?)?)?")
_ARC_DATE = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})(?P<hour>\d{2})(?P<minute>\d{2})"
                       r"(?P<second>\d{2})")


def parse_fetched(value: str | None) -> datetime | None:
    """A WARC-Date as a UTC datetime, or None when there is none or it does not parse (never an exception).

    The page keeps the raw string (:attr:`cleaners.model.Page.fetched`): the
    ledger's content keys hash it, so parsing it there would make every
    earlier WARC record look new. Parsed by hand rather than with
    ``datetime.fromisoformat``, which takes neither ``Z`` nor nanoseconds
    before Python 3.11. Fractions beyond microseconds are cut; no zone means
    UTC (WARC-Date is UTC by definition).
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _W3C_DATE.fullmatch(text) or _ARC_DATE.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    zone = parts.get("zone") or ""
    offset = timedelta(0)
    if zone and zone.upper() != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        offset = -offset if zone[0] == "-" else offset
    fraction = (parts.get("fraction") or "").ljust(6, "0")[:6]
    try:
        stamp = datetime(int(parts["year"]), int(parts["month"] or 1), int(parts["day"] or 1),
                         int(parts["hour"] or 0), int(parts["minute"] or 0), int(parts["second"] or 0),
                         int(fraction), tzinfo=timezone(offset))
        return stamp.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # month 13, hour 25, an offset of a day or more, year 0 shifted below 1
        return None


# ------------------------------------------------------------------ rows
def article_row(article: Article, run_id: str) -> dict[str, Any]:
    """One ``articles`` (or ``duplicates``) row; ``fetched`` is parsed from the page's raw WARC-Date here."""
    row: dict[str, Any] = {
        "article_id": article.article_id, "source": article.source, "record": article.record,
        "segment": article.segment, "position": article.position, "title": article.title,
        "text": article.text, "cluster_id": article.cluster_id or article.article_id,
        "page_id": article.page_id, "site": article.site, "section": article.section,
        "author": article.author, "published": article.published,
        "published_raw": article.published_raw, "url": article.url,
        "language": article.language, "fetched": parse_fetched(article.fetched),
        "n_words": article.n_words, "run_id": run_id,
    }
    if article.duplicate_of is not None:
        row |= {"duplicate_of": article.duplicate_of, "similarity": article.similarity,
                "containment": article.containment}
    return row


def rejected_row(rejection: Rejection, run_id: str) -> dict[str, Any]:
    return {"source": rejection.source, "record": rejection.record, "reason": rejection.reason,
            "detail": rejection.detail, "page_id": rejection.page_id, "run_id": run_id}


def removed_row(removed: RemovedLine, run_id: str) -> dict[str, Any]:
    return {"page_id": removed.page_id, "source": removed.source, "record": removed.record,
            "line_no": removed.line_no, "text": removed.text, "reason": removed.reason,
            "article_id": removed.article_id, "run_id": run_id}


def to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


# ------------------------------------------------------------------ older layouts
class SchemaMismatch(ValueError):
    """A file's columns cannot be brought to the current schema without losing something."""


def conform_table(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``: its types, its order, its descriptions and version metadata.

    Used on what an older version wrote (:mod:`cleaners.io.writer` rewrites
    such files when it builds a new snapshot) and on every table a run
    writes, so every file carries the current metadata. ``fetched`` written
    as a string (version 1) is parsed like a new row's
    (:func:`parse_fetched`), so a value that is no date becomes null as it
    would in a new row (the WARC header it came from is not kept either);
    other type changes are arrow's safe casts. A column missing from the
    file is null if the schema allows it; a column the schema does not
    know, or a value a safe cast would change, raises :class:`SchemaMismatch`.
    """
    if table.schema.equals(schema, check_metadata=True):
        return table
    extra = [name for name in table.column_names if schema.get_field_index(name) < 0]
    if extra:
        raise SchemaMismatch(f"columns {', '.join(extra)} are not in the current schema of "
                             f"{(schema.metadata or {}).get(DATASET_KEY.encode(), b'?').decode()}")
    columns = []
    for field in schema:
        if field.name not in table.column_names:
            if not field.nullable:
                raise SchemaMismatch(f"column {field.name} is missing and may not be null")
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table.column(field.name)
        if column.type.equals(field.type):
            columns.append(column)
        elif pa.types.is_timestamp(field.type) and (pa.types.is_string(column.type)
                                                    or pa.types.is_large_string(column.type)):
            columns.append(pa.array([parse_fetched(v) for v in column.to_pylist()], field.type))
        else:
            try:
                columns.append(column.cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise SchemaMismatch(f"column {field.name}: {column.type} does not cast to {field.type}: "
                                     f"{exc}") from exc
    return pa.Table.from_arrays(columns, schema=schema)
