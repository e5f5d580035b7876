"""Line features for telling article body from page chrome in flattened text.

Signals that hold across sites and languages rather than words of one site:

* shape of the line: length, sentence punctuation, commas, capitalisation,
  digits, separators such as "|" or "»";
* function-word share: running prose in any language is full of stop words,
  menus and headlines are not (:data:`STOP_WORDS`, eight languages plus
  Japanese and Chinese, whose characters count as tokens);
* what the rules already know: a chrome rule fired, a date or byline line;
* link-split fragments: a line that continues the previous line's sentence
  (``soup.get_text("\\n")`` splits sentences at every link);
* residue that is never article text: JavaScript, CSS or JSON left in the
  flattened text (braces, semicolons, ``function(``, ``=>``, ``{"``);
* truncated teasers: a line cut short with "..." or "…" is a feed's or a related
  block's excerpt; one such line may close a quote, a run of them is a list;
* comment-thread marks: relative times ("3 hours ago", "vor 2 Stunden",
  "il y a 5 jours"), reply/like counters, @handles; averaged over a window
  they mark a run of readers' posts, which is prose like the article;
* context: the same signals averaged over windows of neighbouring lines, and
  where the line sits relative to the page's densest run of prose (the body
  is one dense region; menus, feeds and footers are runs of short lines),
  and to the last date or byline above it (the lead paragraph sits just
  below). Where a line sits relative to the page's end or after the dense
  region was tried and dropped: it taught the model that closing lines are
  footer, and a page of short lines (a results table) lost its tail.

All columns are cheap (no parsing beyond regular expressions), so the text
stage stays far faster than HTML extraction. The context columns are
computed in one compiled pass (numba) per page: as some sixty numpy calls on
arrays of a page's few lines they cost 0.24 ms a news page, a tenth of the
text stage. They are the same numbers: window sums add in the order of
``np.cumsum``, and ``log1p``/``expm1`` stay numpy's own.
"""
from __future__ import annotations

import re

import numpy as np
from numba import njit

from .byline import parse_byline
from .dates import parse_date_line
from .lines import ends_sentence
from .needles import Needles
from .rules import MEMO_CHARS
from .token_scan import (
    ALL_DIGITS,
    ALL_UPPER,
    IN_SET,
    INITIAL_UPPER,
    TOKENS,
    TokenSet,
    encode,
    token_columns,
)

#: A line ending in one of these closes its sentence; a line starting with one of the others
#: (lower case, closing punctuation) continues the previous line's sentence.
_OPEN_END_CHARS = frozenset(".!?:\"'”’)…。！？」")
_CONTINUING_PUNCTUATION = frozenset(",.;:)]'’”")


def _continues(text: str) -> bool:
    """Starts in lower case (any script) or with closing punctuation: the rest of a sentence."""
    first = text[:1]
    return first.islower() or first in _CONTINUING_PUNCTUATION


#: The characters the line columns count, in one compiled pass (:func:`_character_counts`): menu and
#: breadcrumb separators; sentence ends ('.', '!', '?' or '…' before a space or at the end of the
#: line, '。！？' anywhere); characters of code, not prose (a line of JavaScript, CSS or JSON residue),
#: and the hints (those, an opening bracket or a quote) without which a line is searched for no code token.
SEPARATOR_CHARS = "|»›•·"
SENTENCE_END_CHARS = ".!?…"
CJK_SENTENCE_END_CHARS = "。！？"
CODE_CHARS = "{}<>=;[]\\"
CODE_HINT_CHARS = CODE_CHARS + '("'
#: Tokens of code (searched only on a line with a code hint).
_CODE_TOKENS = re.compile(r"function\s*\(|\bvar |\bconst |\blet |=>|\{\s*\"|\"\s*:|\);|\bnull\b|"
                          r"\btrue\b|\bfalse\b|window\.|document\.|\.push\(|!important|px;|@media")
