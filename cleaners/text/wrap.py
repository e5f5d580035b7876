"""Hard-wrapped plain text rejoined into paragraphs before its lines are judged.

The text stage judges a page line by line, and a line was meant to be a block
or a text node. Text wrapped at a fixed width (email, Project Gutenberg,
``fmt``, text dumps) breaks every paragraph into lines of ~W characters: a
paragraph's lines look like fragments, its first line like a headline. This
module finds such text and joins each wrapped paragraph into one line.

Signals, all language-independent:

* **Fill.** A wrapper breaks where the next word would not fit: a line
  ``a`` followed directly by ``b`` is a *wrap break* at width ``W`` when
  ``len(a) <= W < len(a) + 1 + len(first word of b)`` (``fmt`` balances
  its lines, so within a sentence a tenth of ``W`` may stay free). Every
  adjacent pair votes for the widths it is a break at; the page's width is
  the one most pairs agree on.
* **A run.** Lines longer than ``W`` (other than a single unbreakable token,
  a URL) end a run: chrome around a wrapped body stays out of it.
* **Wrapped prose.** In the run, between its first and last break, most
  nearly full lines are wrap breaks; most breaks fall inside a sentence; a
  fair share of the lines after a break start lower-case (a headline list,
  verse or a teaser column starts every line with a capital or a digit); and
  the joined paragraphs end as paragraphs do (not on a menu's labels).
  Flattened web text fails this: a block per line gives lines far longer
  and far shorter than any ``W``, a text node per line gives fragments of
  random length that rarely fill a width.

Only the wrap breaks are joined: a short line (a heading, a list item, the
last line of a paragraph, a verse line) always ends its paragraph, and a list
marker, quote marker, table or indented continuation never joins.

A page whose wrapped runs hold nearly all its words is a plain-text document
(:func:`document_span`): web chrome never comes hard-wrapped at a fixed width,
so between its first wrapped line and the end of its tail every line is text
the line model may not cut; only chrome rules remove lines there.

Line numbers stay those of the page: the joined paragraph is the text of its
first line, the lines joined into it become blank, and :func:`restore_rows`
gives every audit row of a joined line the original lines back (as a merged
run's row holds them, line ``i`` of its text is line ``line_no + i``).
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace

from ..model import RemovedLine
from ..reasons import GLUED_PROMO
from .lines import CJK, Line, ends_sentence

#: Widths a wrapper uses (``fmt`` 75, email 72-78, Gutenberg ~70, narrow columns 50-60): narrower,
#: short lines of forms and menus fill a width by chance too often.
MIN_WIDTH, MAX_WIDTH = 50, 120
#: Distinct wrap breaks a run needs: fewer is a coincidence of a few lines' lengths.
MIN_BREAKS = 5
#: Share of the run's full lines (within :data:`MAX_SLACK` of the width, another line that is not
#: a list item or a quote after them) that must be wrap breaks: in wrapped text the rest are the few paragraph ends that filled a
#: line; lines of random length break where the next word would have fitted about half the time.
MIN_BREAK_SHARE = 0.6
#: Share of breaks (of those before a cased letter or a digit) where the next line starts lower-case:
#: name-heavy news still has a third, German prose half; a headline list or teaser column none.
MIN_LOWER_STARTS = 0.25
#: Share of joined paragraphs that must end as a paragraph does (:func:`_paragraph_end`: a
#: sentence's end, or a list item's lower-case tail), while lines of a menu or a headline list,
#: glued by chance, end on a capitalised label.
MIN_ENDED = 0.5
#: At most this share of the width is left free at the end of a wrapped line (a longer next word is rare).
MAX_SLACK = 0.25
#: Room a wrapper may leave although the next word would have fitted, as a share of the width:
#: ``fmt`` and ``par`` balance lines (aiming at 93% of the width) instead of filling each greedily.
FILL_TOLERANCE = 0.1
#: Share of breaks that must read as a sentence going on (:func:`_continued`).
MIN_CONTINUED = 0.5
#: Share of a page's words its wrapped runs must hold for the page to be a plain-text document
#: (:func:`document_span`). A hard-wrapped document has no line wider than its width (but for a
#: rare unbreakable token), so its runs hold all its words; a web page around a wrapped body, or
#: text-node-per-line flattening that happens to read as wrapped, keeps a fair share outside them
#: (a dev page of that kind: half; flattened snippet pages: 0.1-0.9).
MIN_DOCUMENT_SHARE = 0.8

#: A line that never continues the one before it: list items, quoted mail, table rows.
_OWN_LINE = re.compile(r"(?:[-*•·–—+>|#]|\d{1,3}[.)]|[a-zA-Z][.)])(?:\s|$)|>")
_CJK_START = re.compile(f"[{CJK}]")
#: A word of letters (an inner hyphen or apostrophe allowed): what prose continues with.
_PLAIN_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_TRAILING = ",.;:!?)]}\"'”’»…"
#: Aligned columns: a tab or a run of spaces between words (two spaces after a sentence's end are
#: a typist's habit, not a column), or cells between bars.
_TABLE = re.compile(r"[^\s.!?:;\"'”’)\]](?: {2,}|\t)\S|\|.*\|")


@dataclass(frozen=True, slots=True)
class Wrapped:
    """What :func:`unwrap` found on a page: the joined paragraphs and the wrapped runs."""

    #: a joined paragraph's line number -> the texts of the lines it was made of (:func:`restore_rows`)
    joined: dict[int, tuple[str, ...]] = field(default_factory=dict)
    #: the runs that read as wrapped text, each its non-blank lines' numbers (blank ones between)
    runs: list[list[int]] = field(default_factory=list)


def rejoin_wrapped(lines: list[Line], text: str) -> dict[int, tuple[str, ...]]:
    """Join the wrapped paragraphs of a hard-wrapped page in place; the joined lines' original texts.

    :attr:`Wrapped.joined` of :func:`unwrap`: empty for a page that is not wrapped, left untouched.
    """
    return unwrap(lines, text).joined


def unwrap(lines: list[Line], text: str) -> Wrapped:
    """Join the wrapped paragraphs of a hard-wrapped page in place; what was joined, and where.

    ``lines`` are :func:`cleaners.text.lines.split_lines` of ``text`` (the raw
    text is read for indentation and aligned columns only once a width is
    found).
    """
    width = _width(lines)
    if width is None:
        return Wrapped()
    raw: list[str] = []
    found = Wrapped()
    for run in _runs(lines, width):
        members = set(run)
        breaks = [i for i in run if i + 1 in members and _is_break(lines, i, width)]
        if len(breaks) < MIN_BREAKS:
            continue
        raw = raw or text.splitlines()  # only now: most pages end above
        breaks = [i for i in breaks if _unaligned(raw, i)]
        if not _wrapped(lines, run, members, breaks, width):
            continue
        found.runs.append(run)
        at = set(breaks)  # a label after a full sentence, ending the chain, is a heading: not glued
        breaks = [i for i in breaks if i + 1 in at or not _heading_after(lines[i].text, lines[i + 1].text)]
        chain: list[int] = []
        for i in breaks:
            if chain and chain[-1] != i:
                _join(lines, chain, found.joined)
                chain = []
            chain.extend([i, i + 1] if not chain else [i + 1])
        if chain:
            _join(lines, chain, found.joined)
    return found


def document_span(lines: list[Line], wrapped: Wrapped) -> range | None:
    """The lines of a hard-wrapped document, all of them its text; None for any other page.

    Web chrome never comes hard-wrapped at a fixed width, so a page whose wrapped runs hold
    nearly all its words (:data:`MIN_DOCUMENT_SHARE`) is a plain-text document, not a
    flattened web page. Its span runs from its first wrapped line to its last, and on below
    it through the run: a document's tail (a one-line last paragraph, a list, credits, a
    sign-off) fits the width as its paragraphs do. The tail ends at the first line a chrome
    rule named (a share bar, a block header): page chrome below a wrapped body starts there.
    Inside the span only a rule removes a line (call after
    :func:`cleaners.text.chrome.mark_chrome`): short lines, list items and headings are the
    document's, and the line model and the body region must not cut it. Lines above the
    span (a menu, the head the title search reads) are judged as on any page.
    """
    if not wrapped.joined:
        return None
    in_runs = sum(lines[i].words for run in wrapped.runs for i in run)
    if in_runs < MIN_DOCUMENT_SHARE * sum(line.words for line in lines):
        return None
    first = min(wrapped.joined)
    last = max(no + len(parts) - 1 for no, parts in wrapped.joined.items())
    tail = next(run for run in wrapped.runs if run[0] <= last <= run[-1])
    for i in tail:
        if i > last and lines[i].reason is not None:
            break
        last = max(last, i)
    return range(first, last + 1)


def _width(lines: list[Line]) -> int | None:
    """The width most adjacent pairs would be wrap breaks at, or None when too few agree on any.

    A pair (a, b) votes for every width from ``len(a)`` up to just before ``b``'s first word
    would have fitted, and at most :data:`MAX_SLACK` of the width beyond ``len(a)``; of the
    widths most pairs agree on, the widest, so that no line of the wrapped text is longer.
    (Greedy fill only: balanced lines, which :func:`_is_break` also accepts, would widen the
    vote to any width a tenth above; they widen the result only as far as the longest of them.)
    """
    votes = [0] * (MAX_WIDTH + 2)
    texts = [line.text for line in lines]
    for a, b in itertools.pairwise(texts):
        n = len(a)
        if n < MIN_WIDTH * (1 - MAX_SLACK) or n > MAX_WIDTH or not b:
            continue
        top = min(n + _next_word(a, b), int(n / (1 - MAX_SLACK)) + 1, MAX_WIDTH + 1)
        votes[n] += 1
        votes[top] -= 1
    best, count, running = None, 0, 0
    for w, vote in enumerate(votes[:MAX_WIDTH + 1]):
        running += vote
        if w >= MIN_WIDTH and running >= count and running >= MIN_BREAKS:
            best, count = w, running
    if best is None:
        return None
    # Balanced lines (fmt) fill less than greedy ones, so the vote falls a little short of the
    # width: widen it to the longest line of words a little above it.
    limit = best / (1 - FILL_TOLERANCE)
    return max([best] + [len(a) for a in texts if best < len(a) <= limit and " " in a])


def _next_word(a: str, b: str) -> int:
    """How much longer ``a`` would be with ``b``'s first word: one CJK character, or a word and a space."""
    if _CJK_START.match(b):
        return 1
    end = b.find(" ")
    word = len(b) if end < 0 else end
    return word if a.endswith("-") and a[-2:-1].isalpha() else word + 1


