"""Near-duplicate articles: sketches, candidates, verified pairs, groups, the kept copy.

The stages, each its own module: the method (:mod:`.seam`; today
:mod:`.minhash_lsh`: datasketch-equal MinHash of the whole text and of its
lead, banded), verification (:mod:`.verify`), the grouping in priority order
(:mod:`.group`). This module orders articles by priority and maps the results
back.

Two entry points: :func:`find_duplicates` works on columns only (sketches,
word counts, segments, ids), so the pipeline can hold a million articles as
about a kilobyte each instead of as objects with their text;
:func:`deduplicate` is the same on a list of :class:`Article` objects. The
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
from .group import Groups, group
from .lsh import pairs_from_keys
from .seam import DedupMethod, Sketches, method_for
from .verify import Thresholds


@dataclass(frozen=True, slots=True)
class DedupStats:
    articles: int
    candidate_pairs: int
    verified_pairs: int
    clusters_with_duplicates: int
    duplicates: int
    joined_through_a_copy: int


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


def find_duplicates(ranked: Sketches, ranked_words: np.ndarray, order: np.ndarray, config: CleanConfig,
                    fixed: int = 0, method: DedupMethod | None = None) -> Found:
    """Groups of articles given in priority order (``ranked[...][r]`` is article ``order[r]``).

    Taking them already ranked lets the caller fill each sketch array in
    place instead of holding a second, permuted copy (512 MB per million
    signatures). The result is in the original order. The first ``fixed``
    ranked rows are articles kept by earlier runs (``order`` maps them to
    themselves): they stay kept, and the stats count only the other rows.
    """
    method = method or method_for(config)
    n = len(order)
    pairs = pairs_from_keys(method.candidate_keys(ranked))
    if fixed:
        pairs = pairs[pairs[:, 1] >= fixed]  # two earlier articles are never compared again
    levels = thresholds(config)
    edges = method.verify(ranked, ranked_words, pairs, levels)
    found = group(n, edges, lambda hops: method.verify(ranked, ranked_words, hops, levels.floors()), fixed)
    return unrank(found, order, fixed, len(pairs), len(edges))


def unrank(found: Groups, order: np.ndarray, fixed: int, candidates: int, verified: int) -> Found:
    """Groups of ranked rows back in the original order, with the step's counts."""
    n = len(order)
    kept = np.empty(n, dtype=np.int64)
    kept[order] = order[found.kept]
    similarity = np.empty(n)
    similarity[order] = found.similarity
    containment = np.empty(n)
    containment[order] = found.containment
    duplicate = found.kept != np.arange(n)
    stats = DedupStats(n - fixed, candidates, verified, len(np.unique(found.kept[duplicate])),
                       int(duplicate.sum()), found.hops)
    return Found(kept, similarity, containment, stats)


def deduplicate(articles: list[Article], config: CleanConfig) -> tuple[list[Article], list[Article], DedupStats]:
    """Split articles into (kept, duplicates), each in priority order; set cluster_id, duplicate_of,
    similarity, containment."""
    order = priority_order([a.segment for a in articles], np.array([a.n_words for a in articles], dtype=np.int64),
                           [a.article_id for a in articles])
    ranked = [articles[i] for i in order]
    method = method_for(config)
    sketches = method.arrays(method.sign([a.text for a in ranked]))
    words = np.fromiter((a.n_words for a in ranked), dtype=np.int64, count=len(ranked))
    found = find_duplicates(sketches, words, order, config, method=method)

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