#: A post's marks in a comment thread, in the eight languages of :data:`STOP_WORDS`: a relative
#: time ("3 hours ago", "vor 2 Stunden") or an @handle anywhere in a short line (searched only
#: when the line holds a digit or an "@"); a reply or like counter or a "jane99 says:" post
#: header at its start (matched, so a line fails at its first characters; a bare "says:" is the
#: header of a text-node flattening, which puts the name on the line above).
_COMMENT_ANYWHERE = re.compile(
    r"\b\d+\s*(?:sec|min|minutes?|hours?|hrs?|days?|weeks?|months?|years?|h|d|w|y)\s+ago\b|"
    r"\bvor\s+\d+\s+(?:sekunden|minuten|stunden|tagen|wochen|monaten|jahren)\b|"
    r"\bil y a\s+\d+\s+(?:secondes?|minutes?|heures?|jours?|semaines?|mois|ans?)\b|"
    r"\bhace\s+\d+\s+(?:segundos?|minutos?|horas?|días?|semanas?|meses|años?)\b|"
    r"\b\d+\s+(?:minuti|ore|giorni|settimane|mesi|anni)\s+fa\b|"
    r"\b\d+\s+(?:minuten|uur|dagen|weken|maanden|jaar)\s+geleden\b|"
    r"\bför\s+\d+\s+(?:minuter|timmar|dagar|veckor|månader|år)\s+sedan\b|"
    r"(?:^|\s)@\w{2,}", re.IGNORECASE)
_COMMENT_START = re.compile(
    r"(?:reply|replies|antworten|antwort|répondre|responder|rispondi|beantwoorden|svara|"
    r"like|likes|gefällt mir|j'aime|me gusta|mi piace|curtir|vind ik leuk|gilla)\b|"
    r"\d+\s+(?:likes?|replies|antworten|réponses?|respuestas?|risposte|respostas?|reacties|svar)\b",
    re.IGNORECASE)
#: A post header ("jane99 says:"), tried only on a line holding a colon: its optional name words
#: make the match try every split of the line's first two words.
_COMMENT_HEADER = re.compile(
    r"(?:\S+(?: \S+)? )?(?:says|sagt|schreibt|dit|écrit|dice|escribió|scrive|diz|zegt|skriver)\s*:$",
    re.IGNORECASE)
_DIGIT_OR_AT = re.compile(r"[\d@]")
#: A literal of each :data:`_COMMENT_ANYWHERE` alternative, in lower case ("y a" of "il y a": an "İ"
#: matches its "i" in re's case-insensitive match, but is no "i" in lower case). None of their letters
#: has another case-insensitive match in re than its upper case, so ``text.lower()`` holds one of them
#: wherever the expression can match, and the search is skipped on the other lines.
_COMMENT_ANYWHERE_NEEDLES = ("ago", "vor", "y a", "hace", "fa", "geleden", "för", "@")


def comment_mark(text: str) -> bool:
    """A comment-thread mark (:data:`_COMMENT_START`, :data:`_COMMENT_HEADER`, :data:`_COMMENT_ANYWHERE`) in a line."""
    if _COMMENT_START.match(text) is not None or (":" in text and _COMMENT_HEADER.match(text) is not None):
        return True
    if _DIGIT_OR_AT.search(text) is None:
        return False
    lower = text.lower()
    return any(map(lower.__contains__, _COMMENT_ANYWHERE_NEEDLES)) and _COMMENT_ANYWHERE.search(text) is not None


#: A literal that each :data:`_CODE_TOKENS` alternative but ``"\s*:`` holds.
_CODE_TOKEN_NEEDLES = ("function", "var ", "const ", "let ", "=>", "{", ");", "null", "true", "false", "window.",
                       "document.", ".push(", "!important", "px;", "@media")
_QUOTE_COLON = re.compile(r'"\s*:')