def _runs(lines: list[Line], width: int) -> list[list[int]]:
    """Non-blank lines between lines wider than ``width`` (a lone long token, a URL, does not end a run)."""
    runs: list[list[int]] = [[]]
    for i, line in enumerate(lines):
        if not line.text:
            continue
        if len(line.text) > width and " " in line.text:
            runs.append([])
        else:
            runs[-1].append(i)
    return [run for run in runs if len(run) > MIN_BREAKS]


def _is_break(lines: list[Line], i: int, width: int) -> bool:
    """Line ``i`` was wrapped at ``width``: line ``i + 1`` continues it, and its first word did not fit."""
    a, b = lines[i].text, lines[i + 1].text
    # a full line that ends a sentence must be full to the word: it may be a paragraph's last
    tolerance = 0.0 if ends_sentence(a) and not _lower_word(b) else FILL_TOLERANCE
    if not len(a) <= width or width * (1 - tolerance) >= len(a) + _next_word(a, b) \
            or len(a) < width * (1 - MAX_SLACK):
        return False
    if _OWN_LINE.match(b) or a.startswith(">") or a == b:  # a list item, a quote, a repeated line
        return False
    if " " not in a and not _CJK_START.search(a):  # a lone token (CJK text has no spaces to break at)
        return False
    return not a.endswith(("...", "…"))  # a teaser cut short, not a line wrapped


