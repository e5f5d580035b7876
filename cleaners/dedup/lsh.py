"""Candidate pairs from LSH banding over a signature matrix, in batch.

Bands and rows come from datasketch's own optimiser for the threshold
(``datasketch.lsh._optimal_param``, the one ``MinHashLSH`` uses), so the
candidate probability curve is exactly MinHashLSH's; only the bucketing is
done differently: per band, every document's band is hashed to 64 bits, the
keys are sorted once, and runs of equal keys give the pairs. No Python object
per document or per bucket, so a million signatures band in seconds.

A bucket holding very many documents (a template page seen 10,000 times) would
give a quadratic number of pairs; above ``max_bucket`` members it gives a star
from its first member (the highest-priority one, since rows arrive in priority
order) to each other member instead, which is all the clustering needs for
exact copies.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: Members of one bucket above which it gives a star from its first member instead of every pair
#: (the local and the distributed candidate search use this one value, so they propose the same pairs).
MAX_BUCKET = 200


@lru_cache(maxsize=16)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) that datasketch's MinHashLSH would choose (equal false-positive/negative weights).

    Remembered: datasketch integrates for them (18 ms), and every chunk's signatures ask."""
    # imported here, not with the module: see cleaners.dedup.minhash on when datasketch is imported
    from datasketch.lsh import _optimal_param

    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(bands), int(rows)


def band_keys(sigs: np.ndarray, bands: int, rows: int, salt: int = 0) -> np.ndarray:
    """uint64[n, bands]: a 64-bit hash of each document's values in each band.

    ``salt`` tells bandings apart: keys of two bandings over other
    signatures (the whole text, the lead) never collide by construction
    when their salts differ by at least the bands of the first.
    """
    keys = np.empty((sigs.shape[0], bands), dtype=np.uint64)
    for band in range(bands):
        keys[:, band] = band_key(sigs, band, rows, salt)
    return keys


def band_key(sigs: np.ndarray, band: int, rows: int, salt: int = 0) -> np.ndarray:
    """uint64[n]: column ``band`` of :func:`band_keys` alone (a million rows need 8 MB, not 8 MB a band)."""
    n = sigs.shape[0]
    block = sigs[:, band * rows:(band + 1) * rows].astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.full(n, np.uint64(salt + band + 1) * _GOLDEN, dtype=np.uint64)
        for col in range(rows):
            h = (h ^ block[:, col]) * _GOLDEN
            h ^= h >> np.uint64(29)
    return h


def candidate_pairs(sigs: np.ndarray, threshold: float, max_bucket: int = MAX_BUCKET) -> np.ndarray:
    """int64[m, 2] unique pairs ``(i, j)``, ``i < j``, sharing at least one band."""
    bands, rows = lsh_params(threshold, sigs.shape[1])
    return pairs_from_keys(band_keys(sigs, bands, rows), max_bucket)


def pairs_from_keys(keys: np.ndarray | Iterable[np.ndarray], max_bucket: int = MAX_BUCKET) -> np.ndarray:
    """int64[m, 2] unique pairs ``(i, j)``, ``i < j``, of rows equal in at least one column of ``keys``
    (a matrix, or its columns one at a time: then only one column is ever held)."""
    columns = keys.T if isinstance(keys, np.ndarray) else keys
    found = []
    n = 0
    for column in columns:
        n = len(column)
        order = np.argsort(column, kind="stable")
        found.append(run_pairs(column[order], order.astype(np.int64), max_bucket, n))
    codes = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
    return np.stack([codes // n, codes % n], axis=1) if codes.size else np.zeros((0, 2), dtype=np.int64)


@njit(cache=True)
def run_pairs(sorted_keys: np.ndarray, order: np.ndarray, max_bucket: int, base: int) -> np.ndarray:
    """Pair codes ``i * base + j`` (i < j, rows as ``order`` numbers them, all below ``base``) within each run
    of equal keys."""
    n = order.shape[0]
    total = 0
    start = 0
    for pos in range(1, n + 1):  # first pass: how many pairs
        if pos == n or sorted_keys[pos] != sorted_keys[start]:
            m = pos - start
            total += m * (m - 1) // 2 if m <= max_bucket else m - 1
            start = pos
    out = np.empty(total, dtype=np.int64)
    k = 0
    start = 0
    for pos in range(1, n + 1):
        if pos == n or sorted_keys[pos] != sorted_keys[start]:
            m = pos - start
            if m > 1:
                members = np.sort(order[start:pos])
                if m <= max_bucket:
                    for x in range(m):
                        for y in range(x + 1, m):
                            out[k] = members[x] * base + members[y]
                            k += 1
                else:
                    for y in range(1, m):
                        out[k] = members[0] * base + members[y]
                        k += 1
            start = pos
    return out
