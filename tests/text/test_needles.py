"""The needle automaton finds exactly the substrings ``in`` finds, on any text."""
from __future__ import annotations

import random

import pytest

from cleaners.text.needles import Needles
from cleaners.text.rules import _PROMO_HINTS, _RULE_NEEDLES, _RULES, NEEDLES


def _expected(needles: Needles, text: str) -> int:
    return sum(1 << g for g, group in enumerate(needles.groups) if any(literal in text for literal in group))


@pytest.mark.parametrize("groups", [[["a", "ab", "abc"]], [["a"], ["ab"], ["abc"]], [["get "], ["get"]],
                                    [["(c)", "©"], ["c", "[x]"], ["©"]],
                                    [["cookie", "consent"], ["cookies", "akzept"]],
                                    [["aa"], ["aaa", "ab"], ["b"], ["abab", "ba"], ["a", "aa"]], [["x"]]])
def test_overlapping_nested_and_shared_needles(groups: list[list[str]]) -> None:
    needles = Needles(groups)
    rng = random.Random(4)
    alphabet = sorted({c for group in groups for literal in group for c in literal}) + ["z", " "]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(3_000)]
    texts += ["", "xxabcx", "forget it", "(c) 2024", "©", "[x]", "we use cookies", "akzeptieren", "consensus"]
    assert needles.masks(texts) == [_expected(needles, t) for t in texts]


def test_the_rules_needles_on_lines_of_their_pieces_and_any_character() -> None:
    """Pieces of every rule's needles and of the promotion hints cut at random, and characters no
    needle holds: astral ones, a lone surrogate, accents."""
    rng = random.Random(9)
    literals = sorted(set().union(*NEEDLES.groups))
    pieces = [*literals, "é", "\ud800", "😀", " ", "a", "(", ":", "x", "ñ", "→"]
    texts = ["".join(rng.choice(pieces)[:rng.randint(1, 12)] for _ in range(rng.randint(0, 10)))
             for _ in range(20_000)]
    assert NEEDLES.masks(texts) == [_expected(NEEDLES, t) for t in texts]


def test_each_rule_has_its_own_bit_and_the_promotion_hints_theirs() -> None:
    found = NEEDLES.masks(["we use cookies, sign up for our newsletter", "nothing here", ""])
    cookie = next(bit for rule, bit in _RULES if rule.reason == "cookie_notice" and "cookie" in rule.needs)
    assert found[0] & cookie and found[0] & _PROMO_HINTS  # "sign up"
    assert not found[1] & _RULE_NEEDLES and found[2] == 0
    bits = [bit for _, bit in _RULES if bit]
    assert len(set(bits)) == len(bits) and sum(bits) == _RULE_NEEDLES and not _RULE_NEEDLES & _PROMO_HINTS
    assert Needles([["a"]]).masks([]) == []


def test_groups_must_be_non_empty_of_non_empty_literals_in_the_basic_plane() -> None:
    for bad in ([], [["a"], []], [["a", ""]], [["😀"]], [["a"]] * 65):
        with pytest.raises(ValueError):
            Needles(bad)
