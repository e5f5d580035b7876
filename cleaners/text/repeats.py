"""Collapse paragraphs that an article repeats, keeping the first.

Templates and scrapers often emit a section twice (a print copy, a teaser
block, a re-rendered lead), sometimes with a few words changed. Exact
repeats of lines of three words or more are collapsed; near repeats only for lines long enough
that a word-bigram Jaccard is meaningful (``min_words``), so two short
headings that differ by a word are left alone.

A copy can also come at another granularity: the whole article once as
paragraphs and once as one line (a noscript or print copy flattened into one
block). Jaccard misses it (the sizes differ), so a long line
(:data:`JOINED_MIN_BIGRAMS`) whose bigrams are :data:`CONTAINED` within the
article's earlier kept text is a repeat too. (When the joined copy comes first,
its paragraphs that follow go as copies of it if they are that long, and
shorter ones stay.) A shorter line is left alone, since a heading or a one-line conclusion
can restate the lead's words, and so is text split into single characters
(Chinese, Japanese), whose character pairs recur far more than word pairs.
"""
from __future__ import annotations

import itertools
from collections import Counter, defaultdict

from .lines import Line

REPEATED_LINE = "repeated_line"
#: "Yes." or "Thank you." may rightly recur in an interview; a repeated heading is longer.
EXACT_MIN_WORDS = 3
REPEATED_PARAGRAPH = "repeated_paragraph"
#: Share of a paragraph's bigrams found in earlier kept text that makes it a copy of that text.
CONTAINED = 0.9
#: A shorter line may find its few word pairs scattered over a long article by chance.
JOINED_MIN_BIGRAMS = 20
#: Share of tokens of two characters or more below which text is split into single characters.
_WORDS_SHARE = 0.5

Bigram = tuple[str, str]
#: A bigram indexed for this many paragraphs stops taking more. Prefixes hold a paragraph's
#: rarest bigrams, so only a degenerate page (a few words over and over) fills a list; there
#: the cap keeps the search linear, at the price of the all-pairs guarantee on that page alone.
_MAX_POSTINGS = 64


def collapse_repeats(lines: list[Line], similarity: float, min_words: int) -> int:
    """Mark repeats among the kept ``lines`` (in order); return how many were marked.

    Every paragraph is compared with every earlier kept one it could repeat: the decision is
    the all-pairs one (short of a degenerate page, :data:`_MAX_POSTINGS`), so it depends only
    on the paragraphs kept before a line. That makes
    cleaning idempotent: an article's own text, cleaned again (by itself or with fewer lines
    around it), keeps every paragraph it kept. An index that compared a paragraph only with the
    first owner of each bigram was linear but missed a copy whose bigrams a still earlier,
    longer paragraph had introduced; once that paragraph was gone, the second pass found the
    copy and removed a line the first pass kept.

    Candidates come through prefix filtering (as in set-similarity joins): with the bigrams
    sorted rarest first on this page, two sets with Jaccard >= ``similarity`` share a bigram
    within the first ``n - floor(similarity * n) + 1`` of each, so only those prefixes are
    indexed. Rare bigrams make short posting lists; "of the" sits in almost no prefix, so
    the search stays near linear on long pages.
    """
    keys = [(line, tuple(map(str.casefold, line.toks))) for line in lines if line.kept and line.toks]
    bigrams = {toks: frozenset(itertools.pairwise(toks)) for _, toks in keys if len(toks) >= min_words}
    frequency = Counter(gram for grams in bigrams.values() for gram in grams)
    seen_exact: set[tuple[str, ...]] = set()
    kept_sets: list[frozenset[Bigram]] = []
    index: dict[Bigram, list[int]] = defaultdict(list)
    seen: set[Bigram] = set()  # every kept paragraph's bigrams
    marked = 0
    for line, toks in keys:
        if toks in seen_exact and len(toks) >= EXACT_MIN_WORDS:
            line.reason = REPEATED_LINE
            marked += 1
            continue
        seen_exact.add(toks)
        if len(toks) < min_words:
            continue
        grams = bigrams[toks]
        # rarest first; the inner sort breaks ties by the bigram, so prefixes (and, on a page that
        # fills a posting list, the decisions) are the same in every run, whatever the hash seed
        prefix = sorted(sorted(grams), key=frequency.__getitem__)[: _prefix_size(len(grams), similarity)]
        if _repeats_earlier(grams, prefix, kept_sets, index, similarity) or _joined_copy(toks, grams, seen):
            line.reason = REPEATED_PARAGRAPH
            marked += 1
            continue
        seen |= grams
        for gram in prefix:
            postings = index[gram]
            if len(postings) < _MAX_POSTINGS:
                postings.append(len(kept_sets))
        kept_sets.append(grams)
    return marked


def _joined_copy(toks: tuple[str, ...], grams: frozenset[Bigram], seen: set[Bigram]) -> bool:
    """A long line whose word pairs are nearly all in the earlier kept text (see the module docstring)."""
    if len(grams) < JOINED_MIN_BIGRAMS or sum(len(t) > 1 for t in toks) < _WORDS_SHARE * len(toks):
        return False
    return len(grams & seen) >= CONTAINED * len(grams)


def _prefix_size(size: int, similarity: float) -> int:
    """How many of a set's rarest bigrams must hold one shared with any set it is similar to.

    Jaccard >= s needs an overlap of at least ceil(s * size); ``floor`` may make the prefix one
    longer than needed, never shorter (a float product like 0.6 * 5 = 3.0000000000000004).
    """
    return size - int(similarity * size) + 1


def _repeats_earlier(grams: frozenset[Bigram], prefix: list[Bigram], earlier: list[frozenset[Bigram]],
                     index: dict[Bigram, list[int]], similarity: float) -> bool:
    """Bigram Jaccard >= ``similarity`` with an earlier kept paragraph sharing a prefix bigram.

    Jaccard >= s needs a size ratio of at least s, which rules most candidates out
    before any sets are intersected.
    """
    size = len(grams)
    candidates = {i for gram in prefix if gram in index for i in index[gram]}
    for i in candidates:
        other = len(earlier[i])
        if min(other, size) < similarity * max(other, size):
            continue
        common = len(grams & earlier[i])
        if common / (size + other - common) >= similarity:
            return True
    return False
