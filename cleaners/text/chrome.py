"""Mark chrome lines and cut promotions glued to the end of a paragraph.

Marking only sets :attr:`Line.reason`; segmentation decides afterwards what
the marked block headers mean for the page's structure.
"""
from __future__ import annotations

from dataclasses import dataclass

from .boilerplate import SITE_BOILERPLATE
from .lines import Line, at_most_words, word_count
from .rules import (
    NEEDLES,
    PROMO_MAX_WORDS,
    PROMO_SENTENCE,
    SENTENCE_END,
    BlockKind,
    fold,
    has_promo_hint,
    line_rule,
)

PROMO = "promo"


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """A chrome line that, below the article body, opens a block of ``kind``."""

    index: int  # position in the page's line list
    kind: BlockKind
    reason: str


def mark_chrome(lines: list[Line], site_lines: frozenset[str] = frozenset()) -> list[BlockHeader]:
    """Give every line that a rule matches its reason; return the block headers seen.

    ``site_lines`` are the folded lines this page's site repeats across its
    pages (:mod:`cleaners.text.boilerplate`); a rule's more specific reason wins.
    """
    headers: list[BlockHeader] = []
    candidates = [i for i, line in enumerate(lines) if line.kept]
    # split_lines already made spaces single: an ASCII line only needs case folding
    folded_lines = [lines[i].text.casefold() if lines[i].text.isascii() else fold(lines[i].text) for i in candidates]
    for i, folded, found in zip(candidates, folded_lines, NEEDLES.masks(folded_lines)):
        line = lines[i]
        kept, tail = split_glued_promo(line.text, folded, found)
        # Prose with a promo glued on: the article stage cuts only the tail, so the rules
        # judge what is left ("We use cookies. Click here." is still a cookie notice).
        if kept and tail:
            line.promo_tail = tail
            rule = line_rule(kept, word_count(kept))
        else:
            rule = line_rule(line.text, line.words, folded, found)
        if rule is None:
            if tail and not kept:  # the whole line is promotion sentences
                line.reason = PROMO
            elif folded in site_lines:
                line.reason = SITE_BOILERPLATE
            continue
        line.reason = rule.reason
        if rule.ends_article:
            headers.append(BlockHeader(i, rule.ends_article, rule.reason))
    return headers


def split_glued_promo(text: str, folded: str | None = None, found: int | None = None) -> tuple[str, str]:
    """Split a paragraph into (kept, promo tail).

    Trailing sentences are dropped while they match :data:`PROMO_SENTENCE`;
    the first sentence from the end that does not match stops the cut, so
    only a promotion that *closes* the paragraph is removed. ``folded`` is
    :func:`fold` of the text, ``found`` its :data:`NEEDLES` (when known).
    """
    if folded is None:
        folded, found = fold(text), None
    if not has_promo_hint(folded, found):
        return text, ""
    sentences = SENTENCE_END.split(text)
    cut = len(sentences)
    while cut > 0 and _is_promo(sentences[cut - 1]):
        cut -= 1
    if cut == 0:
        return "", text
    if cut == len(sentences):
        return text, ""
    # Re-find the cut in the original string so spacing and quotes stay untouched.
    kept_len = _prefix_length(text, sentences[:cut])
    return text[:kept_len].rstrip(), text[kept_len:].strip()


def _is_promo(sentence: str) -> bool:
    return at_most_words(sentence, PROMO_MAX_WORDS) and PROMO_SENTENCE.search(fold(sentence)) is not None


def _prefix_length(text: str, kept: list[str]) -> int:
    """Offset in ``text`` just after the last kept sentence."""
    offset = 0
    for sentence in kept:
        offset = text.index(sentence, offset) + len(sentence)
    # Keep a closing quote or bracket that the boundary regex left outside the sentence.
    while offset < len(text) and text[offset] in "\"'”’)]":
        offset += 1
    return offset
