"""Each line signal on its own, on made-up lines (not benchmark pages)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from cleaners.text.features import (
    COLUMNS,
    LINE_COLUMNS,
    dense_region,
    fragmentation,
    line_row,
    page_matrix,
    window_mean,
)
from cleaners.text.lines import _WORD, ends_sentence, word_count
from cleaners.text.token_scan import encode

#: What the line columns count, as the regular expressions the columns were first defined by (the
#: compiled pass is held to them): separators, sentence ends, code characters, code hints.
_SEPARATORS = re.compile("[|»›•·]")
_SENTENCE_MARK = re.compile(r"[.!?…](?: |$)|[。！？]")
_CODE_CHARS = re.compile(r"[{}<>=;\[\]\\]")
_CODE_HINT = re.compile(r"[{}<>=;\[\]\\(\"]")

PROSE = "The council said on Monday that the new bridge would open in the spring, and that tolls would stay low."
MENU = "Sport"


def col(row: list[float], name: str) -> float:
    return row[COLUMNS.index(name)]


def test_shape_signals_separate_prose_from_labels() -> None:
    prose, menu = line_row(PROSE, False), line_row(MENU, False)
    assert col(prose, "log_words") > col(menu, "log_words")
    assert col(prose, "ends_sentence") == 1.0 and col(menu, "ends_sentence") == 0.0
    assert col(prose, "stopword_share") > 0.3 and col(menu, "stopword_share") == 0.0
    assert col(menu, "titlecase_share") == 1.0
    assert col(line_row("BREAKING NEWS", False), "upper_share") == 1.0
    assert col(line_row("12 34 56", False), "digit_share") == 1.0
    assert col(line_row("News | Sport | Weather", False), "separators") == 1.0


@pytest.mark.parametrize("line", [
    "Der Rat sagte am Montag, dass die neue Brücke im Frühjahr eröffnet werden soll.",
    "Le conseil a dit lundi que le nouveau pont ouvrirait au printemps et que les péages resteraient bas.",
    "El consejo dijo el lunes que el nuevo puente se abriría en primavera y que los peajes serían bajos.",
    "市議会は月曜日に、新しい橋は春に開通し、通行料は低く抑えられると発表した。",
])
def test_function_words_mark_prose_in_other_languages(line: str) -> None:
    assert col(line_row(line, False), "stopword_share") >= 0.2
    assert col(line_row(line, False), "ends_sentence") == 1.0


def test_cjk_text_counts_characters_as_tokens_and_ends_sentences_with_full_width_marks() -> None:
    line = "市議会は月曜日に発表した。"
    assert word_count(line) == 12 and ends_sentence(line)


def test_rule_date_and_byline_signals() -> None:
    assert col(line_row("3 hours ago", False), "date_line") == 1.0
    assert col(line_row("By Tom Hughes", False), "byline") == 1.0
    assert col(line_row(PROSE, False), "date_line") == col(line_row(PROSE, False), "byline") == 0.0


def test_link_split_fragments_are_marked_as_continuations() -> None:
    x = page_matrix(["The minister told", "Reuters", "on Friday that talks would resume.", "Next story"],
                    [False] * 4)
    assert x[:, COLUMNS.index("continues_prev")].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert x[:, COLUMNS.index("continues_next")].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert fragmentation(x) == 0.25


def test_context_windows_and_the_dense_region() -> None:
    texts = ["Home", "World", "Sport", PROSE, PROSE, PROSE, "Contact", "Privacy"]
    x = page_matrix(texts, [False] * len(texts))
    inside = x[:, COLUMNS.index("in_dense_region")]
    assert inside.tolist() == [0, 0, 0, 1, 1, 1, 0, 0]
    assert x[0, COLUMNS.index("log_dist_dense_region")] == pytest.approx(np.log1p(3))
    assert x[4, COLUMNS.index("prose_w2")] > x[0, COLUMNS.index("prose_w2")]
    assert x.shape == (len(texts), len(COLUMNS))


def test_window_mean_and_dense_region_helpers() -> None:
    assert window_mean(np.array([0.0, 3.0, 0.0]), 1).tolist() == [1.5, 1.0, 1.5]
    assert dense_region(np.array([-1.0, 2.0, -0.5, 2.0, -3.0, 1.0])) == (1, 3)
    assert page_matrix([], []).shape == (0, len(COLUMNS))


def test_the_chrome_flag_comes_from_rules_but_never_from_site_boilerplate() -> None:
    """Training sees no site statistics, so site boilerplate must not change the features."""
    from cleaners.text.chrome import mark_chrome
    from cleaners.text.lines import split_lines
    from cleaners.text.page import page_features

    text = "Weekly Harbour Gazette\nShare on Facebook\n" + PROSE
    plain = split_lines(text)
    mark_chrome(plain)
    with_site = split_lines(text)
    mark_chrome(with_site, frozenset({"weekly harbour gazette"}))
    assert with_site[0].reason == "site_boilerplate" and with_site[1].reason == "share_prompt"
    assert (page_features(plain)[1] == page_features(with_site)[1]).all()
    assert page_features(plain)[1][1, COLUMNS.index("chrome_rule")] == 1.0


def test_continuation_and_lower_case_work_in_any_script_and_blank_input_is_safe() -> None:
    x = page_matrix(["Министр сказал", "журналистам в пятницу, что переговоры возобновятся."], [False, False])
    assert x[1, COLUMNS.index("continues_prev")] == 1.0 and x[1, COLUMNS.index("starts_lower")] == 1.0
    assert page_matrix(["", "text"], [False, False]).shape == (2, len(COLUMNS))
    assert col(line_row("Ends here.  ", False), "ends_sentence") == 1.0


@pytest.mark.parametrize("line", [
    'var settings = {"lazy": true, "offset": 200};',
    "window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}",
    ".article-body p { margin: 0 0 1em; color: #333 !important; }",
    "document.addEventListener('click', (e) => { track(e); });",
])
def test_code_residue_is_marked_and_prose_is_not(line: str) -> None:
    row = line_row(line, False)
    assert col(row, "code_chars") > 0.2 and col(row, "code_tokens") >= 1
    prose = line_row(PROSE, False)
    assert col(prose, "code_chars") == 0 and col(prose, "code_tokens") == 0


@pytest.mark.parametrize("line", [
    "2 hours ago", "Posted 14 minutes ago", "vor 3 Stunden", "il y a 2 jours", "hace 5 días",
    "Reply", "Antworten", "12 likes", "@marta_k totally agree", "4 settimane fa",
])
def test_comment_thread_marks_in_several_languages(line: str) -> None:
    assert col(line_row(line, False), "comment_marks") == 1.0


def test_comment_marks_leave_prose_with_times_alone() -> None:
    for line in [PROSE, "The plant closed 40 years ago, and the town never recovered.",
                 "Replying to critics, the mayor said the budget was sound."]:
        assert col(line_row(line, False), "comment_marks") == 0.0


def test_position_below_a_date_and_prose_over_a_wide_window() -> None:
    texts = ["Home", "Bridge opens", "March 3, 2024", PROSE, PROSE, "Contact"]
    x = page_matrix(texts, [False] * len(texts))
    since = x[:, COLUMNS.index("log_since_meta")]
    assert since[3] == pytest.approx(np.log1p(1)) and since[4] == pytest.approx(np.log1p(2))
    assert since[0] == pytest.approx(np.log1p(200))  # no date or byline above
    assert x[3, COLUMNS.index("prose_w20")] == pytest.approx(2 / 6)


def test_post_headers_of_comment_threads_are_marked() -> None:
    for line in ["jane99 says:", "Marta K. sagt:", "lecteur75 écrit :", "says:"]:
        assert col(line_row(line, False), "comment_marks") == 1.0, line
    assert col(line_row("The minister says: no.", False), "comment_marks") == 0.0


@pytest.mark.parametrize("line, cut", [
    ("Dock workers returned to work on Tuesday as the strike that closed the port for ...", True),
    ("Dock workers returned to work on Tuesday as the strike…", True),
    ("Dock workers returned to work on Tuesday [...]", True),
    ("Dock workers returned to work on Tuesday.", False),
    ("Wait for it...", True),
    ("...", False),
    ("[…]", False),
])
def test_teasers_cut_short_are_marked(line: str, cut: bool) -> None:
    assert col(line_row(line, False), "ends_ellipsis") == float(cut)


def test_a_run_of_cut_teasers_is_no_prose_in_the_dense_region() -> None:
    teaser = "Officials said on Monday that the new line would open next year, with trains every ..."
    x = page_matrix([teaser] * 4 + [PROSE] * 2, [False] * 6)
    assert x[0, COLUMNS.index("ellipsis_w3")] == 1.0
    assert list(x[:, COLUMNS.index("in_dense_region")]) == [0, 0, 0, 0, 1, 1]


def test_code_columns_equal_their_regular_expressions_on_any_line() -> None:
    """The code columns skip the token search on lines holding none of its literals and count code
    characters in a compiled pass; on lines mixing prose, code and every token, the values must be
    those of the two regular expressions themselves."""
    import random

    from cleaners.text.features import _CODE_TOKENS, _computed_rows

    def reference(text: str) -> tuple[float, float]:
        if _CODE_HINT.search(text) is None:
            return 0.0, 0.0
        chars = len(_CODE_CHARS.findall(text))
        return min(chars * 10 / max(len(text), 1), 1.0), float(min(len(_CODE_TOKENS.findall(text)), 3))

    pieces = ["function (", "function(", "var ", "const ", "let ", "=>", '{ "', '{"', '" :', '":', ");", "null",
              "true", "false", "window.", "document.", ".push(", "!important", "px;", "@media", "nullable",
              "letter", "variable", "truely", '"', ":", "(", ")", "{", "}", "[", "]", "<", ">", "=", ";", "\\",
              "The", "mayor", "said", "«cité»", "über", " ", " ", " ", ",", ".", "Let ", "VAR ", "𝔘"]
    rng = random.Random(11)
    lines = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 25))) for _ in range(20_000)]
    assert sum(reference(line)[1] > 0 for line in lines) > 5_000 and sum(reference(line) == (0, 0) for line in lines)
    rows = _computed_rows(lines, [False] * len(lines))
    columns = [LINE_COLUMNS.index("code_chars"), LINE_COLUMNS.index("code_tokens")]
    for line, row in zip(lines, rows[:, columns].tolist()):
        assert tuple(row) == reference(line), line


def test_character_counts_equal_their_regular_expressions_on_any_line() -> None:
    """Commas, sentence marks, separators, code hints and code characters, counted in one compiled pass
    over a page, are the counts of their regular expressions line by line: marks before a space, at the
    end or before a last newline, CJK marks, characters beyond U+FFFF, lines of nothing."""
    import random

    from cleaners.text.features import _character_counts

    pieces = [".", "!", "?", "…", "。", "！", "？", " ", ". ", "\n", ",", "|", "»", "›", "•", "·", "{", "}", "<", ">",
              "=", ";", "[", "]", "\\", "(", '"', "word", "Ü", "𝔘", "東京", "'", ":"]
    rng = random.Random(5)
    for _ in range(300):
        lines = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(rng.randint(1, 40))]
        counts = _character_counts(*encode(lines))
        want = [[t.count(","), len(_SENTENCE_MARK.findall(t)), len(_SEPARATORS.findall(t)), len(_CODE_HINT.findall(t)),
                 len(_CODE_CHARS.findall(t))] for t in lines]
        assert counts.tolist() == want, lines


def _python_rows(texts: list[str], chrome: list[bool]) -> np.ndarray:
    """:data:`LINE_COLUMNS` as they were defined over each line's ``_WORD.findall`` tokens as Python
    strings, before the token counts were compiled: the reference for the line columns."""
    from cleaners.text.byline import parse_byline
    from cleaners.text.dates import parse_date_line
    from cleaners.text.features import (
        _CODE_TOKENS,
        _STOP_FORMS,
        _character_counts,
        comment_mark,
        truncated,
    )

    toks = [_WORD.findall(t) for t in texts]
    count = len(texts)

    def column(values) -> np.ndarray:
        return np.fromiter(values, dtype=float, count=count)

    n = column(map(len, toks))
    per = 1.0 / np.maximum(n, 1.0)
    initials = [[w for w in words if w[0].isupper()] for words in toks]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    marks = _character_counts(*encode(texts))
    code = np.array([(min(len(_CODE_CHARS.findall(t)) * 10 / max(len(t), 1), 1.0),
                      min(len(_CODE_TOKENS.findall(t)), 3))
                     if _CODE_HINT.search(t) else (0.0, 0.0) for t in texts]).reshape(count, 2)
    return np.column_stack([
        np.log1p(n), np.log1p(lengths.astype(float)), column(map(ends_sentence, texts)),
        marks[:, 0] * per,
        column(sum(map(_STOP_FORMS.__contains__, words)) for words in toks) * per,
        column(map(len, initials)) * per,
        column(sum(1 for w in ws if len(w) > 1 and w.isupper()) for ws in initials) * per,
        column(sum(map(str.isdigit, words)) for words in toks) * per,
        column(chrome),
        column(len(w) < 12 and parse_date_line(t) is not None for t, w in zip(texts, toks)),
        column(len(w) < 13 and parse_byline(t) is not None for t, w in zip(texts, toks)),
        marks[:, 1] * per * 10,
        (marks[:, 2] > 0).astype(float),
        np.zeros(count), np.zeros(count),
        column(t[:1].islower() for t in texts),
        code[:, 0], code[:, 1],
        column(len(w) <= 8 and comment_mark(t) for t, w in zip(texts, toks)),
        column(map(truncated, texts)),
    ])


def test_the_line_columns_equal_their_definition_over_python_tokens() -> None:
    """The token columns (word count, stop words, capitals, upper case, digits) come from a compiled
    pass over code points; on lines of many scripts, cases and digit kinds (title-case letters, ß,
    ﬁ, astral letters and digits, kana marks, lone surrogates) they equal the columns computed from
    ``_WORD.findall``'s strings and ``str`` methods."""
    import random

    pieces = ["The", "the", "THE", "Und", "ÉTÉ", "été", "ǅemal", "ǅ", "Ǆ", "ﬁne", "İ", "ß", "ẞ", "123", "١٢٣", "²",
              "½", "Ⅻ", "_", "a_b", "東京", "・", "の", "は", "ガ", "\u3099", "𝔘𝔫", "𝟙𝟚", "😀", "\ud800", " ", ",",
              ". ", "-", "'", "X", "A1", "ŉ", "ᾈ", "Σσς", "ǈ", "x\u0301", "Ⓐ", "ⓐ", "ª", "ʰ", "ABC", "ÀB", "3 hours ago",
              "By", "Jan 5, 2024", "De", "DER", "Der", "der", "Le", "LA", "y", "Y", "の", "的", "…", "|"]
    rng = random.Random(8)
    lines = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 14))) for _ in range(5_000)]
    lines += ["".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(1, 12))) for _ in range(2_000)]
    lines = [" ".join(t.split()) or "x" for t in lines]
    chrome = [rng.random() < 0.2 for _ in lines]
    from cleaners.text.features import _computed_rows

    assert np.array_equal(_computed_rows(lines, chrome), _python_rows(lines, chrome))


