"""Verification: which candidate pairs are copies, measured on their sketches.

A candidate pair is verified when its estimated Jaccard reaches
``jaccard`` (an edited or re-formatted copy), or when the estimated
containment of the shorter in the longer reaches ``containment`` and the
shorter has at least ``min_containment_words`` words (a teaser or an
excerpt). The containment follows from the Jaccard estimate and the exact
distinct-shingle counts: ``|A∩B| = J·(|A|+|B|)/(1+J)``.

The looser ``kept_*_floor`` levels are for the grouping's hops
(:mod:`.group`): a copy reached only through another copy joins the kept
article when it is itself similar to it at the floors.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .minhash import jaccard


@dataclass(frozen=True, slots=True)
class Thresholds:
    jaccard: float = 0.5
    containment: float = 0.8
    min_containment_words: int = 40
    kept_jaccard_floor: float = 0.3
    kept_containment_floor: float = 0.6

    def floors(self) -> Thresholds:
        """The levels a hop is checked at (the floors in place of the thresholds)."""
        return Thresholds(self.kept_jaccard_floor, self.kept_containment_floor, self.min_containment_words,
                          self.kept_jaccard_floor, self.kept_containment_floor)


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


@dataclass(slots=True)
class Edges:
    """Verified pairs ``(i, j)``, ``i < j`` in priority order, with the similarity measured between them."""

    i: np.ndarray
    j: np.ndarray
    jaccard: np.ndarray
    containment: np.ndarray

    def __len__(self) -> int:
        return len(self.i)

    @staticmethod
    def empty() -> Edges:
        return Edges(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))

    @staticmethod
    def concat(parts: list[Edges]) -> Edges:
        if not parts:
            return Edges.empty()
        return Edges(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("i", "j", "jaccard", "containment")))


def verify_pairs(sigs: np.ndarray, sizes: np.ndarray, words: np.ndarray, pairs: np.ndarray, t: Thresholds,
                 chunk: int = 1 << 18) -> Edges:
    """The pairs of ``pairs`` (int64[m, 2]) that pass ``t``, in chunks so memory stays at chunk x num_perm."""
    found = []
    for lo in range(0, len(pairs), chunk):
        i, j = pairs[lo:lo + chunk, 0], pairs[lo:lo + chunk, 1]
        jac, cont = similarity(sigs, sizes, i, j)
        ok = passes(jac, cont, words[i], words[j], t.jaccard, t.containment, t.min_containment_words)
        found.append(Edges(i[ok].astype(np.int64), j[ok].astype(np.int64), jac[ok], cont[ok]))
    return Edges.concat(found)
