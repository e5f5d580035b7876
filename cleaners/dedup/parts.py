"""Dedup over the part files the cleaning tasks wrote: columns in, verdicts out, never all texts at once.

The cleaning tasks sign their articles while the texts are in memory
(:func:`with_signatures`) and write them to scratch part files. This step
then holds only columns: ids, segments and word counts to rank every
article, and the signatures read straight into their ranked rows (~600
bytes an article, so a million fit in 0.6 GB; no second, permuted copy). It
writes the rows back part by part, in input order, each part read once more
with its verdicts attached.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..config import CleanConfig
from ..io.schema import ARTICLES, DUPLICATES
from ..io.writer import StagingArea
from .deduplicate import Found, find_duplicates, priority_order
from .minhash import signatures

#: Scratch-only columns: the signature (num_perm little-endian uint32 as one fixed-size binary) and the
#: distinct-shingle count containment needs.
SIGNATURE, SHINGLES = "minhash", "shingles"


def with_signatures(table: pa.Table, config: CleanConfig) -> pa.Table:
    """The articles of ``table`` (schema :data:`ARTICLES`) with their signature columns appended."""
    sigs, sizes = signatures(table.column("text").to_pylist(), config.num_perm, config.shingle_words,
                             hash_name=config.shingle_hash)
    minhash = pa.FixedSizeBinaryArray.from_buffers(pa.binary(config.num_perm * 4), len(sigs),
                                                   [None, pa.py_buffer(sigs.tobytes())])
    return table.append_column(SIGNATURE, minhash).append_column(SHINGLES, pa.array(sizes, pa.int32()))


def dedup_parts(paths: Sequence[str], area: StagingArea, config: CleanConfig) -> dict[str, Any]:
    """Cluster the articles of all scratch parts; write ``articles`` and ``duplicates``; return the counts."""
    heads = [pq.read_table(p, columns=["article_id", "segment", "n_words"]) for p in paths]
    offsets = np.cumsum([0] + [t.num_rows for t in heads])
    ids = pa.chunked_array([t.column("article_id") for t in heads], pa.string()).combine_chunks()
    segments = pa.chunked_array([t.column("segment") for t in heads], pa.string()).combine_chunks()
    words = np.concatenate([t.column("n_words").to_numpy() for t in heads] + [np.zeros(0, np.int32)])
    del heads
    order = priority_order(segments, words, ids)
    sigs, sizes = _ranked_signatures(paths, offsets, order, config.num_perm)
    found = find_duplicates(sigs, sizes, words[order].astype(np.int64), order, config)
    del sigs, sizes
    _write_verdicts(paths, offsets, ids, found, area)
    kept_segments = Counter(pc.filter(segments, pa.array(~found.is_duplicate)).to_pylist())
    return {**asdict(found.stats), "kept": found.stats.articles - found.stats.duplicates,
            "segments": dict(sorted(kept_segments.items()))}


def _ranked_signatures(paths: Sequence[str], offsets: np.ndarray, order: np.ndarray,
                       num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """Signatures and sizes with row ``r`` holding article ``order[r]``."""
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    sigs = np.empty((len(order), num_perm), dtype=np.uint32)
    sizes = np.empty(len(order), dtype=np.int32)
    for path, lo, hi in zip(paths, offsets[:-1], offsets[1:]):
        part = pq.read_table(path, columns=[SIGNATURE, SHINGLES])
        raw = part.column(SIGNATURE).combine_chunks()
        rows = np.frombuffer(raw.buffers()[1], dtype=np.uint32, count=(hi - lo) * num_perm,
                             offset=raw.offset * num_perm * 4)
        sigs[rank[lo:hi]] = rows.reshape(hi - lo, num_perm)
        sizes[rank[lo:hi]] = part.column(SHINGLES).to_numpy()
    return sigs, sizes


def _write_verdicts(paths: Sequence[str], offsets: np.ndarray, ids: pa.Array, found: Found,
                    area: StagingArea) -> None:
    is_duplicate = found.is_duplicate
    written: set[str] = set()
    for path, lo, hi in zip(paths, offsets[:-1], offsets[1:]):
        table = pq.read_table(path, columns=ARTICLES.names)
        kept, duplicate = found.kept[lo:hi], is_duplicate[lo:hi]
        table = table.set_column(table.schema.get_field_index("cluster_id"), "cluster_id", ids.take(pa.array(kept)))
        part = Path(path).stem.removeprefix("articles-")
        if not duplicate.all():
            area.write("articles", table.filter(pa.array(~duplicate)), part)
            written.add("articles")
        if duplicate.any():
            dups = (table.filter(pa.array(duplicate))
                    .append_column("duplicate_of", ids.take(pa.array(kept[duplicate])))
                    .append_column("similarity", pa.array(found.similarity[lo:hi][duplicate]))
                    .append_column("containment", pa.array(found.containment[lo:hi][duplicate])))
            area.write("duplicates", dups, part)
            written.add("duplicates")
    for dataset, schema in (("articles", ARTICLES), ("duplicates", DUPLICATES)):
        if dataset not in written:  # an empty dataset still has its schema on disk
            area.write(dataset, schema.empty_table(), "0")