def _numpy_page_matrix(texts: list[str], chrome: list[bool]) -> np.ndarray:
    """The context columns as numpy defines them (the code before they were compiled), over line
    columns computed afresh from Python tokens (no memo): the reference."""
    from cleaners.text.features import _OPEN_END_CHARS, LINE_COLUMNS, _continues, window_mean

    n = len(texts)
    rows = _python_rows(texts, chrome)
    col = {name: i for i, name in enumerate(LINE_COLUMNS)}
    for i in range(1, n):
        if texts[i - 1][-1:] not in _OPEN_END_CHARS and _continues(texts[i]):
            rows[i, col["continues_prev"]] = 1.0
            rows[i - 1, col["continues_next"]] = 1.0
    words = np.expm1(rows[:, col["log_words"]])
    prose = ((words >= 12) & (rows[:, col["ends_sentence"]] > 0) & (rows[:, col["ends_ellipsis"]] == 0)).astype(float)
    neighbour = rows[:, [col[c] for c in ["log_words", "ends_sentence", "stopword_share", "chrome_rule"]]]
    zeros = np.zeros((1, neighbour.shape[1]))
    a, b = dense_region(np.where(prose > 0, words, -np.minimum(words, 10) - 1))
    idx = np.arange(n)
    dist = np.where(idx < a, a - idx, np.where(idx > b, idx - b, 0))
    meta = np.maximum(rows[:, col["date_line"]], rows[:, col["byline"]]) > 0
    last_meta = np.maximum.accumulate(np.where(meta, idx, -1))
    since_meta = np.where(last_meta >= 0, idx - last_meta, 200)
    context = np.column_stack([
        np.vstack([zeros, neighbour[:-1]]), np.vstack([neighbour[1:], zeros]),
        window_mean(rows[:, col["log_words"]], 1), window_mean(rows[:, col["log_words"]], 3),
        window_mean(rows[:, col["log_words"]], 8), window_mean(prose, 2), window_mean(prose, 6),
        window_mean(rows[:, col["stopword_share"]], 2), window_mean(rows[:, col["chrome_rule"]], 3),
        ((idx >= a) & (idx <= b)).astype(float), np.log1p(dist), idx / max(n - 1, 1),
        window_mean(rows[:, col["code_tokens"]] + rows[:, col["code_chars"]], 3),
        window_mean(rows[:, col["comment_marks"]], 6),
        np.log1p(np.minimum(since_meta, 200)), window_mean(prose, 20),
        window_mean(rows[:, col["ends_ellipsis"]], 3),
    ])
    return np.hstack([rows, context])


