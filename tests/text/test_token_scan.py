"""The compiled token passes are ``_WORD.findall`` and ``str`` methods, on any text."""
from __future__ import annotations

import random

import numpy as np

from cleaners.text import token_scan
from cleaners.text.features import _STOP_FORMS
from cleaners.text.lines import _WORD, Line, split_lines, word_count
from cleaners.text.token_scan import TokenSet, encode, joined_tokens, split_count, token_columns, token_counts

#: Scripts, cases and digit kinds where a token or a case test could go wrong: title-case letters
#: (ǅ, ǈ), ß and its capital, ligatures, Turkish İ, digits that are not decimal (², ½, Ⅻ), "_", CJK
#: ranges holding non-word characters (・, U+3099, unassigned U+FA6E), astral letters and digits, an
#: emoji, a lone surrogate, combining marks, circled letters, modifier letters.
PIECES = ["The", "the", "THE", "Und", "ÉTÉ", "été", "ǅemal", "ǅ", "Ǆ", "ﬁne", "İ", "ß", "ẞ", "123", "١٢٣", "²", "½",
          "Ⅻ", "_", "a_b", "東京", "・", "゠", "の", "は", "ガ", "\u3099", "\ufa6e", "𝔘𝔫", "𝟙𝟚", "😀", "\ud800", " ",
          "  ", ",", ".", "-", "'", "’", "X", "A1", "1A", "ŉ", "ᾈ", "Σσς", "\u0345", "ǈ", "x\u0301", "Ⓐ", "ⓐ", "ǲ",
          "ᵃ", "ª", "ʰ", "ABC", "ĲĳĲ", "ÀB", "AÀb", "\u2160\u2161"]


def _pages(seed: int, count: int) -> list[list[str]]:
    rng = random.Random(seed)
    pages = []
    for _ in range(count):
        texts = ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(1, 20))]
        texts.append("".join(chr(rng.choice([rng.randrange(0x110000), rng.randrange(0x3000, 0xA000),
                                             rng.randrange(0x80, 0x2000)])) for _ in range(rng.randint(0, 20))))
        pages.append(texts)
    return pages


def test_counts_columns_and_keys_equal_findall_and_str_methods() -> None:
    stops = TokenSet(_STOP_FORMS)
    for texts in _pages(3, 1_500):
        toks = [_WORD.findall(t) for t in texts]
        assert token_counts(texts).tolist() == [len(w) for w in toks], texts
        points, lengths = encode(texts)
        want = [[len(w), sum(t in _STOP_FORMS for t in w), sum(t[0].isupper() for t in w),
                 sum(1 for t in w if t[0].isupper() and len(t) > 1 and t.isupper()), sum(t.isdigit() for t in w)]
                for w in toks]
        assert token_columns(points, lengths, stops).tolist() == want, texts
        assert joined_tokens(texts, "\x00") == ["\x00".join(w) for w in toks], texts
        assert joined_tokens(texts, "\x00", casefold=True) == ["\x00".join(w).casefold() for w in toks], texts


def test_split_count_equals_str_split_with_every_kind_of_white_space() -> None:
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    near = ["\u180e", "\u200b", "\ufeff", "\u2060", "\x1b", "\x00", "\u3001", "\U0001f600", "\ud800"]  # no spaces
    rng = random.Random(5)
    for _ in range(20_000):
        text = "".join(rng.choice([rng.choice(spaces), rng.choice(near), rng.choice(PIECES)])
                       for _ in range(rng.randint(0, 15)))
        assert split_count(text) == len(text.split()), repr(text)
    assert split_count("") == 0 and split_count("one two\u3000three\x1cfour") == 4


def test_a_token_set_matches_whole_tokens_only() -> None:
    words = TokenSet(["of", "Of", "の", "𝔘"])
    texts = ["of often off Of OF", "のの の", "𝔘𝔘 𝔘", ""]
    points, lengths = encode(texts)
    assert token_columns(points, lengths, words)[:, 1].tolist() == [2, 3, 1, 0]  # の is one token a character
    empty = TokenSet([])
    assert token_columns(points, lengths, empty)[:, 1].tolist() == [0, 0, 0, 0]


def test_classes_are_read_a_block_at_a_time_when_a_page_first_holds_one() -> None:
    block = 0x1D400 >> 12  # mathematical letters: in no test text before this one, unless the random ones hit it
    token_scan._FILLED[block] = False
    token_scan._TABLE[block << 12:(block + 1) << 12] = 0
    assert token_counts(["𝐀𝐁 x"]).tolist() == [2]
    assert token_scan._FILLED[block]
    assert token_scan._TABLE[0x1D400] & token_scan.WORD and token_scan._TABLE[0x1D400] & token_scan.UPPER


def test_joined_tokens_with_either_control_separator() -> None:
    assert joined_tokens(["a b", "東京!x"], "\x01") == ["a\x01b", "東\x01京\x01x"]
    assert joined_tokens([], "\x00") == []


def test_lines_know_their_word_count_and_find_tokens_when_asked() -> None:
    text = "Storm hits coast\n\n東京・大阪 2024\nThe end. Subscribe now."
    lines = split_lines(text)
    assert [line.words for line in lines] == [word_count(line.text) for line in lines] == [3, 0, 6, 4]
    assert lines[2]._toks is None and lines[2].toks == _WORD.findall("東京・大阪 2024")
    lines[3].set_text("The end.")
    assert (lines[3].words, lines[3].toks) == (2, ["The", "end"])
    assert Line(0, "Three more words").words == 3
    assert np.array_equal(token_counts([]), np.zeros(0, dtype=np.int64))
