"""A page's word tokens found in compiled passes over its code points, not as Python strings.

The tokens are :data:`cleaners.text.lines._WORD`'s: runs of word characters
(``str.isalnum`` or "_") outside the CJK ranges, and each CJK character on its
own. Splitting every line into a list of strings was a tenth of the text
stage on news-length pages, and the per-token columns (stop words,
capitals, digits) built from those lists another tenth; most callers only
need a count per line, a few counts per token class, or a line's tokens
joined into one key. Those come from here, over the page's lines encoded
once as UTF-32.

A character's classes come from the running Python's own ``str`` methods
(so they follow its Unicode version, as the regular expression does), read
into a table a block of 4,096 code points at a time when a page first
holds one: the whole range would take half a second to build in every
process, and a page touches a few blocks.
"""
from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
from numba import njit

#: Class bits of a code point: a token character outside the CJK ranges, a CJK character (a token
#: of its own), and what ``str.isupper`` and ``str.isdigit`` look at.
WORD, CJK_CHAR, UPPER, LOWER_OR_TITLE, DIGIT = 1, 2, 4, 8, 16
#: Han ideographs and kana, as a regular expression's class ranges (:data:`cleaners.text.lines._WORD`)
#: and as code point ranges (inclusive).
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RANGES = tuple((ord(CJK[i]), ord(CJK[i + 2])) for i in range(0, len(CJK), 3))
_BLOCK_BITS = 12
_TABLE = np.zeros(0x110000, dtype=np.uint8)
_FILLED = np.zeros(0x110000 >> _BLOCK_BITS, dtype=np.bool_)
_FILLING = threading.Lock()


def _fill(block: int) -> None:
    start = block << _BLOCK_BITS
    flags = np.zeros(1 << _BLOCK_BITS, dtype=np.uint8)
    for i in range(1 << _BLOCK_BITS):
        c = chr(start + i)
        flags[i] = ((c.isalnum() or c == "_") * WORD | c.isupper() * UPPER
                    | (c.islower() or unicodedata.category(c) == "Lt") * LOWER_OR_TITLE | c.isdigit() * DIGIT)
    for low, high in CJK_RANGES:
        lo, hi = max(low, start), min(high, start + len(flags) - 1)
        if lo <= hi:
            flags[lo - start:hi - start + 1] = (flags[lo - start:hi - start + 1] & (0xFF ^ WORD)) | CJK_CHAR
    _TABLE[start:start + len(flags)] = flags


def classes(points: np.ndarray) -> np.ndarray:
    """The class table, with every block ``points`` touch filled in."""
    missing = _missing_blocks(points, _FILLED, _BLOCK_BITS)
    if len(missing):
        with _FILLING:
            for block in missing.tolist():
                if not _FILLED[block]:
                    _fill(block)
                    _FILLED[block] = True
    return _TABLE


@njit(cache=True)
def _missing_blocks(points: np.ndarray, filled: np.ndarray, bits: int) -> np.ndarray:
    seen = np.zeros(len(filled), dtype=np.bool_)
    for p in points:
        seen[p >> bits] = True
    return np.flatnonzero(seen & ~filled)