def test_the_compiled_context_columns_equal_numpys_bit_for_bit() -> None:
    """On every dev page, whole and cut (one line, two lines, a tail), with random chrome flags; the
    pages come in two flattenings that share most short lines, so the line memo answers for many
    lines, flagged otherwise than when it learned them."""
    import gzip
    import json
    import random
    from pathlib import Path

    from cleaners.text.lines import split_lines

    data = Path(__file__).resolve().parent.parent / "data" / "extraction_pages.json.gz"
    rng = random.Random(5)
    compared = 0
    for text in json.loads(gzip.decompress(data.read_bytes())).values():
        lines = [line for line in split_lines(text) if line.text]
        for part in (lines, lines[:1], lines[:2], lines[rng.randrange(len(lines)):]):
            texts = [line.text for line in part]
            chrome = [rng.random() < 0.2 for _ in part]
            expected = _numpy_page_matrix(texts, chrome)
            got = page_matrix(texts, chrome)
            assert got.shape == expected.shape == (len(part), len(COLUMNS))
            assert np.array_equal(got, expected)
            compared += 1
    assert compared == 4 * 166


def test_only_short_lines_are_remembered() -> None:
    """A memo is bounded in bytes: a line of 20,000 '=' has no tokens but is no menu item."""
    from cleaners.text import features, rules
    from cleaners.text.page import forget_lines

    forget_lines()
    long_line, menu = "=" * 20_000, "Home News Sport"
    page_matrix([long_line, menu], [False, False])
    rules.line_rule(long_line, 0)
    assert menu in features._ROW_MEMO and long_line not in features._ROW_MEMO
    assert rules._short_line_rule.cache_info().currsize == 0  # only the long line was asked about
    assert page_matrix([menu], [False])[0, COLUMNS.index("log_words")] == pytest.approx(np.log1p(3))


