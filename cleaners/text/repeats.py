"""Collapse paragraphs that an article repeats, keeping the first.

Templates and scrapers often emit a section twice (a print copy, a teaser
block, a re-rendered lead), sometimes with a few words changed. Exact
repeats of lines of three words or more are collapsed; near repeats only for lines long enough
that a word-bigram Jaccard is meaningful (``min_words``), so two short
headings that differ by a word are left alone.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from .lines import Line

REPEATED_LINE = "repeated_line"
#: "Yes." or "Thank you." may rightly recur in an interview; a repeated heading is longer.
EXACT_MIN_WORDS = 3
#: A bigram found on this many lines ("of the") stops being indexed: it would make every line a
#: candidate of every other (quadratic on long pages) while saying nothing about repetition.
_MAX_POSTINGS = 32
#: Shared-bigram counts come from capped postings, so they may fall short of the true overlap;
#: candidates need only half the count that the similarity implies before the exact check.
_COUNT_SLACK = 0.5
REPEATED_PARAGRAPH = "repeated_paragraph"


def collapse_repeats(lines: list[Line], similarity: float, min_words: int) -> int:
    """Mark repeats among the kept ``lines`` (in order); return how many were marked."""
    seen_exact: set[tuple[str, ...]] = set()
    bigram_sets: list[frozenset[tuple[str, str]]] = []
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    marked = 0
    for line in lines:
        if not line.kept:
            continue
        toks = tuple(map(str.casefold, line.toks))
        if not toks:
            continue
        if toks in seen_exact and len(toks) >= EXACT_MIN_WORDS:
            line.reason = REPEATED_LINE
            marked += 1
            continue
        seen_exact.add(toks)
        if len(toks) < min_words:
            continue
        grams = frozenset(zip(toks, toks[1:]))
        if _repeats_earlier(grams, bigram_sets, index, similarity):
            line.reason = REPEATED_PARAGRAPH
            marked += 1
            continue
        for gram in grams:
            postings = index[gram]
            if len(postings) < _MAX_POSTINGS:
                postings.append(len(bigram_sets))
        bigram_sets.append(grams)
    return marked


def _repeats_earlier(grams: frozenset[tuple[str, str]], earlier: list[frozenset[tuple[str, str]]],
                     index: dict[tuple[str, str], list[int]], similarity: float) -> bool:
    """Bigram Jaccard against the earlier lines that share enough indexed bigrams with this one.

    Jaccard >= s needs at least s*|A| shared bigrams and a size ratio of at least s, which
    rules most candidates out before any set is intersected.
    """
    shared: Counter[int] = Counter()
    for gram in grams:
        postings = index.get(gram)
        if postings:
            shared.update(postings)
    need = similarity * len(grams) * _COUNT_SLACK
    for i, common in shared.items():
        other = len(earlier[i])
        if common < need or min(other, len(grams)) < similarity * max(other, len(grams)):
            continue
        exact = len(grams & earlier[i])
        if exact / (len(grams) + other - exact) >= similarity:
            return True
    return False
