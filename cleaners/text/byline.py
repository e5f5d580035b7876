"""Bylines: "By NAME", "Written by NAME | Reuters", "Von NAME", "Par NAME, AFP".

A byline line is chrome for the text and metadata for ``author``. The name is
the run of capitalised words after the lead word, stopped by a separator or a
job title, so "by Alexandra Hartman Editor-in-Chief" gives "Alexandra Hartman".
Only short lines qualify: "By the end of the year, ..." starts lower-case and
"By Monday, the plan ..." runs long.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .lines import word_count

_LEAD = re.compile(
    r"^(?:(?:written|posted|reported|compiled|edited|words|story|text|photos?) by|by|von|par|por|di|"
    r"door|av|af|author|autor|auteur|reporter)\s*:?\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_LEAD_INITIALS = frozenset("wprcetsbvdaf")
_ROLE = re.compile(
    r"^(?:editor(?:-in-chief)?|senior|chief|staff|reporter|correspondent|writer|columnist|contributor|"
    r"journalist|opinion|political|business|sports|deputy|managing|associate|news|special|foreign|"
    r"national|international|guest|published|updated|posted|and|und|et|y|e|on|in|at|for|from)$",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.-]*|(?:de|da|van|von|der|den|del|la|le|al|bin|ibn|el|di|du)"
                        r"|[A-Z]\.)$")
_SEPARATOR = re.compile(r"\s*[|,•·/–—]\s*|\s+(?:-|for|in|at)\s+")
_AND = re.compile(r"\s+(?:and|und|et|y|&)\s+")


@lru_cache(maxsize=8192)  # asked by the features and again by the head scan
def parse_byline(text: str, max_words: int = 12) -> str | None:
    """The author named by a byline line, or None when the line is not a byline."""
    if text.lstrip()[:1].lower() not in _LEAD_INITIALS:  # every lead word starts with one of these
        return None
    m = _LEAD.match(text.strip())
    if not m or word_count(text) > max_words or text.rstrip().endswith((".", "?", "!")) and not text.endswith(" Jr."):
        return None
    head = _SEPARATOR.split(m["rest"], maxsplit=1)[0]
    authors = [_name(part) for part in _AND.split(head, maxsplit=1)]
    if not authors[0]:
        return None
    return " and ".join(a for a in authors if a)


def _name(text: str) -> str | None:
    """The leading run of name-shaped words, stopped by a job title.

    A name is at most four words, and only a job title may follow it: a
    title-case headline ("Di Maria Scores Twice As Argentina Win") is not a byline.
    """
    words = text.split()
    names: list[str] = []
    for word in words:
        if _ROLE.match(word) or not _NAME_WORD.match(word):
            break
        names.append(word)
    rest = words[len(names):]
    if not names or not names[0][0].isupper() or len(names) > 4 or (rest and not _ROLE.match(rest[0])):
        return None
    return " ".join(names)