def test_comment_marks_skip_their_searches_only_where_they_cannot_match() -> None:
    """The post header is tried only on a line with a colon, the relative times only on a line whose
    lower case holds one of their literals: the same answers as the expressions alone, on lines of
    their pieces in any case (with "İ", "ı", "ſ", "K", which re matches case-insensitively with other
    letters); and no letter of those literals has a case-insensitive match in re but its own cases."""
    import random

    from cleaners.text.features import _COMMENT_ANYWHERE, _COMMENT_ANYWHERE_NEEDLES, comment_mark

    start = re.compile(
        r"(?:reply|replies|antworten|antwort|répondre|responder|rispondi|beantwoorden|svara|"
        r"like|likes|gefällt mir|j'aime|me gusta|mi piace|curtir|vind ik leuk|gilla)\b|"
        r"\d+\s+(?:likes?|replies|antworten|réponses?|respuestas?|risposte|respostas?|reacties|svar)\b|"
        r"(?:\S+(?: \S+)? )?(?:says|sagt|schreibt|dit|écrit|dice|escribió|scrive|diz|zegt|skriver)\s*:$",
        re.IGNORECASE)

    def reference(text: str) -> bool:
        return start.match(text) is not None or (re.search(r"[\d@]", text) is not None
                                                 and _COMMENT_ANYWHERE.search(text) is not None)

    pieces = ["3", "12", " ", "hours", "HOURS", "ago", "AGO", "Ago", "vor", "VOR", "Stunden", "il y a", "İL Y A",
              "IL Y A", "jours", "hace", "HACE", "días", "fa", "FA", "ore", "geleden", "GELEDEN", "uur", "för", "FÖR",
              "timmar", "sedan", "@", "@jo", "jane", "says", ":", "SAYS", "Reply", "like", "x", "\n", "min", "d", "y",
              "a", "İ", "ı", "ſ", "K"]
    rng = random.Random(13)
    for _ in range(100_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 7)))
        assert comment_mark(text) == reference(text), repr(text)
    everything = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000)
    for letter in set("".join(_COMMENT_ANYWHERE_NEEDLES)):
        assert {c.lower() for c in re.findall(re.escape(letter), everything, re.IGNORECASE)} == {letter}
