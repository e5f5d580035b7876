"""Grouping: from verified pairs to kept articles, in priority order, without connected components.

Rows arrive in priority order (a page's own article over a listing entry
over a related copy, then the longer text, then the id), so "earlier" is
"preferred". Each row, in that order:

1. has a verified pair with an earlier row that is **kept**: it becomes that
   row's duplicate (the one it is most similar to, then the most contained in);
2. else, has a verified neighbour ``x`` that is a duplicate of an earlier kept
   row ``k`` (a hop through a copy), and is itself similar to ``k`` at the
   looser ``kept_*_floor`` levels: it joins ``k`` (a teaser of an edited copy
   meets the original through the copy);
3. else it is kept.

Why not connected components: once stories share paragraphs (wire text,
follow-ups, boilerplate), verified pairs chain distinct stories into one
component; at 100,000 news-length documents one component held 34,126
stories, and any rule that splits a component after the fact either caps its
work (and leaves copies unassigned) or attaches members to a foreign head.
Here a row only ever joins a kept article it is itself verified against, so
a document sharing a paragraph with many stories bridges none of them, the
work is linear in the edges, and every duplicate names its kept article with
the similarity measured between the two.

Hop pairs are verified by the method (:class:`cleaners.dedup.seam.DedupMethod`),
so the grouping holds only graph arrays. Which hops exist depends on who is
kept, so assignment and hop verification alternate for a few rounds (each
round verifies only pairs not tried before, and a hop is used only while a
neighbour of the row is still a copy of that article). On the news corpus at
100,000 documents (``benchmarks/dedup_scale.py``) recall of removable copies
is 0.949 without hops, 0.973, 0.977 and 0.977 after 1, 2 and 4 rounds, with
precision 1.0 throughout. Hops through a neighbour's *kept neighbours* (not
only its kept article) gained 0.004 more there and cost 0.08 precision on
the corpus whose stories are built of verbatim shared paragraphs, so a hop
goes through a copy only.

The first ``fixed`` rows are articles kept by earlier runs: they stay kept.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from .verify import Edges

#: Neighbours looked at per row for hops: bounds the work on a row that shares text with thousands of
#: others (its copies are found among its first neighbours, which are in priority order).
HOP_FAN = 32
#: Alternations of assignment and hop verification at most.
ROUNDS = 4


@dataclass(slots=True)
class Groups:
    """``kept[r]``: the row of row r's kept article (r when kept); similarity and containment to it."""

    kept: np.ndarray
    similarity: np.ndarray
    containment: np.ndarray
    hops: int  # duplicates that joined their kept article through a copy


