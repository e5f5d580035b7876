"""Dirty inputs through the plain pipeline: decoded, repaired or rejected with a reason, never lost."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from cleaners.pipeline import run
from cleaners.reasons import REJECTIONS
from tests.badinput import Expected, make_corpus


@pytest.fixture(scope="module")
def dirty_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Expected], Path, dict]:
    root = tmp_path_factory.mktemp("dirty")
    expected = make_corpus(root / "in")
    summary = run([root / "in"], root / "out")
    return expected, root / "out", summary


def rows(out: Path, name: str) -> list[dict]:
    return ds.dataset(out / name, format="parquet", partitioning="hive").to_table().to_pylist()


def outcomes(out: Path) -> tuple[Counter, list[dict]]:
    """Article rows per (source, record), and the rejected rows."""
    found = Counter((r["source"], r["record"]) for name in ("articles", "duplicates") for r in rows(out, name))
    return found, rows(out, "rejected")


def check_conservation(expected: list[Expected], out: Path) -> None:
    """Each record in exactly one place, the place expected; no row from nowhere."""
    articles, rejected = outcomes(out)
    by_key = Counter((r["source"], r["record"]) for r in rejected)
    reasons = {(r["source"], r["record"]): r["reason"] for r in rejected}
    problems = []
    for e in expected:
        key = (e.source, e.record)
        placed = ["article"] * (key in articles) + ([reasons[key]] * by_key[key] if by_key[key] else [])
        if placed != [e.outcome]:
            problems.append(f"{e.source} record {e.record}: expected {e.outcome}, found {placed or 'nothing'}")
    known = {(e.source, e.record) for e in expected}
    problems += [f"row for unknown record {k}" for k in set(articles) | set(by_key) if k not in known]
    assert not problems, "\n".join(problems)
    assert all(r["detail"] and r["reason"] in REJECTIONS for r in rejected)


def test_every_dirty_record_ends_in_exactly_one_place(dirty_run: tuple[list[Expected], Path, dict]) -> None:
    expected, out, summary = dirty_run
    check_conservation(expected, out)
    _, rejected = outcomes(out)
    assert summary.rejected_by_reason == dict(sorted(Counter(r["reason"] for r in rejected).items()))
    assert summary.failed_shards == []


def test_encodings_are_decoded_and_repairs_counted(dirty_run: tuple[list[Expected], Path, dict]) -> None:
    _, out, summary = dirty_run
    text = {r["source"]: r["text"] for r in rows(out, "articles")}
    assert "société à Genève" in text["windows_1252.txt"]
    assert "переговоров" in text["koi8r.txt"]
    assert "naïve résumé fête" in text["mojibake.txt"]  # mojibake repaired
    assert "River" in text["utf16_bom.txt"] or "river" in text["utf16_bom.txt"]
    assert "\x00" not in text["nul_bytes.txt"] and "talks with" in text["nul_bytes.txt"]
    assert "talks \ufffd with" in next(r["text"] for r in rows(out, "articles") if r["record"] == "b5")
    assert summary.decoding.legacy_encodings == {"cp1252": 1, "koi8_r": 1, "utf-16": 1}
    assert summary.decoding.repairs == {"control_chars": 1, "mojibake": 1, "surrogates": 1}


def test_line_endings_and_scripts_do_not_change_what_is_kept(dirty_run: tuple[list[Expected], Path, dict]) -> None:
    _, out, _ = dirty_run
    text = {r["source"]: r["text"] for r in rows(out, "articles")}
    assert "\r" not in text["mixed_line_endings.txt"]
    assert len(text["mixed_line_endings.txt"].split("\n")) == 4  # four paragraphs, whatever the line ends
    assert text["chinese.txt"].count("市长周一表示") == 1  # repeated paragraphs collapse in CJK too
    assert "الجسر الجديد" in text["arabic.txt"] and "הגשר החדש" in text["hebrew.txt"]
    assert "🎉" in text["emoji.txt"]


def test_rejections_say_what_to_do(dirty_run: tuple[list[Expected], Path, dict]) -> None:
    _, out, _ = dirty_run
    detail = {(r["source"], r["record"]): r["detail"] for r in rows(out, "rejected")}
    assert "max_page_bytes" in detail[("huge.txt", None)]
    assert "max_html_depth" in detail[("deep_markup.html", None)]
    assert "tried BOM, UTF-8" in detail[("undecodable.txt", None)]
    assert "records (those were read)" in detail[("cut.jsonl.gz", None)]
    assert "line 3" in detail[("half_written.jsonl", "2")]
