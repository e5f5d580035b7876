"""A page as numbered lines that stages mark instead of deleting.

"Record, then remove": every decision is a ``reason`` on a :class:`Line`, so
the audit can show exactly what went and why, and a later stage can still
see the whole page (segmentation needs the chrome lines' positions).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .token_scan import CJK, token_counts

#: Han ideographs and kana (:data:`.token_scan.CJK`): one token per character, since CJK text has no spaces
#: between words (a Japanese paragraph would otherwise be one "word"). Every other script: runs of word characters.
#: The non-CJK alternative comes first: the classes are disjoint, and most text is not CJK.
_WORD = re.compile(rf"[^\W{CJK}]+|[{CJK}]", re.UNICODE)
_SENTENCE_PUNCTUATION = frozenset(".!?…。！？")
_CLOSERS = "\"'”’)]」』"


@dataclass(slots=True)
class Line:
    """One line of the page; ``reason`` is None while the line is kept.

    Its word count is known from the start (:func:`split_lines` counts a
    page's lines in one compiled pass); its tokens as strings are found
    only when a stage asks for them, which few do. :meth:`set_text` keeps
    both in step when a stage shortens the line (a glued promo cut).
    """

    no: int
    text: str
    reason: str | None = None
    #: a promotion glued to the end of the line, found by the chrome stage ("" when none)
    promo_tail: str = ""
    #: the line's number of word tokens (counted here when not given)
    words: int = -1
    _toks: list[str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.words < 0:
            self.words = word_count(self.text)

    @property
    def toks(self) -> list[str]:
        """The line's word tokens (case kept)."""
        if self._toks is None:
            self._toks = _WORD.findall(self.text)
        return self._toks

    def set_text(self, text: str) -> None:
        self.text, self._toks, self.words = text, None, word_count(text)

    @property
    def prose(self) -> bool:
        """:func:`is_prose` with the word count already known."""
        return self.words >= 12 and (self.words >= 24 or ends_sentence(self.text))

    @property
    def blank(self) -> bool:
        return not self.text

    @property
    def kept(self) -> bool:
        return self.reason is None and bool(self.text)


def split_lines(text: str) -> list[Line]:
    """Split on any line ending; make white space single spaces and strip; keep blank lines.

    Line numbers are :meth:`str.splitlines` indices of the page text, which the audit's
    ``line_no`` and :mod:`cleaners.explain` rely on. ``splitlines`` already ends lines at
    U+2028/U+2029 and ``str.split`` already treats NBSP as white space; rewriting U+2028 to
    ``\\n`` first would merge a ``\\r`` before it into one ``\\r\\n`` ending and shift every
    later line number.

    A line of nothing but invisible format characters (a WordPress ``<p>&#8203;</p>`` spacer,
    a stray BOM) is blank: it has no words, and as a line it scored low and split the body
    region around every image caption.
    """
    texts = [normalise_line(raw) for raw in text.splitlines()]
    # positional: half the time of a keyword argument, for every line of every page
    return [Line(no, t, None, "", n) for no, (t, n) in enumerate(zip(texts, token_counts(texts).tolist()))]


def normalise_line(raw: str) -> str:
    """One line as every stage sees it: single spaces, stripped, "" when only invisible characters remain.

    Most lines are that already: a printable line (no white space but the space, no format
    character) without a double, leading or trailing space is returned as it is, after two
    scans in C instead of splitting it into words and joining them (half the time on news).
    """
    if raw.isprintable() and "  " not in raw and raw[:1] != " " and raw[-1:] != " ":
        return raw
    text = " ".join(raw.split())
    if text and text[0] in _INVISIBLE and not text.strip(_INVISIBLE_OR_SPACE):
        return ""
    return text


#: Characters with no glyph that ``str.split`` does not count as white space: zero-width space,
#: word joiner, BOM, soft hyphen, zero-width (non-)joiner.
_INVISIBLE = "\u200b\u2060\ufeff\u00ad\u200c\u200d"
_INVISIBLE_OR_SPACE = _INVISIBLE + " "


#: What :meth:`str.splitlines` ends a line at ("\r\n" counts twice, an upper bound is all a limit needs).
_LINE_ENDS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def line_count(text: str) -> int:
    """About ``len(text.splitlines())``, without making the lines (a limit is checked before the page is split)."""
    ends = sum(text.count(end) for end in _LINE_ENDS)
    return ends + (bool(text) and not text.endswith(_LINE_ENDS))


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def at_most_words(text: str, limit: int) -> bool:
    """``word_count(text) <= limit``, reading the text only up to its word ``limit + 1``.

    A long sentence is rejected after a few words instead of being split into
    all of its tokens (the promotion test of :mod:`cleaners.text.chrome`).
    """
    return _more_than(limit).match(text) is None


@lru_cache(maxsize=32)
def _more_than(limit: int) -> re.Pattern[str]:
    """Matches a text of more than ``limit`` :data:`_WORD` tokens. Between tokens it skips what no token
    holds: neither a word character nor one of the CJK ranges, some of whose characters are no word
    characters ("・", U+30FB) but are tokens all the same. Possessive runs cannot be split by
    backtracking: a run is one token, as for ``findall``."""
    return re.compile(rf"(?:[^\w{CJK}]*+(?:[^\W{CJK}]++|[{CJK}])){{{limit + 1}}}")


def tokens(text: str) -> list[str]:
    """Case-folded word tokens, the unit of every text similarity in the package."""
    return [t.casefold() for t in _WORD.findall(text)]


def ends_sentence(text: str) -> bool:
    """Ends with sentence punctuation, possibly followed by closing quotes or brackets.

    An rstrip and a set test rather than a ``...$`` regex, whose search would try every
    position of a long line; this runs for every line of every page.
    """
    return text.rstrip(_CLOSERS)[-1:] in _SENTENCE_PUNCTUATION


def is_prose(text: str, min_words: int = 12) -> bool:
    """A line that reads as running text rather than a label, link or heading."""
    return word_count(text) >= min_words and (ends_sentence(text) or word_count(text) >= 2 * min_words)


def is_headline(text: str) -> bool:
    """Shaped like a title: a few words, not a sentence that ends in a full stop or colon.

    Question and exclamation marks and closing quotes are allowed: headlines use them.
    """
    n = word_count(text)
    if not 2 <= n <= 30 or len(text) > 250:
        return False
    return not re.search(r"[.,;:]$", text) or text.endswith("...")
