"""Dedup over the part files the cleaning tasks wrote: columns in, verdicts out, never all texts at once.

The cleaning tasks sketch their articles while the texts are in memory
(:func:`with_signatures`: the method's columns, :mod:`.seam`) and write them
to scratch part files. This step then holds only columns: ids, segments and
word counts to rank every article, and the sketches read straight into their
ranked rows (about 1.1 KB an article with the whole-text and lead
signatures; no second, permuted copy). It
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

from ..config import CleanConfig
from ..io.schema import ARTICLES
from ..io.writer import StagingArea
from ..store.files import read_parquet
from .deduplicate import Found, find_duplicates, priority_order, thresholds, unrank
from .index import Earlier, EmbeddedIndex, index_table, open_index
from .minhash_lsh import SHINGLES, SIGNATURE
from .seam import DedupMethod, Sketches, empty_sketches, method_for

__all__ = ["SHINGLES", "SIGNATURE", "dedup_parts", "with_signatures"]


def with_signatures(table: pa.Table, config: CleanConfig) -> pa.Table:
    """The articles of ``table`` (schema :data:`ARTICLES`) with the method's sketch columns appended."""
    for name, column in method_for(config).sign(table.column("text").to_pylist()).items():
        table = table.append_column(name, column)
    return table


def dedup_parts(paths: Sequence[str], area: StagingArea, config: CleanConfig, client: Any = None) -> dict[str, Any]:
    """Cluster this run's articles, against every article earlier runs kept; write ``articles``,
    ``duplicates`` and this run's ``_index`` partition; return the counts.

    Earlier articles rank first (they are published, so they stay kept); a new
    article that duplicates one of them names its ``article_id``. With a Dask
    ``client`` (and the embedded index) the sketches are never read here: the
    cluster computes the same groups (:mod:`.distributed`). A Redis index
    answers queries with sketches in hand, so with it the step stays local.
    """
    heads = [read_parquet(p, columns=["article_id", "segment", "n_words"]) for p in paths]
    offsets = np.cumsum([0] + [t.num_rows for t in heads])
    ids = pa.chunked_array([t.column("article_id") for t in heads], pa.string()).combine_chunks()
    segments = pa.chunked_array([t.column("segment") for t in heads], pa.string()).combine_chunks()
    words = np.concatenate([t.column("n_words").to_numpy() for t in heads] + [np.zeros(0, np.int32)]).astype(np.int64)
    del heads
    new_order = priority_order(segments, words, ids)
    method = method_for(config)
    index = open_index(area.index, area.previous, area.dataset_id, config)
    if client is not None and isinstance(index, EmbeddedIndex) and len(new_order):
        earlier, found, extra = _on_cluster(client, index, paths, offsets, words, new_order, method, config)
        return _finish(paths, offsets, ids, segments, earlier, found, area, method, extra)
    new = _ranked_sketches(paths, offsets, new_order, method)
    earlier = index.earlier(new) if len(new_order) else Earlier.empty(method)
    fixed = len(earlier)
    old_order = priority_order(earlier.segments, earlier.words, earlier.ids)
    sketches = new
    if fixed:  # one combined array each, earlier rows first: no second permuted copy of the earlier ones
        sketches = {}
        for name, column in new.items():
            both = np.empty((fixed + len(column), *column.shape[1:]), dtype=column.dtype)
            np.take(earlier.sketches[name], old_order, axis=0, out=both[:fixed])
            both[fixed:] = column
            sketches[name] = both
        earlier.sketches = {}
    ranked_words = np.concatenate([earlier.words[old_order], words[new_order]])
    order = np.concatenate([np.arange(fixed, dtype=np.int64), fixed + new_order])
    del new
    found = find_duplicates(sketches, ranked_words, order, config, fixed=fixed, method=method)
    del sketches
    return _finish(paths, offsets, ids, segments, earlier, found, area, method, {})