def _unaligned(raw: list[str], i: int) -> bool:
    """Neither line is a table row, and line ``i + 1`` is not indented below line ``i`` (code, verse)."""
    raw_a, raw_b = raw[i], raw[i + 1]
    indent_a, indent_b = len(raw_a) - len(raw_a.lstrip()), len(raw_b) - len(raw_b.lstrip())
    return indent_b <= indent_a and not _TABLE.search(raw_a.strip()) and not _TABLE.search(raw_b.strip())


def _wrapped(lines: list[Line], run: list[int], members: set[int], breaks: list[int], width: int) -> bool:
    """The run reads as wrapped paragraphs: dense in breaks, breaking inside sentences, not verse."""
    if len({(lines[i].text, lines[i + 1].text) for i in breaks}) < MIN_BREAKS:  # a block repeated is one
        return False
    first, last = breaks[0], breaks[-1]
    # a full line before a list item or a quote could not have been wrapped into it: no evidence
    full = [i for i in run if first <= i <= last and i + 1 in members
            and len(lines[i].text) >= width * (1 - MAX_SLACK) and not _OWN_LINE.match(lines[i + 1].text)]
    if len(breaks) < MIN_BREAK_SHARE * len(full):
        return False
    at = set(breaks)
    if sum(_continued(lines[i].text, lines[i + 1].text) for i in breaks) < MIN_CONTINUED * len(breaks):
        return False
    starts = [lines[i + 1].text[:1] for i in breaks]
    cased = [c for c in starts if c.isupper() or c.islower() or c.isdigit()]
    if sum(c.islower() for c in cased) < MIN_LOWER_STARTS * len(cased):  # every line starts a title or a time
        return False
    ends = [i + 1 for i in breaks if i + 1 not in at]  # the last line of each joined paragraph
    return sum(_paragraph_end(lines[i].text) for i in ends) >= MIN_ENDED * len(ends)


