"""Batch signatures equal datasketch's MinHash, bit for bit, with either shingle hash."""
from __future__ import annotations

import random
import unicodedata

import numpy as np
import pytest
from datasketch import MinHash

from cleaners.dedup.minhash import _nfkc_unstable, jaccard, shingle_hash, signatures
from cleaners.dedup.shingles import TABLE_SIZE, normalise, word_shingles

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


def test_threads_blocks_and_line_wise_nfkc_change_no_signature() -> None:
    """Blocks share out over threads, and NFKC is applied only to the lines that need it: neither may
    change a value. Multi-line texts here, some lines needing NFKC (fractions, ligatures) and some not."""
    rng = random.Random(11)
    docs = ["".join(rng.choice(VOCAB) + rng.choice([" ", "\n", "\n\n", " "]) for _ in range(rng.randint(0, 200)))
            for _ in range(700)]
    one, one_sizes = signatures(docs, threads=1)
    two, two_sizes = signatures(docs, threads=2)
    assert np.array_equal(one, two) and np.array_equal(one_sizes, two_sizes)
    for doc, sig in zip(docs[:80], one[:80]):
        reference = MinHash(num_perm=128, seed=1, hashfunc=shingle_hash())
        reference.update_batch(list(word_shingles(doc, 3)))
        assert np.array_equal(reference.hashvalues, sig), doc[:60]


def test_texts_without_flagged_characters_are_nfkc_already() -> None:
    """The kernel only sends texts with a flagged character back for NFKC; any text of unflagged characters
    (here random strings drawn from all of them, with combining marks and Hangul jamo in the pool) must be
    NFKC as it stands, and every character NFKC changes on its own must be flagged."""
    flags = _nfkc_unstable()
    calm = [cp for cp in range(TABLE_SIZE) if not flags[cp] and not 0xD800 <= cp < 0xE000]
    assert all(flags[cp] for cp in (0x0301, 0x0323, 0x00BD, 0xFB01, 0xFF21, 0x1161, 0x11A8, 0x0CD5, 0x2126))
    rng = random.Random(5)
    for _ in range(5000):
        text = "".join(chr(rng.choice(calm)) for _ in range(rng.randint(1, 16)))
        assert unicodedata.is_normalized("NFKC", text), [hex(ord(c)) for c in text]
    for cp in range(0x80, TABLE_SIZE):
        if not 0xD800 <= cp < 0xE000 and unicodedata.normalize("NFKC", chr(cp)) != chr(cp):
            assert flags[cp], hex(cp)