def _finish(paths: Sequence[str], offsets: np.ndarray, ids: pa.Array, segments: pa.Array, earlier: Earlier,
            found: Found, area: StagingArea, method: DedupMethod, extra: dict[str, Any]) -> dict[str, Any]:
    """Write the verdicts; the counts. ``found`` numbers the earlier articles first, in their priority order."""
    fixed = len(earlier)
    old_order = priority_order(earlier.segments, earlier.words, earlier.ids)
    kept_of_new = found.kept[fixed:]  # in combined numbering: < fixed is an earlier article
    all_ids = pa.concat_arrays([earlier.ids.take(pa.array(old_order)), ids]) if fixed else ids
    is_duplicate = found.is_duplicate[fixed:]
    _write_verdicts(paths, offsets, all_ids, found, fixed, area, method)
    kept_segments = Counter(pc.filter(segments, pa.array(~is_duplicate)).to_pylist())
    return {**asdict(found.stats), "kept": found.stats.articles - found.stats.duplicates,
            "earlier_articles_compared": fixed,
            "duplicates_of_earlier_runs": int((kept_of_new < fixed).sum()),
            "segments": dict(sorted(kept_segments.items())), **extra}


def _on_cluster(client: Any, index: EmbeddedIndex, paths: Sequence[str], offsets: np.ndarray, words: np.ndarray,
                new_order: np.ndarray, method: DedupMethod, config: CleanConfig) -> tuple[Earlier, Found, dict[str, Any]]:
    """The groups computed on the Dask cluster: earlier index files and this run's parts are its partitions."""
    from .distributed import Source, find_duplicates_on_dask

    earlier, files = index.heads()
    fixed = len(earlier)
    old_order = priority_order(earlier.segments, earlier.words, earlier.ids)
    old_rank, new_rank = _inverse(old_order), fixed + _inverse(new_order)
    sources, lo = [], 0
    for path, rows in files:
        sources.append(Source(path, old_rank[lo:lo + rows], earlier.words[lo:lo + rows]))
        lo += rows
    sources += [Source(str(path), new_rank[a:b], words[a:b]) for path, a, b in zip(paths, offsets[:-1], offsets[1:])]
    order = np.concatenate([np.arange(fixed, dtype=np.int64), fixed + new_order])
    found = find_duplicates_on_dask(client, sources, len(order), fixed, method, thresholds(config))
    return earlier, unrank(found.groups, order, fixed, found.candidate_pairs, found.verified_pairs), {
        "sketches_per_worker": found.sketches_per_worker, "sketches_largest_task": found.sketches_largest_task}


def _inverse(order: np.ndarray) -> np.ndarray:
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank


def _ranked_sketches(paths: Sequence[str], offsets: np.ndarray, order: np.ndarray,
                     method: DedupMethod) -> Sketches:
    """The method's sketch arrays with row ``r`` holding article ``order[r]``, filled part by part."""
    rank = _inverse(order)
    names = [f.name for f in method.fields()]
    out: Sketches = {}
    for path, lo, hi in zip(paths, offsets[:-1], offsets[1:]):
        part = read_parquet(path, columns=names)
        arrays = method.arrays({name: part.column(name) for name in names})
        for name, column in arrays.items():
            if name not in out:
                out[name] = np.empty((len(order), *column.shape[1:]), dtype=column.dtype)
            out[name][rank[lo:hi]] = column
    return out or empty_sketches(method)


def _write_verdicts(paths: Sequence[str], offsets: np.ndarray, all_ids: pa.Array, found: Found, fixed: int,
                    area: StagingArea, method: DedupMethod) -> None:
    """Rows back out part by part; ``found`` numbers the ``fixed`` earlier articles first, then this run's."""
    is_duplicate = found.is_duplicate
    sketch_names = [f.name for f in method.fields()]
    for path, lo, hi in zip(paths, offsets[:-1] + fixed, offsets[1:] + fixed):
        table = read_parquet(path, columns=ARTICLES.names + sketch_names)
        kept, duplicate = pa.array(found.kept[lo:hi]), is_duplicate[lo:hi]
        table = table.set_column(table.schema.get_field_index("cluster_id"), "cluster_id", all_ids.take(kept))
        part = Path(path).stem.removeprefix("articles-")
        if not duplicate.all():
            fresh = table.filter(pa.array(~duplicate))
            area.write("articles", fresh.select(ARTICLES.names), part)
            area.write("_index", index_table(fresh.column("article_id"), fresh.column("segment"),
                                             fresh.column("n_words"),
                                             {n: fresh.column(n).combine_chunks() for n in sketch_names}), part)
        if duplicate.any():
            dups = (table.select(ARTICLES.names).filter(pa.array(duplicate))
                    .append_column("duplicate_of", all_ids.take(pa.array(found.kept[lo:hi][duplicate])))
                    .append_column("similarity", pa.array(found.similarity[lo:hi][duplicate]))
                    .append_column("containment", pa.array(found.containment[lo:hi][duplicate])))
            area.write("duplicates", dups, part)
