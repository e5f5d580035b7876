"""Banding by sorting proposes exactly the pairs datasketch's MinHashLSH proposes."""
from __future__ import annotations

import random

import numpy as np
from datasketch import MinHash, MinHashLSH

from cleaners.dedup.lsh import candidate_pairs, lsh_params
from cleaners.dedup.minhash import signatures


def docs_with_copies(seed: int) -> list[str]:
    rng = random.Random(seed)
    stories = [[f"w{rng.randrange(5000)}" for _ in range(rng.randint(30, 300))] for _ in range(60)]
    docs = [" ".join(s) for s in stories]
    for s in stories[:30]:  # edited copies and teasers
        copy = [w if rng.random() > 0.2 else "x" for w in s]
        docs += [" ".join(copy), " ".join(s[: len(s) // 3])]
    return docs


def test_params_are_datasketch_optimal_ones() -> None:
    for threshold in (0.2, 0.5, 0.8):
        lsh = MinHashLSH(threshold=threshold, num_perm=128)
        assert lsh_params(threshold, 128) == (lsh.b, lsh.r)


def test_candidates_equal_minhashlsh_queries() -> None:
    docs = docs_with_copies(1)
    sigs, _ = signatures(docs)
    for threshold in (0.2, 0.5):
        lsh = MinHashLSH(threshold=threshold, num_perm=128)
        hashes = [MinHash(num_perm=128, hashvalues=s, scheme="affine32") for s in sigs]
        for i, m in enumerate(hashes):
            lsh.insert(i, m)
        expected = {(i, j) for i, m in enumerate(hashes) for j in lsh.query(m) if j > i}
        got = {tuple(p) for p in candidate_pairs(sigs, threshold).tolist()}
        assert got == expected and expected


def test_a_huge_bucket_gives_a_star_not_every_pair() -> None:
    sigs, _ = signatures(["the very same template text of a page"] * 500)
    pairs = candidate_pairs(sigs, 0.5, max_bucket=100)
    assert len(pairs) == 499 and set(pairs[:, 0].tolist()) == {0}
    assert np.array_equal(np.sort(pairs[:, 1]), np.arange(1, 500))
