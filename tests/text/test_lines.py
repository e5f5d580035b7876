"""Word tokens and counts of a line."""
from __future__ import annotations

import random

from cleaners.text.lines import at_most_words, word_count


def test_at_most_words_agrees_with_the_word_count_on_any_text() -> None:
    """Runs of letters, digits and underscores, CJK characters (one token each), punctuation and
    spaces between or inside them, in every mix: the early stop must count tokens as ``findall``
    does, and never split one run into two."""
    pieces = ["word", "Über", "x", "_", "42", "a_b", "東京", "の", "カタカナ", "한국어", "ṩ", "٣", "—", "-", ".", ",",
              " ", "  ", "\t", "'", "«", "»", "…", "!", "U.S.", "e-mail", "日本語text", "text日本", "\u00ad", "\u200b",
              "・", "゠", "\u3099", "\ufa6e", "東京・大阪"]
    rng = random.Random(3)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(20_000)]
    assert {min(word_count(t), 30) for t in texts} >= set(range(0, 30))  # every count around the limits occurs
    for text in texts:
        n = word_count(text)
        for limit in (0, 1, n - 1, n, n + 1, 15):
            if limit >= 0:
                assert at_most_words(text, limit) == (n <= limit), (text, limit)


def test_at_most_words_on_a_long_paragraph() -> None:
    paragraph = "The council met on Tuesday to discuss the budget for the coming year. " * 20
    assert not at_most_words(paragraph, 15)
    assert at_most_words(paragraph, word_count(paragraph))
    assert at_most_words("", 0) and not at_most_words("a", 0)
    assert not at_most_words("・", 0) and not at_most_words("a・b・c", 4)  # CJK-range marks are tokens too


#: White space of every kind, format characters, a lone surrogate, compatibility characters NFKC turns
#: into a space and a letter (¨, ´), and letters whose case fold grows (ß, İ, ﬁ).
_SPACING = ["a", "A", " ", "  ", "\t", "\xa0", "\u200b", "\ufeff", "\u00ad", "\u2028", "\x1f", "\u3000", "\u2009",
            "é", "😀", "\ud800", "B C", "\u00a8", "\u00b4", "ﬁ", "ß", "İ", "\u2019", "“", "\x85", "\u1680", "\u2007",
            "\uff21", "\u200d", "\u2060", "\x0b"]


def test_a_line_already_spaced_once_is_kept_as_it_is_and_any_other_is_spaced() -> None:
    """normalise_line returns a printable line without double, leading or trailing spaces untouched;
    on any line it equals its definition (words split on any white space, joined by one space)."""
    import random

    from cleaners.text.lines import _INVISIBLE, _INVISIBLE_OR_SPACE, normalise_line

    def definition(raw: str) -> str:
        text = " ".join(raw.split())
        return "" if text and text[0] in _INVISIBLE and not text.strip(_INVISIBLE_OR_SPACE) else text

    rng = random.Random(6)
    for _ in range(100_000):
        raw = "".join(rng.choice(_SPACING) for _ in range(rng.randint(0, 8)))
        assert normalise_line(raw) == definition(raw), repr(raw)
    line = "Already spaced once, as most lines are."
    assert normalise_line(line) is line
