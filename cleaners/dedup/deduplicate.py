"""Near-duplicate articles: signatures, LSH candidates, verified clusters, the kept copy.

The stages, each its own module: :mod:`.minhash` (datasketch-equal MinHash
signatures in one compiled batch), :mod:`.lsh` (MinHashLSH's banding,
bucketed by sorting), :mod:`.cluster` (every candidate verified, verified
pairs joined, kept copy chosen, each duplicate checked against it). This
module orders articles by priority and maps the results back.

Two entry points: :func:`find_duplicates` works on columns only (signatures,
sizes, word counts, segments, ids), so the pipeline can hold a million
articles as ~600 bytes each instead of as objects with their text;
:func:`deduplicate` is the same on a list of :class:`Article` objects.

LSH is tuned for the low ``lsh_threshold`` so that teasers, whose Jaccard to
the full story is low, still become candidates; verification decides. The
kept copy is chosen in a fixed priority (:func:`priority`), so input order
never changes the result.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import CleanConfig
from ..model import SEGMENT_RANK, Article
from .cluster import Thresholds, cluster
from .lsh import candidate_pairs
from .minhash import signatures


@dataclass(frozen=True, slots=True)
class DedupStats:
    articles: int
    candidate_pairs: int
    verified_pairs: int
    clusters_with_duplicates: int
    duplicates: int


@dataclass(slots=True)
class Found:
    """Per article, in the order given: the index of its kept copy (itself when kept) and the
    verified similarity and containment to it (1.0 for kept articles)."""

    kept: np.ndarray
    similarity: np.ndarray
    containment: np.ndarray
    stats: DedupStats

    @property
    def is_duplicate(self) -> np.ndarray:
        return self.kept != np.arange(len(self.kept))


def priority(article: Article) -> tuple[int, int, str]:
    """Sort key of the kept-copy choice: lower wins."""
    return SEGMENT_RANK[article.segment], -article.n_words, article.article_id


def priority_order(segments: pa.Array | Sequence[str], n_words: np.ndarray,
                   article_ids: pa.Array | Sequence[str]) -> np.ndarray:
    """Indices in :func:`priority` order, computed on columns (pyarrow's sort, no Python per row)."""
    ranks = pc.index_in(pa.array(segments, pa.string()), value_set=pa.array(list(SEGMENT_RANK)))
    table = pa.table({"rank": ranks, "words": pa.array(-np.asarray(n_words, dtype=np.int64)),
                      "id": pa.array(article_ids, pa.string())})
    keys = [("rank", "ascending"), ("words", "ascending"), ("id", "ascending")]
    return pc.sort_indices(table, sort_keys=keys).to_numpy().astype(np.int64)


def thresholds(config: CleanConfig) -> Thresholds:
    return Thresholds(config.jaccard_threshold, config.containment_threshold, config.min_containment_words,
                      config.kept_jaccard_floor, config.kept_containment_floor)


def find_duplicates(ranked_sigs: np.ndarray, ranked_sizes: np.ndarray, ranked_words: np.ndarray,
                    order: np.ndarray, config: CleanConfig, fixed: int = 0) -> Found:
    """Clusters of signatures given in priority order (``ranked_*[r]`` is article ``order[r]``).

    Taking them already ranked lets the caller fill one signature array in
    place instead of holding a second, permuted copy (512 MB per million).
    The result is in the original order. The first ``fixed`` ranked rows are
    articles kept by earlier runs (``order`` maps them to themselves): they
    stay kept, and the stats count only the other rows.
    """
    pairs = candidate_pairs(ranked_sigs, config.lsh_threshold)
    if fixed:
        pairs = pairs[pairs[:, 1] >= fixed]  # two earlier articles are never compared again
    found = cluster(ranked_sigs, ranked_sizes, ranked_words, pairs, thresholds(config), fixed=fixed)
    n = len(order)
    kept = np.empty(n, dtype=np.int64)
    kept[order] = order[found.kept]
    similarity = np.empty(n)
    similarity[order] = found.similarity
    containment = np.empty(n)
    containment[order] = found.containment
    duplicate = found.kept != np.arange(n)
    stats = DedupStats(n - fixed, len(pairs), found.verified_pairs, len(np.unique(found.kept[duplicate])),
                       int(duplicate.sum()))
    return Found(kept, similarity, containment, stats)


def deduplicate(articles: list[Article], config: CleanConfig) -> tuple[list[Article], list[Article], DedupStats]:
    """Split articles into (kept, duplicates), each in priority order; set cluster_id, duplicate_of,
    similarity, containment."""
    order = priority_order([a.segment for a in articles], np.array([a.n_words for a in articles], dtype=np.int64),
                           [a.article_id for a in articles])
    ranked = [articles[i] for i in order]
    sigs, sizes = signatures([a.text for a in ranked], config.num_perm, config.shingle_words,
                             hash_name=config.shingle_hash)
    words = np.fromiter((a.n_words for a in ranked), dtype=np.int64, count=len(ranked))
    found = find_duplicates(sigs, sizes, words, order, config)

    kept: list[Article] = []
    duplicates: list[Article] = []
    for i in order:
        article, head = articles[i], articles[int(found.kept[i])]
        article.cluster_id = head.article_id
        if found.kept[i] == i:
            kept.append(article)
        else:
            article.duplicate_of = head.article_id
            article.similarity = float(found.similarity[i])
            article.containment = float(found.containment[i])
            duplicates.append(article)
    return kept, duplicates, found.stats
