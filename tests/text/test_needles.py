"""The needle automaton finds exactly the substrings ``in`` finds, on any text."""
from __future__ import annotations

import random

import pytest

from cleaners.text.needles import Needles
from cleaners.text.rules import NEEDLES, PROMO_HINTS, LINE_RULES


def _expected(needles: Needles, text: str) -> int:
    return sum(1 << k for k, literal in enumerate(needles.literals) if literal in text)


@pytest.mark.parametrize("literals", [["a", "ab", "abc"], ["get ", "get"], ["(c)", "©", "c", "[x]"],
                                      ["cookie", "consent", "cookies", "akzept"], ["aa", "aaa", "ab", "b", "abab", "ba"],
                                      ["x"]])
def test_overlapping_and_nested_needles(literals: list[str]) -> None:
    needles = Needles(literals)
    rng = random.Random(4)
    alphabet = sorted({c for literal in literals for c in literal}) + ["z", " "]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(3_000)]
    texts += ["", "xxabcx", "forget it", "(c) 2024", "©", "[x]", "we use cookies", "akzeptieren", "consensus"]
    assert needles.masks(texts) == [_expected(needles, t) for t in texts]


def test_the_rules_needles_on_lines_of_their_pieces_and_any_character() -> None:
    """More than 64 needles (masks of two words), pieces cut at random, and characters no needle holds:
    astral ones, a lone surrogate, accents."""
    assert len(NEEDLES.literals) > 64
    rng = random.Random(9)
    pieces = [*NEEDLES.literals, "é", "\ud800", "😀", " ", "a", "(", ":", "x", "ñ", "→"]
    texts = ["".join(rng.choice(pieces)[:rng.randint(1, 12)] for _ in range(rng.randint(0, 10)))
             for _ in range(20_000)]
    assert NEEDLES.masks(texts) == [_expected(NEEDLES, t) for t in texts]


def test_masks_of_named_needles() -> None:
    found = NEEDLES.masks(["we use cookies, sign up for our newsletter", "nothing here", ""])
    assert found[0] & NEEDLES.mask(["cookie"]) and found[0] & NEEDLES.mask(["newsletter"])
    assert found[0] & NEEDLES.mask(PROMO_HINTS)  # "sign up"
    assert not found[1] & NEEDLES.mask([n for rule in LINE_RULES for n in rule.needs]) and found[2] == 0
    assert Needles(["a"]).masks([]) == []


def test_needles_must_be_distinct_non_empty_and_in_the_basic_plane() -> None:
    for bad in (["a", "a"], ["a", ""], ["😀"]):
        with pytest.raises(ValueError):
            Needles(bad)
