from __future__ import annotations

from cleaners.text.lines import split_lines
from cleaners.text.repeats import REPEATED_LINE, REPEATED_PARAGRAPH, collapse_repeats

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


def test_the_capped_index_finds_what_an_exhaustive_comparison_finds() -> None:
    """Near repeats are found through a bigram index with capped postings; on random edits the
    decision must equal comparing every pair of lines."""
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
    (their postings are capped, so the search stays linear; benchmarks time it, tests do not)."""
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
