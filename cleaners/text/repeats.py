"""Collapse paragraphs that an article repeats, keeping the first.

Templates and scrapers often emit a section twice (a print copy, a teaser
block, a re-rendered lead), sometimes with a few words changed. Exact
repeats of lines of three words or more are collapsed; near repeats only for lines long enough
that a word-bigram Jaccard is meaningful (``min_words``), so two short
headings that differ by a word are left alone.
"""
from __future__ import annotations

from collections import defaultdict

from .lines import Line

REPEATED_LINE = "repeated_line"
#: "Yes." or "Thank you." may rightly recur in an interview; a repeated heading is longer.
EXACT_MIN_WORDS = 3
#: Bigrams of each earlier line kept in the lookup index. A line within the similarity bar
#: shares most bigrams, so it shares some of these eight; the Jaccard itself is exact.
_SAMPLES = 8
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
        for gram in _sample(toks):
            index[gram].append(len(bigram_sets))
        bigram_sets.append(grams)
    return marked


def _sample(toks: tuple[str, ...], k: int = _SAMPLES) -> set[tuple[str, str]]:
    """k bigrams spread evenly over the line: enough to find any line sharing most of its bigrams."""
    step = max(1, (len(toks) - 1) // k)
    return {(toks[i], toks[i + 1]) for i in range(0, len(toks) - 1, step)}


def _repeats_earlier(grams: frozenset[tuple[str, str]], earlier: list[frozenset[tuple[str, str]]],
                     index: dict[tuple[str, str], list[int]], similarity: float) -> bool:
    """Exact bigram Jaccard against every earlier line that shares a sampled bigram."""
    candidates = {i for gram in grams for i in index.get(gram, ())}
    for i in candidates:
        common = len(grams & earlier[i])
        if common / (len(grams) + len(earlier[i]) - common) >= similarity:
            return True
    return False
