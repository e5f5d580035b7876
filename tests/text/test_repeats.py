from __future__ import annotations

import itertools
import random

from cleaners.text.lines import split_lines
from cleaners.text.repeats import CONTAINED, JOINED_MIN_BIGRAMS, REPEATED_LINE, REPEATED_PARAGRAPH, collapse_repeats

PARA = ("The regional council approved the new budget on Thursday after a debate that lasted "
        "more than six hours and ended with a narrow vote.")


def test_exact_and_near_repeats_collapse_keeping_the_first() -> None:
    edited = PARA.replace("approved", "passed").replace("narrow", "close")
    lines = split_lines(f"Council budget passes\n{PARA}\nOther news follows here in a separate paragraph of text.\n"
                        f"Council budget passes\n{edited}")
    assert collapse_repeats(lines, similarity=0.6, min_words=6) == 2
    assert [line.reason for line in lines] == [None, None, None, REPEATED_LINE, REPEATED_PARAGRAPH]


def test_different_paragraphs_short_variants_and_short_answers_stay() -> None:
    lines = split_lines("Round one\nRound two\nYes.\nWere you there?\nYes.\n" + PARA + "\n"
                        "The mayor rejected the new budget on Friday, calling it reckless and vowing to veto "
                        "every line of it before the summer recess.")
    assert collapse_repeats(lines, similarity=0.6, min_words=6) == 0
    assert all(line.reason is None for line in lines)


def test_the_prefix_index_finds_what_an_exhaustive_comparison_finds_for_a_pair() -> None:
    """Near repeats are found through an index of each paragraph's rarest bigrams; for an edited
    copy of one earlier paragraph the decision must equal comparing the two."""
    import random

    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(400)]
    for _ in range(200):
        base = [rng.choice(vocab) for _ in range(rng.randint(8, 60))]
        edited = [rng.choice(vocab) if rng.random() < rng.choice([0.05, 0.15, 0.3]) else w for w in base]
        a, b = frozenset(zip(base, base[1:])), frozenset(zip(edited, edited[1:]))
        exhaustive = len(a & b) / len(a | b) >= 0.6 and edited != base
        lines = split_lines(" ".join(base) + "\n" + " ".join(edited))
        collapse_repeats(lines, similarity=0.6, min_words=6)
        assert (lines[1].reason == REPEATED_PARAGRAPH) == exhaustive


def test_near_repeats_are_found_among_many_lines_sharing_common_bigrams() -> None:
    """Common pairs ("of the") are on every line; a near repeat far down must still be found
    (only rare bigrams are indexed, so the search stays near linear; benchmarks time it, tests do not)."""
    import random

    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(3000)]
    rows = [" ".join(["of the", *(rng.choice(vocab) for _ in range(30)), "in the"]) for _ in range(2000)]
    target = rows[10].split()
    target[5] = "changed"
    rows.append(" ".join(target))
    lines = split_lines("\n".join(rows))
    collapse_repeats(lines, similarity=0.6, min_words=6)
    assert lines[-1].reason == REPEATED_PARAGRAPH
    assert sum(line.reason is not None for line in lines) == 1


def _exhaustive(lines, similarity: float, min_words: int) -> list[str | None]:
    """The reference: every paragraph compared with every earlier kept one, and with all of them."""
    seen, kept, out = set(), [], []
    for line in lines:
        toks = tuple(t.casefold() for t in line.toks)
        if toks in seen and len(toks) >= 3:
            out.append(REPEATED_LINE)
            continue
        seen.add(toks)
        grams = frozenset(zip(toks, toks[1:]))
        contained = len(grams) >= JOINED_MIN_BIGRAMS and len(grams & set().union(*kept)) >= CONTAINED * len(grams)
        if len(toks) >= min_words and (any(grams | k and len(grams & k) / len(grams | k) >= similarity for k in kept)
                                       or contained):
            out.append(REPEATED_PARAGRAPH)
            continue
        if len(toks) >= min_words:
            kept.append(grams)
        out.append(None)
    return out


