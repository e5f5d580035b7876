"""Batch signatures equal datasketch's MinHash, bit for bit, with either shingle hash."""
from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import MinHash

from cleaners.dedup.minhash import jaccard, shingle_hash, signatures
from cleaners.dedup.shingles import normalise, word_shingles

# words that exercise every path: case, NFKC (ligature, full width, super/subscripts, fractions),
# combining marks, soft hyphen, quotes and dashes, CJK, emoji, astral letters, long shingles (multi-block hash)
VOCAB = ["Alpha", "beta,", "GAMMA", "ünïcode", "日本語", "x", "a" * 70, "delta—", "“quoted”", "ﬁne", "Straße",
         "İstanbul", "ΩMEGA", "co\u00adop", "x\u02bcy", "😀", "\U00030001z", "1.5", "_u_", "ª", "µ", "x²", "½",
         "e\u0301t\u00e9", "…", "\u00a0", "\u2011", "Ａｂｃ", "Ⅻ", "ǅ"] + [f"w{i}" for i in range(200)]


def random_docs(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    docs = [" ".join(rng.choice(VOCAB) for _ in range(rng.randint(0, 300))) for _ in range(n)]
    return docs + ["", "one", "One two", "one two three", "... — ...", "\ud800 lone surrogate"]


@pytest.mark.parametrize("hash_name", ["xxh32", "sha1"])
@pytest.mark.parametrize("num_perm,k", [(128, 3), (64, 5), (256, 1)])
def test_signatures_equal_datasketch_minhash_of_the_shingles(hash_name: str, num_perm: int, k: int) -> None:
    docs = random_docs(60, seed=num_perm + k)
    sigs, sizes = signatures(docs, num_perm=num_perm, shingle_words=k, hash_name=hash_name)
    for doc, sig, size in zip(docs, sigs, sizes):
        shingles = word_shingles(doc, k)
        reference = MinHash(num_perm=num_perm, seed=1, hashfunc=shingle_hash(hash_name))
        reference.update_batch(list(shingles))
        assert np.array_equal(reference.hashvalues, sig), doc[:60]
        assert size == len(shingles)


def test_sha1_signatures_equal_datasketch_defaults() -> None:
    doc = "The harbour authority said the new ferry terminal would open in the spring."
    (sig,), _ = signatures([doc], hash_name="sha1")
    reference = MinHash(num_perm=128)  # no hashfunc: datasketch's own sha1_hash32, seed 1
    reference.update_batch(list(word_shingles(doc, 3)))
    assert np.array_equal(reference.hashvalues, sig)


def test_normalisation_makes_typographic_variants_meet() -> None:
    assert normalise("ＦＵＬＬ\u2014WIDTH") == "full\u2014width"  # NFKC and case; the dash separates words
    assert word_shingles("“Don’t” — SAID", 1) == word_shingles('"don\'t" - said', 1)
    assert word_shingles("It’s the END—really…", 2) == word_shingles("it's the end-really...", 2)
    assert word_shingles("co\u00adoperate ﬁne", 1) == word_shingles("cooperate fine", 1)
    assert word_shingles("hard-\nwrapped  lines\n\nhere", 1) == word_shingles("hard wrapped lines here", 1)


def test_estimated_jaccard_follows_the_true_one() -> None:
    rng = random.Random(4)
    words = [f"w{rng.randrange(100000)}" for _ in range(600)]
    a = " ".join(words[:400])
    b = " ".join(words[200:600])  # shingles overlap about a third
    sigs, _ = signatures([a, b], num_perm=256)
    true = len(word_shingles(a, 3) & word_shingles(b, 3)) / len(word_shingles(a, 3) | word_shingles(b, 3))
    assert abs(jaccard(sigs[0], sigs[1]) - true) < 0.08
