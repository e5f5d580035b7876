"""Text normalisation and word shingles for near-duplicate detection.

Copies of one story differ in case, Unicode forms (NFKC), quote and dash
styles and whitespace; none of that should count as a difference, so all of
it is folded away before shingling. Word tokens (``\\w+``) already drop
punctuation, so quote and dash styles only matter where they join words.
"""
from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
_JOINERS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-",
                          "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u00ad": None})


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_JOINERS).casefold()


def word_shingles(text: str, k: int) -> set[bytes]:
    """The set of k-word shingles (UTF-8 encoded, as datasketch hashes bytes).

    A text shorter than k words is one shingle of all its words, so short
    texts still have a signature.
    """
    words = _WORD.findall(normalise(text))
    if len(words) <= k:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i:i + k]).encode("utf-8") for i in range(len(words) - k + 1)}
