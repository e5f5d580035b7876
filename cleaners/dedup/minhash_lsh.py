"""Near-duplicate articles: MinHash signatures, LSH candidates, verification, clusters.

datasketch's MinHashLSH returns *candidates*, some below the threshold (its
own documentation says so), so every candidate pair is verified before it
merges anything:

* estimated Jaccard >= ``jaccard_threshold``: an edited or re-formatted copy;
* or estimated containment of the shorter in the longer >= ``containment_threshold``
  (with at least ``min_containment_words`` words): a teaser or an excerpt. The
  containment follows from the Jaccard estimate and the exact shingle-set sizes:
  ``|A∩B| = J·(|A|+|B|)/(1+J)``.

LSH is tuned for the lower ``lsh_threshold`` so that teasers, whose Jaccard to
the full story is low, still become candidates.

Clusters are built greedily around kept articles, in a deterministic priority
order (a page's own article, then the longer text, then the id): each kept
article takes the unassigned articles verified against *it*. So every
duplicate is verified-similar to the very article it names, never merged
through a chain, and the result does not depend on input order.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from ..config import CleanConfig
from ..model import SEGMENT_RANK, Article
from .shingles import word_shingles


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


def signatures(texts: Sequence[str], config: CleanConfig) -> tuple[list[MinHash], list[int]]:
    """datasketch MinHash signatures of the texts, with each text's shingle-set size."""
    sigs, sizes = [], []
    for text in texts:
        shingles = word_shingles(text, config.shingle_words)
        sig = MinHash(num_perm=config.num_perm, seed=1)
        sig.update_batch(list(shingles))
        sigs.append(sig)
        sizes.append(len(shingles))
    return sigs, sizes


def similarity(sig_a: MinHash, size_a: int, sig_b: MinHash, size_b: int) -> tuple[float, float]:
    """(estimated Jaccard, estimated containment of the smaller set in the larger)."""
    jaccard = float(sig_a.jaccard(sig_b))
    smaller = min(size_a, size_b)
    if smaller == 0:
        return jaccard, 0.0
    overlap = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return jaccard, min(1.0, overlap / smaller)


def deduplicate(articles: list[Article], config: CleanConfig) -> tuple[list[Article], list[Article], DedupStats]:
    """Split articles into (kept, duplicates); set cluster_id, duplicate_of, similarity, containment."""
    order = sorted(range(len(articles)), key=lambda i: priority(articles[i]))
    ranked = [articles[i] for i in order]
    sigs, sizes = signatures([a.text for a in ranked], config)
    words = [a.n_words for a in ranked]

    lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
    for i, sig in enumerate(sigs):
        lsh.insert(i, sig, check_duplication=False)

    neighbours: dict[int, dict[int, tuple[float, float]]] = {}
    candidates = verified = 0
    for i, sig in enumerate(sigs):
        for j in lsh.query(sig):
            if j <= i:
                continue
            candidates += 1
            jac, cont = similarity(sig, sizes[i], sigs[j], sizes[j])
            teaser_ok = cont >= config.containment_threshold and min(words[i], words[j]) >= config.min_containment_words
            if jac >= config.jaccard_threshold or teaser_ok:
                verified += 1
                neighbours.setdefault(i, {})[j] = (jac, cont)

    kept: list[Article] = []
    duplicates: list[Article] = []
    assigned: set[int] = set()
    clusters_with_dups = 0
    for i, article in enumerate(ranked):
        if i in assigned:
            continue
        assigned.add(i)
        article.cluster_id = article.article_id
        kept.append(article)
        members = sorted(j for j in neighbours.get(i, {}) if j not in assigned)
        clusters_with_dups += bool(members)
        for j in members:
            assigned.add(j)
            dup = ranked[j]
            dup.cluster_id = dup.duplicate_of = article.article_id
            dup.similarity, dup.containment = neighbours[i][j]
            duplicates.append(dup)
    stats = DedupStats(len(articles), candidates, verified, clusters_with_dups, len(duplicates))
    return kept, duplicates, stats