def encode(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The texts end to end as code points (lone surrogates kept), and each text's length."""
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return points, np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def token_counts(texts: Sequence[str]) -> np.ndarray:
    """Each text's number of tokens (``len(_WORD.findall(text))``)."""
    points, lengths = encode(texts)
    return _counts(points, lengths, classes(points))


@njit(cache=True)
def _counts(points: np.ndarray, lengths: np.ndarray, table: np.ndarray) -> np.ndarray:
    out = np.zeros(len(lengths), dtype=np.int64)
    i = 0
    for line in range(len(lengths)):
        stop = i + lengths[line]
        inside = False
        n = 0
        while i < stop:
            flags = table[points[i]]
            if flags & CJK_CHAR:
                n += 1
                inside = False
            elif flags & WORD:
                n += not inside
                inside = True
            else:
                inside = False
            i += 1
        out[line] = n
    return out


#: ``str.isspace``'s characters, all below U+3001 (what ``str.split()`` splits on).
_SPACE = np.array([chr(c).isspace() for c in range(0x3001)], dtype=np.bool_)


def split_count(text: str) -> int:
    """``len(text.split())`` without making the strings: each article's ``n_words``, 49 -> 15 µs on a
    news article (4.5 kB), which was 3% of the text stage's shard processes."""
    return int(_split_count(encode([text])[0], _SPACE))


@njit(cache=True)
def _split_count(points: np.ndarray, space: np.ndarray) -> int:
    n = 0
    inside = False
    for p in points:
        if p < len(space) and space[p]:
            inside = False
        elif not inside:
            n += 1
            inside = True
    return n


class TokenSet:
    """A fixed set of tokens (the stop words in their cases), looked up in compiled code by a hash of
    their code points, every hit confirmed by comparing them: the forms' code points end to end in
    the order of their hashes, and where each starts."""

    def __init__(self, words: Iterable[str]) -> None:
        forms = [encode([w])[0] for w in sorted(set(words))]
        forms.sort(key=lambda form: int(_hash(form, 0, len(form))))
        self.hashes = np.array([_hash(form, 0, len(form)) for form in forms], dtype=np.uint64)
        self.points = np.concatenate([np.zeros(0, dtype=np.uint32), *forms])
        self.starts = np.cumsum([0, *map(len, forms)], dtype=np.int64)
        #: a longer token is in no set without a comparison
        self.longest = max(map(len, forms), default=0)


@njit(cache=True)
def _hash(points: np.ndarray, start: int, stop: int) -> np.uint64:
    h = np.uint64(14695981039346656037)
    for i in range(start, stop):
        h = (h ^ np.uint64(points[i])) * np.uint64(1099511628211)
    return h ^ np.uint64(stop - start)


#: Columns of :func:`token_columns`.
TOKENS, IN_SET, INITIAL_UPPER, ALL_UPPER, ALL_DIGITS = range(5)


def token_columns(points: np.ndarray, lengths: np.ndarray, words: TokenSet) -> np.ndarray:
    """Per line of ``points`` (``lengths`` long each), over its tokens: how many; how many are in
    ``words``; how many start with an upper-case character (``t[0].isupper()``); how many of those
    are longer than one character and ``t.isupper()``; how many are ``t.isdigit()``."""
    return _columns(points, lengths, classes(points), words.hashes, words.points, words.starts, words.longest)


@njit(cache=True)
def _columns(points: np.ndarray, lengths: np.ndarray, table: np.ndarray, set_hashes: np.ndarray,
             set_points: np.ndarray, set_starts: np.ndarray, longest: int) -> np.ndarray:
    out = np.zeros((len(lengths), 5), dtype=np.int64)
    i = 0
    for line in range(len(lengths)):
        stop = i + lengths[line]
        while i < stop:
            flags = table[points[i]]
            if flags & CJK_CHAR:  # a token of one character
                end = i + 1
            elif flags & WORD:  # the run of them
                end = i + 1
                while end < stop and (table[points[end]] & (WORD | CJK_CHAR)) == WORD:
                    end += 1
            else:
                i += 1
                continue
            out[line, TOKENS] += 1
            if flags & UPPER:  # the first character
                out[line, INITIAL_UPPER] += 1
                if end - i > 1:  # str.isupper: no lower or title case character (one is upper)
                    upper = True
                    for j in range(i + 1, end):
                        if table[points[j]] & LOWER_OR_TITLE:
                            upper = False
                            break
                    out[line, ALL_UPPER] += upper
            digits = True
            for j in range(i, end):
                if not table[points[j]] & DIGIT:
                    digits = False
                    break
            out[line, ALL_DIGITS] += digits
            if end - i <= longest:
                h = _hash(points, i, end)
                at = int(np.searchsorted(set_hashes, h))
                while at < len(set_hashes) and set_hashes[at] == h:
                    a, b = set_starts[at], set_starts[at + 1]
                    if b - a == end - i:
                        same = True
                        for j in range(end - i):
                            if set_points[a + j] != points[i + j]:
                                same = False
                                break
                        if same:
                            out[line, IN_SET] += 1
                            break
                    at += 1
            i = end
    return out


def joined_tokens(texts: Sequence[str], sep: str, casefold: bool = False) -> list[str]:
    """Each text's tokens joined by ``sep`` (``sep.join(_WORD.findall(text))``), case-folded when asked
    (one call for all texts: folding is per character); ``sep`` must be in no token."""
    if not texts:
        return []
    points, lengths = encode(texts)
    line_sep = "\x01" if sep != "\x01" else "\x02"
    joined = _joined(points, lengths, classes(points), ord(sep), ord(line_sep)).tobytes().decode(
        "utf-32-le", "surrogatepass")
    return (joined.casefold() if casefold else joined).split(line_sep)


@njit(cache=True)
def _joined(points: np.ndarray, lengths: np.ndarray, table: np.ndarray, sep: int, line_sep: int) -> np.ndarray:
    out = np.empty(2 * len(points) + len(lengths), dtype=np.uint32)
    n = 0
    i = 0
    for line in range(len(lengths)):
        if line:
            out[n] = line_sep
            n += 1
        stop = i + lengths[line]
        first = True
        inside = False
        while i < stop:
            flags = table[points[i]]
            if flags & (WORD | CJK_CHAR):
                if flags & CJK_CHAR or not inside:  # a token starts
                    if not first:
                        out[n] = sep
                        n += 1
                    first = False
                out[n] = points[i]
                n += 1
                inside = not flags & CJK_CHAR
            else:
                inside = False
            i += 1
    return out[:n]
