"""Near-duplicate clustering on made-up stories: copies merge, distinct stories never do."""
from __future__ import annotations

import random

import numpy as np

from cleaners.config import CleanConfig
from cleaners.dedup.deduplicate import deduplicate, priority, priority_order
from cleaners.model import Article

RNG = random.Random(7)
VOCAB = [f"w{i}" for i in range(3000)]


def story(n_words: int = 300, seed: int = 0) -> str:
    rng = random.Random(seed)
    sentences, words = [], [rng.choice(VOCAB) for _ in range(n_words)]
    for i in range(0, n_words, 15):
        sentences.append(" ".join(words[i:i + 15]).capitalize() + ".")
    return " ".join(sentences)


def article(text: str, page: str, segment: str = "main", position: int = 0) -> Article:
    return Article(page_id=page, source=f"{page}.txt", record=None, segment=segment,  # type: ignore[arg-type]
                   position=position, title=None, text=text)


def edit(text: str, share: float, seed: int) -> str:
    rng = random.Random(seed)
    words = text.split()
    for i in rng.sample(range(len(words)), int(len(words) * share)):
        words[i] = rng.choice(VOCAB)
    return " ".join(words)


def clusters(arts: list[Article], config: CleanConfig | None = None) -> dict[str, str]:
    kept, dups, _ = deduplicate(arts, config or CleanConfig())
    return {a.page_id: a.cluster_id for a in kept + dups}


def test_copies_edits_and_teasers_merge_distinct_stories_do_not() -> None:
    base = story(seed=1)
    words = base.split()
    arts = [
        article(base, "orig"),
        article(base.upper(), "shouting"),                       # re-formatted copy
        article(edit(base, 0.10, seed=2), "edited"),             # re-publication with edits
        article(" ".join(words[: len(words) // 3]), "teaser"),   # the first third: a teaser
        article(story(seed=3), "other"),                         # a different story
        # a follow-up that reuses one paragraph of the original: must stay apart
        article(" ".join(words[:45]) + " " + story(n_words=400, seed=4), "followup"),
    ]
    got = clusters(arts)
    assert got["shouting"] == got["edited"] == got["teaser"] == got["orig"]
    assert len({got["orig"], got["other"], got["followup"]}) == 3


def test_every_duplicate_is_verified_against_the_article_it_names() -> None:
    base = story(seed=5)
    arts = [article(edit(base, share, seed=i), f"p{i}") for i, share in enumerate([0, .05, .1, .15, .2, .25])]
    config = CleanConfig()
    kept, dups, _ = deduplicate(arts, config)
    by_id = {a.article_id: a for a in kept}
    for dup in dups:
        assert dup.duplicate_of in by_id
        assert dup.similarity >= config.kept_jaccard_floor or dup.containment >= config.kept_containment_floor


def test_a_chain_of_copies_does_not_merge_its_two_ends() -> None:
    # a -> b shares the first two thirds, b -> c the last two thirds: a and c share only the middle
    words = story(n_words=900, seed=8).split()
    third = len(words) // 3
    a = " ".join(words[: 2 * third] + story(n_words=300, seed=9).split())
    b = " ".join(words)
    c = " ".join(story(n_words=300, seed=10).split() + words[third:])
    got = clusters([article(a, "a"), article(b, "b"), article(c, "c")])
    assert got["a"] != got["c"]


def test_kept_copy_is_main_over_related_then_longer_text_and_order_does_not_matter() -> None:
    base = story(seed=6)
    arts = [article(base + " Extra closing line here.", "related-long", segment="related", position=1),
            article(base, "main-short"),
            article(base + " A longer closing paragraph of a few words.", "main-long")]
    for _ in range(5):
        RNG.shuffle(arts)
        kept, dups, _ = deduplicate([Article(**{s: getattr(a, s) for s in a.__slots__}) for a in arts],
                                    CleanConfig())
        assert [a.page_id for a in kept] == ["main-long"]
        assert sorted(d.page_id for d in dups) == ["main-short", "related-long"]


def test_columnar_priority_order_is_the_priority_key() -> None:
    """The pipeline ranks a million articles on columns; it must be the very order of :func:`priority`."""
    rng = random.Random(3)
    arts = [article(" ".join(rng.choice(VOCAB) for _ in range(rng.choice([5, 50, 50, 120]))), f"p{rng.randrange(40)}",
                    rng.choice(["main", "listing", "related"]), position=i) for i in range(400)]
    order = priority_order([a.segment for a in arts], np.array([a.n_words for a in arts]),
                           [a.article_id for a in arts])
    assert [arts[i] for i in order] == sorted(arts, key=priority)