def test_on_pages_spliced_from_earlier_paragraphs_decisions_match_all_pairs() -> None:
    """Paragraphs spliced from two earlier ones, with edits: the case the former one-owner-per-
    bigram index got wrong (28 of 26,875 decisions), when the overlap was bigrams a third,
    earlier paragraph had introduced. All-pairs decisions are what makes re-cleaning idempotent."""
    import random

    rng = random.Random(1)
    vocab = [f"w{i}" for i in range(60)]
    wrong_marks = misses = total = 0
    for _ in range(1500):
        rows: list[list[str]] = []
        for _ in range(rng.randint(3, 15)):
            if rows and rng.random() < 0.5:
                a, b = rng.choice(rows), rng.choice(rows)
                row = a[: rng.randint(0, len(a))] + b[rng.randint(0, len(b)):]
                row = [rng.choice(vocab) if rng.random() < 0.1 else w for w in row]
            else:
                row = [rng.choice(vocab) for _ in range(rng.randint(6, 30))]
            rows.append(row or ["w0", "w1"])
        lines = split_lines("\n".join(" ".join(r) for r in rows))
        reference = _exhaustive(lines, 0.6, 6)
        collapse_repeats(lines, similarity=0.6, min_words=6)
        for ref, line in zip(reference, lines):
            total += 1
            wrong_marks += line.reason is not None and ref is None
            misses += line.reason is None and ref is not None
    assert wrong_marks == 0
    assert misses == 0, (misses, total)


def test_a_copy_is_found_when_a_longer_earlier_paragraph_holds_its_words_too() -> None:
    """The copy of S must be compared with S even though a longer paragraph before both holds
    every bigram of S; otherwise dropping that paragraph (re-cleaning an article) would turn
    the kept copy into a repeat on the second pass. (S itself is short of the joined-copy size.)"""
    longer = (f"{PARA} The mayor said she would sign it into law before the end of the month, and "
              "the opposition promised to take the fight over the housing fund to the courts.")
    short = "The regional council approved the new budget on Thursday after a long debate."
    lines = split_lines(f"{longer}\n{short}\n0 {short}")
    collapse_repeats(lines, similarity=0.6, min_words=6)
    assert [line.reason for line in lines] == [None, None, REPEATED_PARAGRAPH]


PARAS = [PARA,
         "Opposition members walked out before the final count, saying the spending plan cut funding for "
         "rural bus routes and libraries while raising the council's own administrative budget again.",
         "The finance officer said the plan would be reviewed in the spring once the figures for the "
         "winter road maintenance contracts and the new housing fund were known in full detail."]


def test_the_article_again_as_one_joined_line_is_a_repeat() -> None:
    """A print or noscript copy flattened into one block after the paragraphs is the same text at
    another granularity."""
    lines = split_lines("\n".join([*PARAS, " ".join(PARAS)]))
    collapse_repeats(lines, similarity=0.6, min_words=6)
    assert [line.reason for line in lines] == [None, None, None, REPEATED_PARAGRAPH]


def test_a_short_line_restating_the_articles_words_stays() -> None:
    """A heading, a show's title or a one-line conclusion may repeat a phrase of a longer paragraph;
    so may a Japanese sentence, split into characters, repeat a clause's character pairs."""
    lead = ("The council would not raise taxes this year, the finance officer said, although the budget "
            "for rural bus routes and libraries was cut again.")
    japanese = "この行為は商標権侵害と判断される場合がありますので、販売者は十分に注意してください。"
    for later in ("The council would not raise taxes.", "<The Winter Garden: A Musical>",
                  "商標権侵害と判断される場合があります。"):
        first = japanese if later.startswith("商") else lead.replace("taxes", "taxes (The Winter Garden: A Musical)")
        lines = split_lines(f"{first}\n{later}")
        collapse_repeats(lines, similarity=0.6, min_words=6)
        assert [line.reason for line in lines] == [None, None], later


def test_new_prose_made_of_the_articles_common_word_pairs_is_not_a_repeat() -> None:
    """A closing paragraph reuses some of the article's phrases; only nine in ten of its word pairs
    makes it a copy."""
    closing = ("The council said the budget for rural bus routes would be reviewed again after the vote "
               "on Thursday, and the finance officer promised the new figures before the spring.")
    lines = split_lines("\n".join([*PARAS, closing]))
    collapse_repeats(lines, similarity=0.6, min_words=6)
    assert [line.reason for line in lines] == [None] * 4



