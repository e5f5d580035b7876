"""The explicit pyarrow schemas of the output datasets, and the rows that fill them.

Written out field by field (never inferred from a first batch) so that every
run, every shard and every reader sees the same types, including for empty
outputs. CONTRACT.md columns come first; the rest are this project's
extensions, documented in the README.
"""
from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..model import Article, Rejection, RemovedLine

_ARTICLE_FIELDS = [
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("record", pa.string()),
    pa.field("segment", pa.string(), nullable=False),
    pa.field("position", pa.int32(), nullable=False),
    pa.field("title", pa.string()),
    pa.field("text", pa.string(), nullable=False),
    pa.field("cluster_id", pa.string(), nullable=False),
    pa.field("page_id", pa.string(), nullable=False),
    pa.field("site", pa.string()),
    pa.field("section", pa.string()),
    pa.field("author", pa.string()),
    pa.field("published", pa.date32()),
    pa.field("published_raw", pa.string()),
    pa.field("url", pa.string()),
    pa.field("language", pa.string()),
    pa.field("fetched", pa.string()),
    pa.field("n_words", pa.int32(), nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
]

ARTICLES = pa.schema(_ARTICLE_FIELDS)

DUPLICATES = pa.schema(_ARTICLE_FIELDS + [
    pa.field("duplicate_of", pa.string(), nullable=False),
    pa.field("similarity", pa.float64(), nullable=False),
    pa.field("containment", pa.float64(), nullable=False),
])

REJECTED = pa.schema([
    pa.field("source", pa.string(), nullable=False),
    pa.field("record", pa.string()),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("detail", pa.string(), nullable=False),
    pa.field("page_id", pa.string()),
    pa.field("run_id", pa.string(), nullable=False),
])

REMOVED = pa.schema([
    pa.field("page_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("record", pa.string()),
    pa.field("line_no", pa.int32(), nullable=False),
    pa.field("text", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("article_id", pa.string()),
    pa.field("run_id", pa.string(), nullable=False),
])

#: Name of each dataset under the output directory, with its schema.
DATASETS: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "duplicates": DUPLICATES,
    "rejected": REJECTED,
    "removed": REMOVED,
}


#: The dedup index: every kept article's signature, so later runs dedup against it without the texts.
INDEX = pa.schema([
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("segment", pa.string(), nullable=False),
    pa.field("n_words", pa.int32(), nullable=False),
    pa.field("minhash", pa.binary(), nullable=False),  # num_perm little-endian uint32
    pa.field("shingles", pa.int32(), nullable=False),
])

#: The ledger of processed inputs: a content key per file and per record (or rejection) already accounted for.
LEDGER = pa.schema([
    pa.field("key", pa.binary(16), nullable=False),
    pa.field("kind", pa.string(), nullable=False),  # file | record | rejection
    pa.field("source", pa.string(), nullable=False),
    pa.field("record", pa.string()),
    pa.field("run_id", pa.string(), nullable=False),
])

#: Datasets of the snapshot that are the tool's own state, not output (underscore: readers skip them).
INTERNAL: dict[str, pa.Schema] = {"_index": INDEX, "_ledger": LEDGER}


def article_row(article: Article, run_id: str) -> dict[str, Any]:
    row = {
        "article_id": article.article_id, "source": article.source, "record": article.record,
        "segment": article.segment, "position": article.position, "title": article.title,
        "text": article.text, "cluster_id": article.cluster_id or article.article_id,
        "page_id": article.page_id, "site": article.site, "section": article.section,
        "author": article.author, "published": article.published,
        "published_raw": article.published_raw, "url": article.url,
        "language": article.language, "fetched": article.fetched,
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