def group(n: int, edges: Edges, verify_hops: Callable[[np.ndarray], Edges], fixed: int = 0,
          fan: int = HOP_FAN, rounds: int = ROUNDS) -> Groups:
    """Assign every row (see the module docstring); ``verify_hops(pairs)`` returns the hop pairs (k, j),
    k < j, that pass the floors."""
    p_ptr, p_nbr, p_jac, p_cont = _by_later(n, edges)
    both = np.concatenate([edges.i, edges.j]), np.concatenate([edges.j, edges.i])
    order = np.lexsort((both[1], both[0]))
    a_nbr = both[1][order]
    a_ptr = _indptr(n, both[0])
    verified = Edges.empty()  # every hop pair verified so far (at the floors)
    verified_codes = np.zeros(0, dtype=np.int64)
    tried = np.zeros(0, dtype=np.int64)
    usable = np.zeros(0, dtype=np.int64)
    kept, sim, cont = _assign(n, fixed, p_ptr, p_nbr, p_jac, p_cont, *_by_later(n, Edges.empty()))
    for _ in range(rounds):
        # hops that exist now: from rows still kept and rows that joined through a hop (their copy may move)
        open_rows = (kept == np.arange(n)) | _joined_by_hop(n, kept, p_ptr, p_nbr)
        current = np.unique(_hop_pairs(n, fixed, kept, open_rows, a_ptr, a_nbr, fan) @ np.array([n, 1]))
        fresh = current[~np.isin(current, tried, assume_unique=True)]
        if len(fresh):
            tried = np.union1d(tried, fresh)
            found = verify_hops(np.stack([fresh // n, fresh % n], axis=1))
            verified = Edges.concat([verified, found])
            verified_codes = verified.i * n + verified.j
        now_usable = np.intersect1d(verified_codes, current)
        if np.array_equal(now_usable, usable):
            break
        usable = now_usable
        pick = np.isin(verified_codes, usable)
        hops = Edges(verified.i[pick], verified.j[pick], verified.jaccard[pick], verified.containment[pick])
        kept, sim, cont = _assign(n, fixed, p_ptr, p_nbr, p_jac, p_cont, *_by_later(n, hops))
    # the round cap can leave a hop whose copy has since moved to another article: that row is kept
    stale = _stale_hops(n, kept, p_ptr, p_nbr, a_ptr, a_nbr)
    kept[stale], sim[stale], cont[stale] = np.flatnonzero(stale), 1.0, 1.0
    joined = int(np.count_nonzero(_joined_by_hop(n, kept, p_ptr, p_nbr)))
    return Groups(kept, sim, cont, joined)


def _indptr(n: int, rows: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)


def _by_later(n: int, edges: Edges) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSR by the later row ``j``: its earlier neighbours in priority order, with the pair's similarity."""
    order = np.lexsort((edges.i, edges.j))
    return (_indptr(n, edges.j), edges.i[order].astype(np.int64), edges.jaccard[order].astype(np.float64),
            edges.containment[order].astype(np.float64))


@njit(cache=True)
def _assign(n, fixed, p_ptr, p_nbr, p_jac, p_cont, s_ptr, s_nbr, s_jac, s_cont):  # pragma: no cover (compiled)
    kept = np.arange(n)
    sim = np.ones(n)
    cont = np.ones(n)
    for j in range(fixed, n):
        best, bc, bj = -1, -1.0, -1.0
        for e in range(p_ptr[j], p_ptr[j + 1]):
            i = p_nbr[e]
            if kept[i] == i and (p_jac[e] > bj or (p_jac[e] == bj and p_cont[e] > bc)):
                best, bc, bj = i, p_cont[e], p_jac[e]
        if best < 0:
            for e in range(s_ptr[j], s_ptr[j + 1]):
                k = s_nbr[e]
                if kept[k] == k and (s_jac[e] > bj or (s_jac[e] == bj and s_cont[e] > bc)):
                    best, bc, bj = k, s_cont[e], s_jac[e]
        if best >= 0:
            kept[j] = best
            sim[j] = bj
            cont[j] = bc
    return kept, sim, cont


@njit(cache=True)
def _hop_pairs(n, fixed, kept, open_rows, a_ptr, a_nbr, fan):  # pragma: no cover (compiled)
    """(k, j) for every open row j and every earlier kept row k that is the kept article of a neighbour x
    of j that is itself a copy (x != k)."""
    count = 0
    for j in range(fixed, n):
        if open_rows[j]:
            count += min(a_ptr[j + 1] - a_ptr[j], fan)
    out = np.empty((count, 2), dtype=np.int64)
    m = 0
    for j in range(fixed, n):
        if not open_rows[j]:
            continue
        for e in range(a_ptr[j], min(a_ptr[j + 1], a_ptr[j] + fan)):
            x = a_nbr[e]
            k = kept[x]
            if k < j and k != x:
                out[m, 0] = k
                out[m, 1] = j
                m += 1
    return out[:m]


@njit(cache=True)
def _stale_hops(n, kept, p_ptr, p_nbr, a_ptr, a_nbr):  # pragma: no cover (compiled)
    """Rows joined to ``kept[j]`` through a hop for which no neighbour is a copy of that article any more."""
    out = np.zeros(n, dtype=np.bool_)
    for j in range(n):
        k = kept[j]
        if k == j:
            continue
        direct = False
        for e in range(p_ptr[j], p_ptr[j + 1]):
            if p_nbr[e] == k:
                direct = True
                break
        if direct:
            continue
        through = False
        for e in range(a_ptr[j], a_ptr[j + 1]):
            x = a_nbr[e]
            if x != k and kept[x] == k:
                through = True
                break
        out[j] = not through
    return out


@njit(cache=True)
def _joined_by_hop(n, kept, p_ptr, p_nbr):  # pragma: no cover (compiled)
    out = np.zeros(n, dtype=np.bool_)
    for j in range(n):
        if kept[j] != j:
            out[j] = True
            for e in range(p_ptr[j], p_ptr[j + 1]):
                if p_nbr[e] == kept[j]:
                    out[j] = False
                    break
    return out