def test_on_a_long_page_of_few_words_decisions_match_all_pairs() -> None:
    """1,500 lines over ten words, half of them one-word edits of an earlier line: every pair is in
    hundreds of lines, so posting lists run long and one line has hundreds of candidates."""
    import random

    rng = random.Random(7)
    words = [f"w{i}" for i in range(10)]
    rows: list[list[str]] = []
    for _ in range(1500):
        if rows and rng.random() < 0.5:
            row = list(rng.choice(rows))
            row[rng.randrange(len(row))] = rng.choice(words)
        else:
            row = [rng.choice(words) for _ in range(rng.randint(8, 12))]
        rows.append(row)
    lines = split_lines("\n".join(" ".join(r) for r in rows))
    reference = _exhaustive(lines, 0.6, 6)
    assert collapse_repeats(lines, similarity=0.6, min_words=6) == sum(r is not None for r in reference) > 400
    assert [line.reason for line in lines] == reference


def _dict_word_ids(keys: list[str]) -> tuple[list[int], list[int], list[int]]:
    """The reference for :func:`cleaners.text.repeats._word_ids`: a dict of the words, numbered by first appearance."""
    words = [key.split("\x00") for key in keys]
    number: dict[str, int] = {}
    ids = [number.setdefault(w, len(number)) for line in words for w in line]
    ends = list(itertools.accumulate(map(len, words)))
    return ids, [len(w) for line in words for w in line], ends


def test_compiled_word_ids_equal_a_dict_of_the_words_even_when_every_hash_collides() -> None:
    """Case-folded keys with CJK, accents, digits, astral characters, one-letter words, words that
    are prefixes of others and lines of one word; with the full 64-bit hash and with only 1 or 2 bits,
    where every token's group holds other words and the code-point comparison alone decides."""
    import numpy as np

    from cleaners.text.repeats import _LINE_SEP, _SEP, _word_ids

    vocabulary = ["the", "th", "he", "a", "i", "über", "uber", "東", "京", "東京", "42", "4", "2", "𝔘nicode", "x_y",
                  "ǆ", "ss", "straße", "ñ", "n"]
    rng = random.Random(17)
    for _ in range(3_000):
        keys = [_SEP.join(rng.choice(vocabulary) for _ in range(rng.randint(1, 30))) for _ in range(rng.randint(1, 8))]
        points = np.frombuffer(_LINE_SEP.join(keys).encode("utf-32-le"), dtype=np.uint32)
        want = _dict_word_ids(keys)
        for bits in (0xFFFFFFFFFFFFFFFF, 0x3, 0x1):
            ids, lengths, ends = _word_ids(points, ord(_SEP), ord(_LINE_SEP), np.uint64(rng.getrandbits(64)),
                                           np.uint64(bits))
            assert (ids.tolist(), lengths.tolist(), ends.tolist()) == want, keys


def test_word_pairs_equal_numpys_unique_of_the_dict_ids() -> None:
    """The pairs' ranks (``_ranks``) are ``np.unique``'s inverse over the pairs of the reference ids."""
    import numpy as np

    from cleaners.text.repeats import _SEP, _WORDS_SHARE, _bigram_sets, _line_pairs

    rng = random.Random(23)
    vocabulary = [f"w{n}" for n in range(40)] + ["a", "b", "東", "京"]
    for _ in range(1_000):
        keys = [_SEP.join(rng.choice(vocabulary) for _ in range(rng.randint(1, 60))) for _ in range(rng.randint(0, 10))]
        grams, offsets, count, joinable = _bigram_sets(keys)
        ids, lengths, ends = (np.array(v, dtype=np.int64) for v in _dict_word_ids(keys))
        pairs, want_offsets, want_joinable = _line_pairs(ids, ends, lengths, JOINED_MIN_BIGRAMS, _WORDS_SHARE)
        unique, inverse = np.unique(pairs, return_inverse=True)
        assert grams.tolist() == inverse.tolist() and count == len(unique)
        assert offsets.tolist() == want_offsets.tolist() and joinable.tolist() == want_joinable.tolist()
