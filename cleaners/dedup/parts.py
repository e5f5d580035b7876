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
from ..io.schema import ARTICLES
from ..io.writer import StagingArea
from .deduplicate import Found, find_duplicates, priority_order
from .index import Earlier, index_table, open_index
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
    """Cluster this run's articles, against every article earlier runs kept; write ``articles``,
    ``duplicates`` and this run's ``_index`` partition; return the counts.

    Earlier articles rank first (they are published, so they stay kept); a new
    article that duplicates one of them names its ``article_id``.
    """
    heads = [pq.read_table(p, columns=["article_id", "segment", "n_words"]) for p in paths]
    offsets = np.cumsum([0] + [t.num_rows for t in heads])
    ids = pa.chunked_array([t.column("article_id") for t in heads], pa.string()).combine_chunks()
    segments = pa.chunked_array([t.column("segment") for t in heads], pa.string()).combine_chunks()
    words = np.concatenate([t.column("n_words").to_numpy() for t in heads] + [np.zeros(0, np.int32)]).astype(np.int64)
    del heads
    new_order = priority_order(segments, words, ids)
    new_sigs, new_sizes = _ranked_signatures(paths, offsets, new_order, config.num_perm)

    index = open_index(area.index, area.previous, area.dataset_id, config)
    earlier = index.earlier(new_sigs) if len(new_sigs) else Earlier.empty(config.num_perm)
    fixed = len(earlier)
    old_order = priority_order(earlier.segments, earlier.words, earlier.ids)
    sigs, sizes = new_sigs, new_sizes
    if fixed:  # one combined array, earlier rows first: no second permuted copy of the earlier ones
        sigs = np.empty((fixed + len(new_sigs), config.num_perm), dtype=np.uint32)
        np.take(earlier.sigs, old_order, axis=0, out=sigs[:fixed])
        sigs[fixed:] = new_sigs
        sizes = np.concatenate([earlier.sizes[old_order], new_sizes])
        earlier.sigs = earlier.sigs[:0]
    ranked_words = np.concatenate([earlier.words[old_order], words[new_order]])
    order = np.concatenate([np.arange(fixed, dtype=np.int64), fixed + new_order])
    del new_sigs, new_sizes
    found = find_duplicates(sigs, sizes, ranked_words, order, config, fixed=fixed)
    del sigs, sizes
    kept_of_new = found.kept[fixed:]  # in combined numbering: < fixed is an earlier article
    all_ids = pa.concat_arrays([earlier.ids.take(pa.array(old_order)), ids]) if fixed else ids
    is_duplicate = found.is_duplicate[fixed:]
    _write_verdicts(paths, offsets, all_ids, found, fixed, area)
    kept_segments = Counter(pc.filter(segments, pa.array(~is_duplicate)).to_pylist())
    return {**asdict(found.stats), "kept": found.stats.articles - found.stats.duplicates,
            "earlier_articles_compared": fixed,
            "duplicates_of_earlier_runs": int((kept_of_new < fixed).sum()),
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


def _write_verdicts(paths: Sequence[str], offsets: np.ndarray, all_ids: pa.Array, found: Found, fixed: int,
                    area: StagingArea) -> None:
    """Rows back out part by part; ``found`` numbers the ``fixed`` earlier articles first, then this run's."""
    is_duplicate = found.is_duplicate
    for path, lo, hi in zip(paths, offsets[:-1] + fixed, offsets[1:] + fixed):
        table = pq.read_table(path, columns=ARTICLES.names + [SIGNATURE, SHINGLES])
        kept, duplicate = pa.array(found.kept[lo:hi]), is_duplicate[lo:hi]
        table = table.set_column(table.schema.get_field_index("cluster_id"), "cluster_id", all_ids.take(kept))
        part = Path(path).stem.removeprefix("articles-")
        if not duplicate.all():
            fresh = table.filter(pa.array(~duplicate))
            area.write("articles", fresh.select(ARTICLES.names), part)
            area.write("_index", index_table(fresh.column("article_id"), fresh.column("segment"),
                                             fresh.column("n_words"), fresh.column(SIGNATURE),
                                             fresh.column(SHINGLES)), part)
        if duplicate.any():
            dups = (table.select(ARTICLES.names).filter(pa.array(duplicate))
                    .append_column("duplicate_of", all_ids.take(pa.array(found.kept[lo:hi][duplicate])))
                    .append_column("similarity", pa.array(found.similarity[lo:hi][duplicate]))
                    .append_column("containment", pa.array(found.containment[lo:hi][duplicate])))
            area.write("duplicates", dups, part)
