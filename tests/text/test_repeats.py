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


def test_the_owner_index_finds_what_an_exhaustive_comparison_finds_for_a_pair() -> None:
    """Near repeats are found through the owners of bigrams; for an edited copy of one earlier
    paragraph the decision must equal comparing the two."""
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
    (each bigram has one owner, so the search stays linear; benchmarks time it, tests do not)."""
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
    """The reference: every paragraph compared with every earlier kept one."""
    seen, kept, out = set(), [], []
    for line in lines:
        toks = tuple(t.casefold() for t in line.toks)
        if toks in seen and len(toks) >= 3:
            out.append(REPEATED_LINE)
            continue
        seen.add(toks)
        grams = frozenset(zip(toks, toks[1:]))
        if len(toks) >= min_words and any(len(grams & k) / len(grams | k) >= similarity for k in kept):
            out.append(REPEATED_PARAGRAPH)
            continue
        if len(toks) >= min_words:
            kept.append(grams)
        out.append(None)
    return out


def test_on_pages_spliced_from_earlier_paragraphs_decisions_match_all_pairs_but_rarely() -> None:
    """Paragraphs spliced from two earlier ones, with edits: the hardest case for the owner
    index. Every mark is a true repeat (each is verified); a miss needs the overlap to be
    bigrams a third, earlier paragraph introduced, which is rare (documented in the module)."""
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
    assert misses <= total * 0.005
