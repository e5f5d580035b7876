from __future__ import annotations

import pytest

from cleaners.text.byline import parse_byline


@pytest.mark.parametrize("line, author", [
    ("By Jane Okafor", "Jane Okafor"),
    ("by Tom Hughes Senior Correspondent", "Tom Hughes"),
    ("Written by Priya Natarajan | Reuters", "Priya Natarajan"),
    ("By María José García, Staff Writer", "María José García"),
    ("By Ken Adler and Lu Wei", "Ken Adler and Lu Wei"),
    ("Von Hans Müller, dpa", "Hans Müller"),
    ("Par Jean-Luc Martin", "Jean-Luc Martin"),
    ("By Alex Ward in Washington", "Alex Ward"),
    ("By Ludwig van Beethoven", "Ludwig van Beethoven"),
])
def test_bylines_give_the_author(line: str, author: str) -> None:
    assert parse_byline(line) == author


@pytest.mark.parametrize("line", [
    "By the end of the year, prices had doubled.",
    "By Monday, officials said, the bridge would reopen to traffic in both directions once more.",
    "by admin",
    "Bylines matter",
    "The plan was drafted by Jane Okafor and her team over three months of consultation.",
    "Di Maria Scores Twice As Argentina Win",
])
def test_prose_is_not_a_byline(line: str) -> None:
    assert parse_byline(line) is None
