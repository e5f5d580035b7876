"""Verification: the thresholds, their floors, and chunking that changes nothing."""
from __future__ import annotations

import numpy as np

from cleaners.dedup.minhash import signatures
from cleaners.dedup.verify import Thresholds, verify_pairs

from .test_deduplicate import edit, story


def test_floors_are_the_looser_levels_for_hops() -> None:
    floors = Thresholds().floors()
    assert (floors.jaccard, floors.containment) == (0.3, 0.6) and floors.min_containment_words == 40


def test_edits_pass_by_jaccard_teasers_by_containment_and_chunks_change_nothing() -> None:
    base = story(n_words=400, seed=3)
    texts = [base, edit(base, 0.05, 1), " ".join(base.split()[:130]), story(n_words=400, seed=4),
             " ".join(base.split()[:20])]  # the last: a teaser too short for containment alone
    sigs, sizes = signatures(texts)
    words = np.array([len(t.split()) for t in texts], dtype=np.int64)
    pairs = np.array([[0, 1], [0, 2], [0, 3], [0, 4]], dtype=np.int64)
    whole = verify_pairs(sigs, sizes, words, pairs, Thresholds())
    assert list(zip(whole.i.tolist(), whole.j.tolist())) == [(0, 1), (0, 2)]
    assert whole.jaccard[0] >= 0.5 and whole.containment[1] >= 0.8 > whole.jaccard[1]
    chunked = verify_pairs(sigs, sizes, words, pairs, Thresholds(), chunk=1)
    assert np.array_equal(chunked.i, whole.i) and np.array_equal(chunked.jaccard, whole.jaccard)
