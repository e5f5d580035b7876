"""Near-duplicate articles: signatures, LSH candidates, verified clusters, the kept copy.

The stages, each its own module: :mod:`.minhash` (datasketch-equal MinHash
signatures in one compiled batch), :mod:`.lsh` (MinHashLSH's banding,
bucketed by sorting), :mod:`.cluster` (every candidate verified, verified
pairs joined, kept copy chosen, each duplicate checked against it). This
module maps articles onto them and writes the results back.

LSH is tuned for the low ``lsh_threshold`` so that teasers, whose Jaccard to
the full story is low, still become candidates; verification decides. The
kept copy is chosen in a fixed priority (:func:`priority`), so input order
never changes the result.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


def priority(article: Article) -> tuple[int, int, str]:
    """Sort key of the kept-copy choice: lower wins."""
    return SEGMENT_RANK[article.segment], -article.n_words, article.article_id


def thresholds(config: CleanConfig) -> Thresholds:
    return Thresholds(config.jaccard_threshold, config.containment_threshold, config.min_containment_words,
                      config.kept_jaccard_floor, config.kept_containment_floor)


def deduplicate(articles: list[Article], config: CleanConfig) -> tuple[list[Article], list[Article], DedupStats]:
    """Split articles into (kept, duplicates); set cluster_id, duplicate_of, similarity, containment."""
    ranked = sorted(articles, key=priority)
    sigs, sizes = signatures([a.text for a in ranked], config.num_perm, config.shingle_words,
                             hash_name=config.shingle_hash)
    words = np.fromiter((a.n_words for a in ranked), dtype=np.int64, count=len(ranked))
    pairs = candidate_pairs(sigs, config.lsh_threshold)
    found = cluster(sigs, sizes, words, pairs, thresholds(config))

    kept: list[Article] = []
    duplicates: list[Article] = []
    for i, article in enumerate(ranked):
        head = int(found.kept[i])
        article.cluster_id = ranked[head].article_id
        if head == i:
            kept.append(article)
        else:
            article.duplicate_of = ranked[head].article_id
            article.similarity = float(found.similarity[i])
            article.containment = float(found.containment[i])
            duplicates.append(article)
    with_dups = len({a.duplicate_of for a in duplicates})
    return kept, duplicates, DedupStats(len(articles), len(pairs), found.verified_pairs, with_dups, len(duplicates))