_CODE_NEEDLES = Needles([_CODE_TOKEN_NEEDLES])


def _may_hold_code_tokens(texts: list[str]) -> list[bool]:
    """False for a line where no :data:`_CODE_TOKENS` alternative can match, and its findall is skipped.

    That search tries all its alternatives at every position: about 80 µs on a news paragraph
    with a quote or a bracket (a third of news lines), against a few µs for this test (the
    needles of all lines in one compiled pass), which lets through one such line in twenty.
    """
    return [found != 0 or _QUOTE_COLON.search(text) is not None
            for text, found in zip(texts, _CODE_NEEDLES.masks(texts))]

#: Function words of English, German, French, Spanish, Italian, Portuguese, Dutch and Swedish,
#: and the commonest Japanese particles and Chinese function characters (CJK tokens are characters).
STOP_WORDS = frozenset(["the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "at", "by", "from", "is", "are", "was", "were", "be", "been", "it", "that", "this", "as", "he", "she", "they", "we", "you", "i", "his", "her", "their", "its", "not", "but", "have", "has", "had", "will", "would", "said", "says", "also", "than", "then", "there", "which", "who", "what", "when", "where", "how", "all", "one", "more", "about", "after", "over", "into", "up", "out", "its", "our", "can", "could", "may", "might", "should", "der", "die", "das", "und", "ist", "nicht", "ein", "eine", "einer", "zu", "den", "von", "mit", "sich", "des", "auf", "für", "im", "dem", "auch", "es", "als", "an", "wie", "nach", "bei", "aus", "wird", "werden", "hat", "sind", "war", "noch", "nur", "oder", "aber", "vor", "zur", "zum", "so", "le", "la", "les", "et", "des", "un", "une", "est", "pour", "que", "qui", "dans", "en", "du", "au", "pas", "sur", "il", "elle", "ce", "sont", "plus", "par", "avec", "ne", "se", "el", "los", "las", "y", "que", "del", "se", "por", "con", "para", "una", "es", "lo", "como", "más", "pero", "sus", "al", "fue", "ha", "este", "esta", "il", "di", "che", "è", "per", "non", "sono", "della", "nel", "alla", "anche", "come", "ma", "si", "ha", "dei", "delle", "gli", "o", "os", "as", "um", "uma", "em", "do", "da", "dos", "das", "não", "com", "por", "mais", "foi", "ao", "na", "no", "de", "het", "een", "en", "van", "is", "op", "te", "dat", "niet", "met", "zijn", "voor", "er", "aan", "ook", "als", "bij", "och", "att", "det", "som", "en", "på", "är", "av", "för", "med", "till", "den", "har", "de", "inte", "om", "ett", "の", "は", "が", "を", "に", "で", "と", "た", "し", "て", "も", "な", "い", "る", "か", "ら", "れ", "す", "ま", "こ", "そ", "あ", "う", "だ", "的", "了", "是", "在", "和", "有", "我", "不", "这", "他", "也", "就", "都", "而", "及", "与", "着", "或", "一", "个", "上", "们", "为", "之"])
#: STOP_WORDS as they appear in text (lower, capitalised, upper case): a set test per token
#: instead of a case fold per token.
_STOP_FORMS = STOP_WORDS | {w.capitalize() for w in STOP_WORDS} | {w.upper() for w in STOP_WORDS}
_STOP_SET = TokenSet(_STOP_FORMS)

#: Column names, in order; the model file records them and is refused if they differ.
LINE_COLUMNS = [
    "log_words", "log_chars", "ends_sentence", "comma_rate", "stopword_share", "titlecase_share",
    "upper_share", "digit_share", "chrome_rule", "date_line", "byline", "sentence_marks",
    "separators", "continues_prev", "continues_next", "starts_lower", "code_chars", "code_tokens",
    "comment_marks", "ends_ellipsis",
]
_NEIGHBOUR = ["log_words", "ends_sentence", "stopword_share", "chrome_rule"]
CONTEXT_COLUMNS = (
    [f"prev_{c}" for c in _NEIGHBOUR] + [f"next_{c}" for c in _NEIGHBOUR]
    + ["words_w1", "words_w3", "words_w8", "prose_w2", "prose_w6", "stop_w2", "chrome_w3",
       "in_dense_region", "log_dist_dense_region", "relative_position",
       "code_w3", "comment_w6", "log_since_meta", "prose_w20", "ellipsis_w3"]
)
COLUMNS = LINE_COLUMNS + CONTEXT_COLUMNS


def line_row(text: str, chrome: bool) -> list[float]:
    """The :data:`LINE_COLUMNS` of one line (continuation columns need the page: 0 here).

    The text is normalised as :func:`cleaners.text.lines.split_lines` does (one space between
    words, no leading or trailing space), which :func:`line_rows` expects of its lines.
    """
    return line_rows([" ".join(text.split())], [chrome])[0].tolist()


def line_rows(texts: list[str], chrome: list[bool]) -> np.ndarray:
    """:data:`LINE_COLUMNS` for all lines of a page.

    A short line's columns are remembered by its text (:data:`_ROW_MEMO`): a site's menus,
    labels and footers recur on most of its pages, and a remembered row costs a dict lookup
    instead of computing it (7 µs a line of the dev pages, 23 µs a news paragraph). The chrome
    flag comes from the caller every time.
    """
    remembered = list(map(_ROW_MEMO.get, texts))
    fresh = [i for i, row in enumerate(remembered) if row is None]
    if len(fresh) == len(texts):
        rows = _computed_rows(texts, chrome)
    else:
        rows = np.empty((len(texts), len(LINE_COLUMNS)))
        if fresh:
            rows[fresh] = _computed_rows([texts[i] for i in fresh], [False] * len(fresh))
        known = [i for i, row in enumerate(remembered) if row is not None]
        rows[known] = [remembered[i] for i in known]
        rows[:, _CHROME_COLUMN] = chrome
    if len(_ROW_MEMO) > _ROW_MEMO_SIZE:
        _ROW_MEMO.clear()
    for i in fresh:
        if len(texts[i]) <= MEMO_CHARS:
            _ROW_MEMO[texts[i]] = rows[i].copy()
    return rows


#: Short lines' :data:`LINE_COLUMNS` by text (the chrome flag is the caller's); emptied when it
#: passes :data:`_ROW_MEMO_SIZE` rows (at most about 30 MB: MEMO_CHARS characters of up to 4 bytes and a row
#: each) and by :func:`cleaners.text.page.forget_lines`.
_ROW_MEMO: dict[str, np.ndarray] = {}
_ROW_MEMO_SIZE = 32_768


def forget_rows() -> None:
    """Empty :data:`_ROW_MEMO` (see :func:`cleaners.text.page.forget_lines`)."""
    _ROW_MEMO.clear()


def _computed_rows(texts: list[str], chrome: list[bool]) -> np.ndarray:
    """:data:`LINE_COLUMNS` built column by column: the counts of characters and of tokens in two
    compiled passes over the lines' code points, the rest one comprehension per column instead of
    one Python call per line, since this runs for every line of every page."""
    count = len(texts)

    def column(values) -> np.ndarray:
        return np.fromiter(values, dtype=float, count=count)

    points, lengths = encode(texts)
    marks = _character_counts(points, lengths)
    tokens = token_columns(points, lengths, _STOP_SET)
    words = tokens[:, TOKENS].tolist()
    per = 1.0 / np.maximum(tokens[:, TOKENS], 1.0)
    zeros = np.zeros(count)
    # (share of code characters x10 capped at 1, code tokens capped at 3): only on a line with a
    # bracket, brace, quote, '=' or ';', since "let" or "true" in prose is no code
    code = np.zeros((count, 2))
    hinted = np.flatnonzero(marks[:, _CODE_HINTS]).tolist()
    for i, may_hold in zip(hinted, _may_hold_code_tokens([texts[i] for i in hinted])):
        text = texts[i]
        code[i] = (min(marks[i, _CODE_CHARACTERS] * 10 / max(len(text), 1), 1.0),
                   min(len(_CODE_TOKENS.findall(text)), 3) if may_hold else 0)
    return np.column_stack([
        np.log1p(tokens[:, TOKENS]), np.log1p(lengths.astype(float)), column(map(ends_sentence, texts)),
        marks[:, _COMMAS] * per,
        tokens[:, IN_SET] * per,
        tokens[:, INITIAL_UPPER] * per,
        tokens[:, ALL_UPPER] * per,
        tokens[:, ALL_DIGITS] * per,
        column(chrome),
        column(n < 12 and parse_date_line(t) is not None for t, n in zip(texts, words)),
        column(n < 13 and parse_byline(t) is not None for t, n in zip(texts, words)),
        marks[:, _SENTENCE_MARKS] * per * 10,
        (marks[:, _SEPARATOR_MARKS] > 0).astype(float),
        zeros, zeros,
        column(t[:1].islower() for t in texts),
        code[:, 0], code[:, 1],
        # a post's header or counter is short; "the plant closed 40 years ago" is prose
        column(n <= 8 and comment_mark(t) for t, n in zip(texts, words)),
        column(map(truncated, texts)),
    ])


#: Columns of :func:`_character_counts`.
_COMMAS, _SENTENCE_MARKS, _SEPARATOR_MARKS, _CODE_HINTS, _CODE_CHARACTERS = range(5)


def _character_classes() -> np.ndarray:
    """Bit flags per code point below U+10000 (every character these columns look for is there)."""
    table = np.zeros(0x10000, dtype=np.uint8)
    for bit, characters in enumerate((",", SENTENCE_END_CHARS, CJK_SENTENCE_END_CHARS, SEPARATOR_CHARS,
                                      CODE_HINT_CHARS, CODE_CHARS)):
        for c in characters:
            table[ord(c)] |= 1 << bit
    return table


_CLASSES = _character_classes()


def _character_counts(points: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per line (``points``: the lines end to end, :func:`.token_scan.encode`): commas, sentence ends,
    separators, code hints and code characters (:data:`SEPARATOR_CHARS` and the others), from one
    compiled pass over the page's code points instead of five regex scans or counts a line (a tenth
    of the text stage on news pages). Lines come from :func:`cleaners.text.lines.split_lines`, so a
    space is the only white space after a sentence end."""
    return _count_characters(points, lengths, _CLASSES)


@njit(cache=True)
def _count_characters(points: np.ndarray, lengths: np.ndarray, classes: np.ndarray) -> np.ndarray:
    out = np.zeros((len(lengths), 5), dtype=np.int64)
    start = 0
    for line in range(len(lengths)):
        stop = start + lengths[line]
        for i in range(start, stop):
            flags = classes[points[i]] if points[i] < 0x10000 else 0
            if flags == 0:
                continue
            out[line, 0] += flags & 1
            # '.', '!', '?' or '…' before a space or at the end ('$': also before a last "\n"); '。！？' anywhere
            if (flags & 2 and (i + 1 == stop or points[i + 1] == 32 or (i + 2 == stop and points[i + 1] == 10))) \
                    or flags & 4:
                out[line, 1] += 1
            out[line, 2] += (flags >> 3) & 1
            out[line, 3] += (flags >> 4) & 1
            out[line, 4] += (flags >> 5) & 1
        start = stop
    return out


def truncated(text: str) -> bool:
    """Cut short with an ellipsis ("...", "…", "[…]"): a teaser's excerpt, not the end of a sentence.

    A line of nothing but the ellipsis is an elision mark between paragraphs, not a teaser.
    """
    end = text.rstrip(" ])")
    cut = 3 if end[-3:] == "..." else 1 if end[-1:] == "…" else 0
    return cut > 0 and any(c.isalnum() for c in end[:-cut])


def page_matrix(texts: list[str], chrome: list[bool]) -> np.ndarray:
    """Feature matrix (one row per non-blank line of a page, :data:`COLUMNS` order).

    Lines are expected as :func:`cleaners.text.lines.split_lines` leaves them (single
    spaces, stripped).
    """
    n = len(texts)
    if n == 0:
        return np.zeros((0, len(COLUMNS)))
    rows = line_rows(texts, chrome)
    # a line continues the previous one's sentence: that one ends open, this one starts lower case
    follows = (np.fromiter((t[-1:] not in _OPEN_END_CHARS for t in texts[:-1]), dtype=bool, count=n - 1)
               & np.fromiter(map(_continues, texts[1:]), dtype=bool, count=n - 1))
    rows[1:, _COL["continues_prev"]] = follows  # line_rows leaves both columns 0
    rows[:-1, _COL["continues_next"]] = follows
    words = np.expm1(rows[:, _COL["log_words"]])
    prose, region, dist, since_meta = _region_and_meta(rows, words, _CONTEXT_INPUTS)
    return _with_context(rows, prose, region, np.log1p(dist), np.log1p(since_meta), _CONTEXT_INPUTS)


_COL = {name: i for i, name in enumerate(LINE_COLUMNS)}
_CHROME_COLUMN = _COL["chrome_rule"]
_CONTEXT_WIDTH = len(CONTEXT_COLUMNS)  # a constant to the compiled code
#: The line columns the compiled context reads, in the order its code indexes them.
_CONTEXT_INPUTS = np.array([_COL[c] for c in (*_NEIGHBOUR, "ends_sentence", "ends_ellipsis", "date_line", "byline",
                                              "code_tokens", "code_chars", "comment_marks")])


@njit(cache=True)
def _region_and_meta(rows: np.ndarray, words: np.ndarray,
                     col: np.ndarray) -> tuple[np.ndarray, tuple[int, int], np.ndarray, np.ndarray]:
    """Prose lines (1.0: at least 12 words ending a sentence, no teaser cut with "..."), the page's
    dense region of prose, each line's distance to it, and lines since the last date or byline (at
    most 200): the last two are the integers whose ``log1p`` are context columns."""
    n = len(words)
    prose = np.zeros(n)
    scores = np.empty(n)
    for i in range(n):
        if words[i] >= 12 and rows[i, col[4]] > 0 and rows[i, col[5]] == 0:
            prose[i] = 1.0
        scores[i] = words[i] if prose[i] > 0 else -min(words[i], 10.0) - 1
    a, b = _kadane(scores)
    dist = np.zeros(n, dtype=np.int64)
    since_meta = np.empty(n, dtype=np.int64)
    last = -1
    for i in range(n):
        dist[i] = a - i if i < a else i - b if i > b else 0
        if max(rows[i, col[6]], rows[i, col[7]]) > 0:
            last = i
        since_meta[i] = min(i - last, 200) if last >= 0 else 200
    return prose, (a, b), dist, since_meta


@njit(cache=True)
def _with_context(rows: np.ndarray, prose: np.ndarray, region: tuple[int, int], log_dist: np.ndarray,
                  log_since_meta: np.ndarray, col: np.ndarray) -> np.ndarray:
    """The :data:`COLUMNS` matrix: the line columns and, after them, the :data:`CONTEXT_COLUMNS`."""
    n, line_columns = rows.shape
    out = np.empty((n, line_columns + _CONTEXT_WIDTH))
    out[:, :line_columns] = rows
    c = line_columns
    for j in range(4):  # the neighbours' columns (col[0:4] is _NEIGHBOUR)
        for i in range(n):
            out[i, c + j] = rows[i - 1, col[j]] if i > 0 else 0.0
            out[i, c + 4 + j] = rows[i + 1, col[j]] if i < n - 1 else 0.0
    window_mean_into(rows[:, col[0]], 1, out[:, c + 8])
    window_mean_into(rows[:, col[0]], 3, out[:, c + 9])
    window_mean_into(rows[:, col[0]], 8, out[:, c + 10])
    window_mean_into(prose, 2, out[:, c + 11])
    window_mean_into(prose, 6, out[:, c + 12])
    window_mean_into(rows[:, col[2]], 2, out[:, c + 13])
    window_mean_into(rows[:, col[3]], 3, out[:, c + 14])
    a, b = region
    for i in range(n):
        out[i, c + 15] = 1.0 if a <= i <= b else 0.0
        out[i, c + 16] = log_dist[i]
        out[i, c + 17] = i / max(n - 1, 1)
    window_mean_into(rows[:, col[8]] + rows[:, col[9]], 3, out[:, c + 18])
    window_mean_into(rows[:, col[10]], 6, out[:, c + 19])
    out[:, c + 20] = log_since_meta
    window_mean_into(prose, 20, out[:, c + 21])
    window_mean_into(rows[:, col[5]], 3, out[:, c + 22])
    return out


@njit("void(float64[:], int64, float64[:])", cache=True)
def window_mean_into(x: np.ndarray, k: int, out: np.ndarray) -> None:
    """:func:`window_mean` written into ``out`` (compiled), with the same additions in the same order:
    the same numbers, for the compiled callers.

    Its one signature (any layout, any ``k``) keeps numba from compiling a version for each width and
    array layout its callers pass: it had compiled ten, 2 of the 30 s all kernels take (:mod:`cleaners.kernels`)."""
    n = len(x)
    c = np.empty(n + 1)
    c[0] = 0.0
    for i in range(n):
        c[i + 1] = c[i] + x[i]
    for i in range(n):
        hi = min(i + k + 1, n)
        lo = max(i - k, 0)
        out[i] = (c[hi] - c[lo]) / (hi - lo)


@njit(cache=True)
def _kadane(scores: np.ndarray) -> tuple[int, int]:
    """:func:`dense_region`'s loop, compiled: it runs over every line of every page."""
    best, cur, start, a, b = -np.inf, 0.0, 0, 0, -1
    for i in range(len(scores)):
        v = scores[i]
        if cur <= 0:
            cur, start = v, i
        else:
            cur += v
        if cur > best:
            best, a, b = cur, start, i
    return a, b


def window_mean(x: np.ndarray, k: int) -> np.ndarray:
    """Mean of x over [i-k, i+k], clipped at the page edges."""
    n = len(x)
    idx = np.arange(n)
    return window_sum(x, k) / (np.minimum(idx + k + 1, n) - np.maximum(idx - k, 0))


def window_sum(x: np.ndarray, k: int) -> np.ndarray:
    """Sum of x over [i-k, i+k], clipped at the page edges."""
    n = len(x)
    c = np.concatenate([[0.0], np.cumsum(x)])
    idx = np.arange(n)
    return c[np.minimum(idx + k + 1, n)] - c[np.maximum(idx - k, 0)]


def dense_region(scores: np.ndarray) -> tuple[int, int]:
    """[a, b] of the contiguous run with the largest sum (Kadane): the body as one dense region."""
    if len(scores) == 0:
        return 0, -1
    a, b = _kadane(np.asarray(scores, dtype=np.float64))
    return int(a), int(b)


def fragmentation(x: np.ndarray) -> float:
    """Share of a page's lines that continue the previous line's sentence.

    High when the page was flattened one text node per line (every link splits
    a sentence), low for one-block-per-line text; it picks the model.
    """
    return float(x[:, COLUMNS.index("continues_prev")].mean()) if len(x) else 0.0
