"""From candidate pairs to clusters: verify every pair, join verified pairs, choose the kept copy.

1. **Verify** each LSH candidate on its signatures: estimated Jaccard >=
   ``jaccard_threshold`` (an edited or re-formatted copy), or estimated
   containment of the shorter in the longer >= ``containment_threshold`` with
   at least ``min_containment_words`` words (a teaser or an excerpt). The
   containment follows from the Jaccard estimate and the exact distinct-shingle
   counts: ``|A∩B| = J·(|A|+|B|)/(1+J)``. LSH candidates below both are dropped.
2. **Join** verified pairs into connected components: copies of one story
   link up even when two of them (a teaser and an edited copy) share little.
3. **Keep** the first member of each component in priority order (a page's own
   article over a listing entry over a related copy, then the longer text).
   Every other member becomes its duplicate only if it is itself similar to
   the kept copy at the looser ``kept_*_floor`` levels; members that are not
   start a cluster of their own, by the same rule. So a chain of pairs never
   merges two stories whose ends share nothing, and every duplicate row's
   similarity is measured against the very article it names.

Rows arrive in priority order, so "first" is the lowest index throughout.
The first ``fixed`` rows are articles kept by earlier runs: they are already
published, so they stay kept. Pairs between two of them are not verified and
none of them becomes a duplicate; a new article joins whichever of them it is
similar to first, by priority.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .minhash import jaccard


@dataclass(frozen=True, slots=True)
class Thresholds:
    jaccard: float = 0.5
    containment: float = 0.8
    min_containment_words: int = 40
    kept_jaccard_floor: float = 0.3
    kept_containment_floor: float = 0.6


@dataclass(slots=True)
class Clusters:
    """``kept[i]``: the row index of row i's kept copy (itself when kept); similarity to it."""

    kept: np.ndarray
    similarity: np.ndarray
    containment: np.ndarray
    verified_pairs: int


def similarity(sigs: np.ndarray, sizes: np.ndarray, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(estimated Jaccard, estimated containment of the smaller shingle set in the larger) per pair."""
    jac = jaccard(sigs[i], sigs[j])
    size_i, size_j = sizes[i].astype(np.float64), sizes[j].astype(np.float64)
    overlap = jac * (size_i + size_j) / (1.0 + jac)
    smaller = np.minimum(size_i, size_j)
    cont = np.divide(overlap, smaller, out=np.zeros_like(overlap), where=smaller > 0)
    return jac, np.minimum(cont, 1.0)


def passes(jac: np.ndarray, cont: np.ndarray, words_i: np.ndarray, words_j: np.ndarray,
           jaccard_level: float, containment_level: float, min_words: int) -> np.ndarray:
    return (jac >= jaccard_level) | ((cont >= containment_level) & (np.minimum(words_i, words_j) >= min_words))


def cluster(sigs: np.ndarray, sizes: np.ndarray, words: np.ndarray, pairs: np.ndarray,
            t: Thresholds, chunk: int = 1 << 18, fixed: int = 0) -> Clusters:
    n = sigs.shape[0]
    if fixed:
        pairs = pairs[pairs[:, 1] >= fixed]  # i < j: both earlier when j is
    verified = []
    for lo in range(0, len(pairs), chunk):  # bounded memory: chunk x num_perm comparisons at a time
        i, j = pairs[lo:lo + chunk, 0], pairs[lo:lo + chunk, 1]
        jac, cont = similarity(sigs, sizes, i, j)
        ok = passes(jac, cont, words[i], words[j], t.jaccard, t.containment, t.min_containment_words)
        verified.append(pairs[lo:lo + chunk][ok])
    edges = np.concatenate(verified) if verified else np.zeros((0, 2), dtype=np.int64)
    root = _components(n, edges)
    kept = np.arange(n, dtype=np.int64)
    sim = np.ones(n)
    cont_out = np.ones(n)
    order = np.argsort(root, kind="stable")  # members of one component together, in priority order
    bounds = np.flatnonzero(np.diff(root[order])) + 1
    for members in np.split(order, bounds):
        if len(members) > 1:
            _split(members, sigs, sizes, words, t, kept, sim, cont_out, fixed)
    return Clusters(kept, sim, cont_out, len(edges))


#: Kept copies tried per component; past them (a degenerate component of thousands of distinct texts
#: chained by near-identical boilerplate) the remaining members stay their own clusters.
MAX_ROUNDS = 64


def _split(members: np.ndarray, sigs: np.ndarray, sizes: np.ndarray, words: np.ndarray, t: Thresholds,
           kept: np.ndarray, sim: np.ndarray, cont_out: np.ndarray, fixed: int = 0) -> None:
    left = members
    for _ in range(MAX_ROUNDS):
        if len(left) < 2:
            return
        head, rest = left[0], left[1:]
        jac, cont = similarity(sigs, sizes, np.full(len(rest), head), rest)
        near = passes(jac, cont, np.full(len(rest), words[head]), words[rest],
                      t.kept_jaccard_floor, t.kept_containment_floor, t.min_containment_words)
        near &= rest >= fixed
        kept[rest[near]] = head
        sim[rest[near]] = jac[near]
        cont_out[rest[near]] = cont[near]
        left = rest[~near]


@njit(cache=True)
def _components(n: int, edges: np.ndarray) -> np.ndarray:
    """Union-find; each row's root is the lowest index of its component."""
    parent = np.arange(n)
    for e in range(edges.shape[0]):
        a, b = edges[e, 0], edges[e, 1]
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a != b:
            if a < b:
                parent[b] = a
            else:
                parent[a] = b
    for i in range(n):
        r = i
        while parent[r] != r:
            r = parent[r]
        parent[i] = r
    return parent
