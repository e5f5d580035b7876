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

The comparisons run compiled (numba) over word pairs as integers: as Python
sets of string pairs they were a quarter of the text stage's time on
news-length pages (sorting, hashing and intersecting about 55 pairs a line).
Words become integer ids in compiled code too (:func:`_word_ids`); Python keeps the exact repeats
(one case-folded string a line).
"""
from __future__ import annotations

import os

import numpy as np
from numba import njit

from .lines import Line
from .token_scan import joined_tokens

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
#: A bigram indexed for this many paragraphs stops taking more. Prefixes hold a paragraph's
#: rarest bigrams, so only a degenerate page (a few words over and over) fills a list; there
#: the cap keeps the search linear, at the price of the all-pairs guarantee on that page alone.
_MAX_POSTINGS = 64

#: A line's verdict (constants to the compiled code as well).
_KEPT, _EXACT, _NEAR = 0, 1, 2
#: Joins a line's words into its key: not a word character, so in no token, folded or not.
_SEP = "\x00"


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
    ordered rarest first on this page, two sets with Jaccard >= ``similarity`` share a bigram
    within the first ``n - floor(similarity * n) + 1`` of each, so only those prefixes are
    indexed. Rare bigrams make short posting lists; "of the" sits in almost no prefix, so
    the search stays near linear on long pages.
    """
    kept = [line for line in lines if line.kept and line.words]
    if not kept:
        return 0
    # A line's case-folded words as one string: folding is per character, and _SEP is in no token,
    # so equal keys are equal word sequences (one fold and one hash a line, not one a word).
    keys = joined_tokens([line.text for line in kept], _SEP, casefold=True)
    exact = np.zeros(len(keys), dtype=np.bool_)
    distinct: dict[str, int] = {}  # each long text once: its bigrams, counted once per page
    which = np.full(len(keys), -1, dtype=np.int64)
    seen_exact: set[str] = set()
    for n, (line, key) in enumerate(zip(kept, keys)):
        size = line.words
        if key in seen_exact and size >= EXACT_MIN_WORDS:
            exact[n] = True
            continue
        seen_exact.add(key)
        if size >= min_words:
            which[n] = distinct.setdefault(key, len(distinct))
    grams, offsets, count, joinable = _bigram_sets(list(distinct))
    decided = _decide(exact, which, joinable, grams, offsets, count, similarity, CONTAINED, _MAX_POSTINGS)
    marked = 0
    for line, verdict in zip(kept, decided.tolist()):
        if verdict != _KEPT:
            line.reason = REPEATED_LINE if verdict == _EXACT else REPEATED_PARAGRAPH
            marked += 1
    return marked


