"""Text normalisation and word shingles for near-duplicate detection.

Copies of one story differ in case, Unicode forms, quote and dash styles,
whitespace and line wrapping; none of that should count as a difference. The
normal form: NFKC (compatibility forms: ligatures, full-width letters,
no-break spaces), soft hyphens dropped, each character lower-cased on its own
(``str.lower`` when that gives one character), then words are the runs of
word characters (``\\w``: letters, digits, marks of numbers, underscore).
Quotes, dashes and all other punctuation separate words, so their styles
vanish. Chrome is not this module's business: the cleaner removed it before.

This module is the readable reference; :mod:`cleaners.dedup.minhash`
computes the same shingles inside its compiled kernel from the tables below
(``tests/dedup/test_minhash.py`` checks they agree).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
#: Code points covered by the tables; above (rare CJK extensions) every character is a word character.
TABLE_SIZE = 0x30000


def _lower1(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if "\u00ad" in text:
        text = text.replace("\u00ad", "")
    if text.isascii():
        return text.lower()
    return "".join(map(_lower1, text))


def words(text: str) -> list[str]:
    """The word tokens of a normalised text."""
    return _WORD.findall(text)


def word_shingles(text: str, k: int) -> set[bytes]:
    """The set of k-word shingles (UTF-8 encoded, the bytes the shingle hash sees).

    A text shorter than k words is one shingle of all its words, so short
    texts still have a signature.
    """
    tokens = words(normalise(text))
    if len(tokens) <= k:
        return {" ".join(tokens).encode("utf-8")} if tokens else set()
    return {" ".join(tokens[i:i + k]).encode("utf-8") for i in range(len(tokens) - k + 1)}


@lru_cache(maxsize=1)
def tables() -> tuple[np.ndarray, np.ndarray]:
    """``(is_word bool[TABLE_SIZE], lower int32[TABLE_SIZE])`` for the compiled kernel."""
    chars = [chr(c) for c in range(TABLE_SIZE)]
    lower = np.fromiter((ord(_lower1(ch)) if not 0xD800 <= ord(ch) < 0xE000 else ord(ch) for ch in chars),
                        dtype=np.int32, count=TABLE_SIZE)
    is_word = np.fromiter((ch.isalnum() or ch == "_" for ch in chars), dtype=np.bool_, count=TABLE_SIZE)
    return is_word, lower
