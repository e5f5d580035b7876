"""The MinHash method: lead signatures equal to datasketch's, teasers found by their lead, stories that
share a paragraph not proposed, and the method behind the seam end to end."""
from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
from datasketch import MinHash

from cleaners.config import CleanConfig
from cleaners.dedup.lsh import pairs_from_keys
from cleaners.dedup.minhash import SEED, shingle_hash
from cleaners.dedup.minhash_lsh import LEAD, MinHashLSHMethod, lead_text
from cleaners.dedup.seam import method_for
from cleaners.dedup.shingles import word_shingles

VOCAB = [f"w{i}" for i in range(5000)]


def paragraph(rng: random.Random, words: int = 60) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(words)).capitalize() + "."


def news(seed: int, paragraphs: int = 8) -> list[str]:
    rng = random.Random(seed)
    return [paragraph(rng, rng.randint(40, 80)) for _ in range(paragraphs)]


def test_the_lead_is_the_first_prose_lines_not_headings_or_datelines() -> None:
    text = ("Ferry to run all winter\nBy Jane Doe\nUpdated 5 March 2024\n"
            + "The harbour ferry will keep running through the winter for the first time, the port said.\n"
            + "Councillors welcomed the news on Tuesday and said children would no longer board in town.\n")
    lead = lead_text(text, 120)
    assert lead.startswith("The harbour ferry") and "Jane" not in lead and "Updated" not in lead
    assert lead_text(text, 5) == "The harbour ferry will keep"
    assert lead_text("Short line\nanother one", 120) == "Short line another one", "no prose line: first words"


def test_a_long_page_costs_only_its_prefix_and_a_cut_word_is_never_signed() -> None:
    line = "alpha beta gamma delta epsilon zeta eta theta iota kappa"  # 10 words, 55 characters
    text = "\n".join([line] * 10_000)
    lead = lead_text(text, 120)
    assert len(lead.split()) == 120 and set(lead.split()) == set(line.split())


def test_lead_signatures_are_datasketch_minhash_of_the_lead() -> None:
    config = CleanConfig()
    texts = ["\n".join(news(s)) for s in range(5)]
    stored = MinHashLSHMethod(config).arrays(MinHashLSHMethod(config).sign(texts))[LEAD]
    for text, sig in zip(texts, stored):
        expected = MinHash(num_perm=128, seed=SEED, hashfunc=shingle_hash())
        expected.update_batch(list(word_shingles(lead_text(text, config.lead_words), 3)))
        assert np.array_equal(sig, expected.hashvalues.astype(np.uint32))


def candidates(texts: list[str], config: CleanConfig) -> set[tuple[int, int]]:
    method = method_for(config)
    return {tuple(p) for p in pairs_from_keys(method.candidate_keys(method.arrays(method.sign(texts)))).tolist()}


def test_teasers_are_candidates_through_their_lead_and_stories_sharing_a_paragraph_are_not() -> None:
    """50 stories, each with a teaser of its first quarter (Jaccard to the story ~0.2, which the whole-text
    banding finds 29% of the time); 50 more stories that each reuse one paragraph of one of the first ones."""
    stories = [news(s) for s in range(50)]
    teasers = ["\n".join(p[:2]) for p in stories]
    followups = [news(1000 + s)[:6] + [stories[s][5]] for s in range(50)]
    texts = ["\n".join(p) for p in stories] + teasers + ["\n".join(p) for p in followups]
    found = candidates(texts, CleanConfig())
    assert all((s, 50 + s) in found for s in range(50)), "every teaser proposed with its story"
    assert sum((s, 100 + s) in found for s in range(50)) <= 2, "one shared paragraph is not a candidate"
    without_lead = candidates(texts, CleanConfig(lead_words=0))
    assert sum((s, 50 + s) in without_lead for s in range(50)) < 40, "the whole-text banding alone misses many"


def test_teasers_of_every_story_collapse_end_to_end_and_follow_ups_stay_apart() -> None:
    from cleaners.dedup.deduplicate import deduplicate
    from tests.dedup.test_deduplicate import article

    stories = [news(s) for s in range(30)]
    arts = [article("\n".join(p), f"s{i}") for i, p in enumerate(stories)]
    arts += [article("\n".join(p[:2]), f"t{i}") for i, p in enumerate(stories)]
    arts += [article("\n".join(news(2000 + i)[:6] + [p[4]]), f"f{i}") for i, p in enumerate(stories)]
    kept, dups, stats = deduplicate(arts, CleanConfig())
    names = {a.article_id: a.page_id for a in kept}
    merged = {d.page_id: names[d.duplicate_of] for d in dups}
    assert all(merged[t] == "s" + t[1:] for t in merged) and all(t.startswith("t") for t in merged)
    # a teaser of a quarter is contained 100%, which MinHash estimates from Jaccard ~0.25 (sd ~0.04): 2 of these
    # 30 come out below the containment threshold 0.8
    assert len(merged) >= 27
    assert stats.candidate_pairs < 2 * len(arts)


def test_missing_stored_signatures_are_an_error_not_zero_signatures() -> None:
    import pytest

    from cleaners.dedup.minhash_lsh import sig_matrix

    with pytest.raises(ValueError, match="--full-rebuild"):
        sig_matrix(pa.array([b"\x00" * 512, None], pa.binary()), 128)


def test_an_index_from_before_lead_signatures_is_compatible_only_with_leads_off() -> None:
    import pytest

    from cleaners.dedup.index import check_compatible

    old = {"dedup_index": {"num_perm": 128, "shingle_words": 3, "shingle_hash": "xxh32", "seed": 1,
                           "lsh_bands": 51, "lsh_rows": 2}}
    check_compatible(old, CleanConfig(lead_words=0))  # the embedded index bands afresh: nothing else differs
    with pytest.raises(ValueError, match="lead_words 0 -> 40"):
        check_compatible(old, CleanConfig())
    with pytest.raises(ValueError, match="lsh_bands 51 -> 42"):
        check_compatible(old, CleanConfig(lead_words=0), redis=True)


def test_a_listing_teaser_as_short_as_the_containment_minimum_is_a_candidate() -> None:
    """A listing or related entry of 45 words is the first 45 words of its story: its whole lead is the
    story's lead. With a 120-word lead it was proposed 0 times in 60 (lead Jaccard ~0.36)."""
    from tests.dedup.test_deduplicate import story

    stories = [story(n_words=500, seed=s) for s in range(40)]
    teasers = [" ".join(text.split()[:45]) for text in stories]
    found = candidates(stories + teasers, CleanConfig())
    assert all((s, 40 + s) in found for s in range(40))
    assert sum((s, 40 + s) in candidates(stories + teasers, CleanConfig(lead_words=120)) for s in range(40)) < 10