def _bigram_sets(keys: list[str]) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """Each key's distinct word pairs as sorted ids (concatenated, with offsets), how many ids, and
    whether each key's text could be a joined copy (see the module docstring).

    ``keys`` are lines' case-folded words joined by :data:`_SEP`. A pair's id orders pairs by their
    words' first appearance on the page: any order the whole page shares serves prefix filtering,
    and this one does not depend on the hash seed. Words become ids in compiled code, over the
    keys' code points: as a dict of Python strings this was 0.15 ms of a news page's 1.7 ms.
    """
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), 0, np.zeros(0, dtype=np.bool_)
    points = np.frombuffer(_LINE_SEP.join(keys).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ids, lengths, ends = _word_ids(points, ord(_SEP), ord(_LINE_SEP), _HASH_SEED, _ALL_BITS)
    pairs, offsets, joinable = _line_pairs(ids, ends, lengths, JOINED_MIN_BIGRAMS, _WORDS_SHARE)
    grams, count = _ranks(pairs)
    return grams, offsets, count, joinable


#: Joins the keys of a page's lines for :func:`_word_ids`; like :data:`_SEP`, in no token.
_LINE_SEP = "\x01"
_ALL_BITS = np.uint64(0xFFFFFFFFFFFFFFFF)
#: The word hash starts from a random value of this process, as Python's string hash does: a page
#: cannot be made of words whose hashes collide (each collision costs a comparison: many would make
#: the grouping quadratic). The ids do not depend on it.
_HASH_SEED = np.uint64(int.from_bytes(os.urandom(8), "little"))


@njit(cache=True)
def _word_ids(points: np.ndarray, sep: int, line_sep: int, seed: np.uint64, hash_bits: np.uint64
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per token of ``points`` (tokens end at ``sep``, lines at ``line_sep``): its word's id, words
    numbered by first appearance, and its length; and each line's end (in tokens).

    Tokens are looked up in a hash table by a 64-bit hash of their code points, and a token joins the
    earlier one with the same code points: a hash collision costs a comparison, never a wrong id
    (``hash_bits`` narrows the hash so a test can make every hash collide).
    """
    count = 1
    lines = 1
    for c in points:
        if c == sep or c == line_sep:
            count += 1
            lines += c == line_sep
    starts = np.empty(count, dtype=np.int64)
    lengths = np.empty(count, dtype=np.int64)
    ends = np.empty(lines, dtype=np.int64)
    token = 0
    line = 0
    begin = 0
    for i in range(len(points) + 1):
        if i == len(points) or points[i] == sep or points[i] == line_sep:
            starts[token] = begin
            lengths[token] = i - begin
            token += 1
            begin = i + 1
            if i == len(points) or points[i] == line_sep:
                ends[line] = token
                line += 1
    hashes = np.empty(count, dtype=np.uint64)
    for k in range(count):
        h = np.uint64(14695981039346656037) ^ seed
        for i in range(starts[k], starts[k] + lengths[k]):
            h = (h ^ np.uint64(points[i])) * np.uint64(1099511628211)
        hashes[k] = (h ^ np.uint64(lengths[k])) & hash_bits
    # an open-addressing table of each word's first token, probed linearly from the hash
    size = 1
    while size < 2 * count:
        size *= 2
    slots = np.full(size, -1, dtype=np.int64)
    ids = np.empty(count, dtype=np.int64)
    words = 0
    for k in range(count):
        slot = np.int64((hashes[k] ^ (hashes[k] >> np.uint64(29))) & np.uint64(size - 1))
        while True:
            first = slots[slot]
            if first < 0:
                slots[slot] = k
                ids[k] = words
                words += 1
                break
            if hashes[first] == hashes[k] and lengths[first] == lengths[k]:
                same = True
                for i in range(lengths[k]):
                    if points[starts[k] + i] != points[starts[first] + i]:
                        same = False
                        break
                if same:
                    ids[k] = ids[first]
                    break
            slot = (slot + 1) & (size - 1)
    return ids, lengths, ends


@njit(cache=True)
def _line_pairs(ids: np.ndarray, ends: np.ndarray, lengths: np.ndarray, joined_min: int,
                words_share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each line's distinct word pairs (``first * words + second``), sorted, concatenated; their
    offsets; and whether the line is a candidate joined copy: at least ``joined_min`` distinct
    pairs, and ``words_share`` of its tokens longer than one character (``lengths``: per token)."""
    words = ids.max() + 1 if len(ids) else 0
    out = np.empty(max(len(ids) - len(ends), 0), dtype=np.int64)
    offsets = np.zeros(len(ends) + 1, dtype=np.int64)
    joinable = np.zeros(len(ends), dtype=np.bool_)
    start = 0
    filled = 0
    for line in range(len(ends)):
        end = ends[line]
        pairs = np.sort(ids[start:end - 1] * words + ids[start + 1:end])
        for k in range(len(pairs)):
            if k == 0 or pairs[k] != pairs[k - 1]:
                out[filled] = pairs[k]
                filled += 1
        offsets[line + 1] = filled
        longer = 0
        for k in range(start, end):
            longer += lengths[k] > 1
        joinable[line] = filled - offsets[line] >= joined_min and longer >= words_share * (end - start)
        start = end
    return out[:filled], offsets, joinable


@njit(cache=True)
def _ranks(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Each value's rank among the distinct values, and how many there are (``np.unique``'s inverse)."""
    order = np.argsort(values)
    ranks = np.empty(len(values), dtype=np.int64)
    rank = -1
    for k in range(len(order)):
        if k == 0 or values[order[k]] != values[order[k - 1]]:
            rank += 1
        ranks[order[k]] = rank
    return ranks, rank + 1


@njit(cache=True)
def _decide(exact: np.ndarray, which: np.ndarray, joinable: np.ndarray, grams: np.ndarray,
            offsets: np.ndarray, count: int, similarity: float, contained: float,
            max_postings: int) -> np.ndarray:
    """Per line: kept, an exact repeat, or a near repeat (Jaccard, or a joined copy), in page order.

    ``which[i]``: the line's row in ``grams``/``offsets`` (its distinct bigram ids, sorted) and
    ``joinable``, or -1 for a line too short to compare. Posting lists are linked lists over the
    kept lines.
    """
    n = len(exact)
    verdict = np.zeros(n, dtype=np.int8)
    frequency = np.zeros(count, dtype=np.int64)
    for g in grams:
        frequency[g] += 1
    seen = np.zeros(count, dtype=np.bool_)  # every kept paragraph's bigrams
    head = np.full(count, -1, dtype=np.int64)
    postings = np.zeros(count, dtype=np.int64)
    node_next = np.empty(len(grams) + 1, dtype=np.int64)
    node_kept = np.empty(len(grams) + 1, dtype=np.int64)
    nodes = 0
    kept_row = np.empty(n, dtype=np.int64)
    kept = 0
    visited = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        if exact[i]:
            verdict[i] = _EXACT
            continue
        row = which[i]
        if row < 0:
            continue
        mine = grams[offsets[row]:offsets[row + 1]]
        size = len(mine)
        # rarest first, ties by id: the page's one order
        prefix = mine[np.argsort(frequency[mine] * count + mine, kind="mergesort")][:size - int(similarity * size) + 1]
        repeat = False
        for g in prefix:
            node = head[g]
            while node >= 0 and not repeat:
                j = node_kept[node]
                node = node_next[node]
                if visited[j] == i:
                    continue
                visited[j] = i
                theirs = grams[offsets[kept_row[j]]:offsets[kept_row[j] + 1]]
                other = len(theirs)
                if min(other, size) < similarity * max(other, size):
                    continue
                common = _common(mine, theirs)
                if common / (size + other - common) >= similarity:
                    repeat = True
            if repeat:
                break
        if not repeat and joinable[row]:
            inside = 0
            for g in mine:
                inside += seen[g]
            repeat = inside >= contained * size
        if repeat:
            verdict[i] = _NEAR
            continue
        for g in mine:
            seen[g] = True
        for g in prefix:  # a node per (kept text, prefix pair): never more than the pairs of all texts
            if postings[g] < max_postings and nodes < len(node_kept):
                postings[g] += 1
                node_kept[nodes] = kept
                node_next[nodes] = head[g]
                head[g] = nodes
                nodes += 1
        kept_row[kept] = row
        kept += 1
    return verdict


@njit(cache=True)
def _common(a: np.ndarray, b: np.ndarray) -> int:
    """Size of the intersection of two sorted arrays of distinct values."""
    i = j = common = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            common += 1
            i += 1
            j += 1
        elif a[i] < b[j]:
            i += 1
        else:
            j += 1
    return common