def _lower_word(text: str) -> bool:
    """The line starts with a lower-case word of letters (not a URL, a file name or an identifier)."""
    word = text.split(" ", 1)[0].rstrip(_TRAILING)
    return bool(_PLAIN_WORD.fullmatch(word)) and word[0].islower()


def _heading_after(a: str, b: str) -> bool:
    """``b`` is a heading or label under a line ending a sentence, not that paragraph's tail."""
    return ends_sentence(a) and not _lower_word(b) and not _paragraph_end(b)


def _paragraph_end(text: str) -> bool:
    """The tail of a paragraph: a sentence's end, or words ending on a lower-case one (a list
    item's tail); not a capitalised label or a lone identifier, which a menu puts under a phrase."""
    if text.endswith(("...", "…")):  # a teaser cut short
        return False
    if ends_sentence(text):
        return True
    words = text.split(" ")
    return len(words) >= 2 and bool(_PLAIN_WORD.fullmatch(words[-1].rstrip(_TRAILING))) and words[-1][0].islower()


def _continued(a: str, b: str) -> bool:
    """``b`` reads as ``a``'s sentence going on.

    Either ``b`` starts with a lower-case word (not a URL, a file name or an identifier), or
    ``a`` ends inside a sentence on a comma or a word that is not capitalised (in a script
    without case: on any word). A list of headlines or names ends and starts its lines on
    capitals; wrapped prose, even German or name-heavy news, rarely does both.
    """
    if _lower_word(b):
        return True
    if ends_sentence(a):
        return False
    last = a.rsplit(" ", 1)[-1]
    return last[-1] in ",;" or (last[0].isalpha() and not last[0].isupper())


def _join(lines: list[Line], chain: list[int], joined: dict[int, tuple[str, ...]]) -> None:
    """One paragraph on the chain's first line; the others blank (their numbers stay the page's)."""
    parts = tuple(lines[i].text for i in chain)
    lines[chain[0]].set_text(_glue(parts)[0])
    for i in chain[1:]:
        lines[i].set_text("")
    joined[chain[0]] = parts


def restore_rows(rows: list[RemovedLine], joined: dict[int, tuple[str, ...]]) -> list[RemovedLine]:
    """Audit rows that name the page's own lines: a removed joined paragraph becomes its original lines.

    The row keeps the paragraph's first line number and holds the lines joined
    by ``\\n`` (``lines`` counts them), as a merged run's row does. A glued
    promotion cut from a joined paragraph is moved to the line it starts in.
    """
    if not joined:
        return rows
    out = []
    for row in rows:
        if row.reason == GLUED_PROMO:
            out.append(_promo_row(row, joined))
            continue
        texts = row.text.split("\n")
        new: list[str] = []
        extra = skip = 0
        for k, text in enumerate(texts):
            if skip and not text:
                skip -= 1
                continue
            parts = joined.get(row.line_no + k)
            if parts is not None and text == _joined_text(parts):
                new.extend(parts)
                extra += len(parts) - 1
                skip = len(parts) - 1
            else:
                new.append(text)
        out.append(row if not extra else replace(row, text="\n".join(new), lines=row.lines + extra))
    return out


def _glue(parts: tuple[str, ...]) -> tuple[str, list[int]]:
    """The paragraph and where each part starts in it.

    A space between parts, none after a word broken at its hyphen ("well-" + "known") or
    between CJK characters (no spaces between words there).
    """
    text, starts = parts[0], [0]
    for part in parts[1:]:
        hyphen = text.endswith("-") and text[-2:-1].isalpha() and part[:1].isalpha()
        cjk = bool(_CJK_START.match(text[-1:]) and _CJK_START.match(part))
        text += "" if hyphen or cjk else " "
        starts.append(len(text))
        text += part
    return text, starts


def _joined_text(parts: tuple[str, ...]) -> str:
    return _glue(parts)[0]


def _promo_row(row: RemovedLine, joined: dict[int, tuple[str, ...]]) -> RemovedLine:
    """A promotion cut from a joined paragraph's end, on the original line where it starts."""
    parts = joined.get(row.line_no)
    if parts is None:
        return row
    text, starts = _glue(parts)
    begin = len(text) - len(row.text)
    k = max(k for k, start in enumerate(starts) if start <= max(begin, 0))
    return replace(row, line_no=row.line_no + k)


__all__ = ["Wrapped", "document_span", "rejoin_wrapped", "restore_rows", "unwrap"]
