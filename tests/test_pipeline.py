"""The whole run, in process: the seeds come out as expected.json says, nothing is lost."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from cleaners.config import CleanConfig
from cleaners.evaluate import text_f1
from cleaners.pipeline import run


def rows(out: Path, name: str) -> list[dict]:
    return ds.dataset(out / name, format="parquet", partitioning="hive").to_table().to_pylist()


def stem(source: str) -> str:
    return source.split("/")[-1].removesuffix(".gz").removesuffix(".txt")


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("seeds") / "clean"
    return out, run([seeds_dir], out)


def match_expected(out: Path, expected: dict) -> dict[str, dict]:
    """Pair each expected article with the best output article of its input (as bench_score does)."""
    found = [dict(r, table=t) for t in ("articles", "duplicates") for r in rows(out, t)]
    matched: dict[str, dict] = {}
    for source, spec in expected["inputs"].items():
        candidates = [r for r in found if stem(r["source"]) == stem(source)]
        for art in spec["articles"]:
            best = max(candidates, key=lambda r: text_f1(art["text"], r["text"]))
            candidates.remove(best)
            matched[art["key"]] = dict(best, f1=text_f1(art["text"], best["text"]))
        assert candidates == [], f"unexpected extra articles from {source}: {[c['title'] for c in candidates]}"
    return matched


def test_seeds_match_expected_output(seeds_run: tuple[Path, dict], expected: dict) -> None:
    out, _ = seeds_run
    matched = match_expected(out, expected)
    specs = {a["key"]: a for spec in expected["inputs"].values() for a in spec["articles"]}
    for key, art in specs.items():
        got = matched[key]
        assert got["f1"] >= 0.95, (key, got["f1"])
        assert got["segment"] == art["segment"], key
        assert (got["title"] or "").strip() == art["title"].strip(), key
        for field in ("site", "section", "published_raw", "author"):
            if field in art:
                assert got[field] == art[field], (key, field)
        if "published" in art:
            assert got["published"].isoformat() == art["published"], key


def test_seeds_chrome_is_gone_and_the_duplicate_pair_collapsed(seeds_run: tuple[Path, dict],
                                                               expected: dict) -> None:
    out, _ = seeds_run
    texts = [r["text"] for t in ("articles", "duplicates") for r in rows(out, t)]
    for chrome in expected["chrome_never_in_text"]:
        assert not any(chrome in text for text in texts), chrome
    matched = match_expected(out, expected)
    for group in expected["duplicate_groups"]:
        assert len({matched[k]["cluster_id"] for k in group}) == 1
        assert sum(matched[k]["table"] == "articles" for k in group) == 1
        dup = next(matched[k] for k in group if matched[k]["table"] == "duplicates")
        kept = next(matched[k] for k in group if matched[k]["table"] == "articles")
        assert dup["duplicate_of"] == kept["article_id"] and dup["similarity"] >= 0.5
        assert kept["segment"] == "main"  # a page's own article beats its related copy
    for a, b in expected["must_stay_distinct"]:
        assert matched[a]["cluster_id"] != matched[b]["cluster_id"]


def test_seeds_removed_lines_are_auditable(seeds_run: tuple[Path, dict]) -> None:
    out, summary = seeds_run
    removed = rows(out, "removed")
    reasons = {r["reason"] for r in removed}
    assert {"breadcrumb", "byline", "comments", "related_block", "adblock_notice", "template_residue",
            "glued_promo", "repeated_paragraph", "hashtags", "promo", "listing_header"} <= reasons
    promo = next(r for r in removed if r["reason"] == "glued_promo")
    assert promo["text"].startswith("Broaden your horizons") and promo["article_id"]
    assert summary.counts.chrome_lines_removed > 0
    assert summary.counts.repeats_collapsed >= 3


def write_mixed_inputs(folder: Path, seeds_dir: Path) -> None:
    shutil.copytree(seeds_dir, folder)
    (folder / "only_chrome.txt").write_text("Home\nMenu\nAccept all cookies\nFollow us on Facebook\n")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (folder / "empty.txt").write_text("")
    (folder / "data.csv").write_text("a,b\n1,2\n")


def test_every_input_record_is_accounted_for(tmp_path: Path, seeds_dir: Path) -> None:
    inputs = tmp_path / "in"
    write_mixed_inputs(inputs, seeds_dir)
    summary = run([inputs], tmp_path / "out")
    produced = {r["source"] for t in ("articles", "duplicates") for r in rows(tmp_path / "out", t)}
    rejected = [r["source"] for r in rows(tmp_path / "out", "rejected")]
    given = sorted(p.relative_to(inputs).as_posix() for p in inputs.rglob("*") if p.is_file())
    for source in given:
        assert (source in produced) != (rejected.count(source) == 1), source
    assert len(rejected) == len(set(rejected))
    assert {r["source"]: r["reason"] for r in rows(tmp_path / "out", "rejected")} == {
        "only_chrome.txt": "empty_after_cleaning", "image.txt": "not_text",
        "empty.txt": "empty_after_cleaning", "data.csv": "unsupported_format"}
    assert summary.counts.rejected == 4
    assert summary.rejected_by_reason == {"empty_after_cleaning": 2, "not_text": 1, "unsupported_format": 1}


def comparable(out: Path, name: str) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k not in ("run_id", "run")} for r in rows(out, name)),
                  key=lambda r: (r.get("article_id") or "", r["source"], r.get("line_no") or 0))


def test_input_order_and_rerun_give_the_same_output(tmp_path: Path, seeds_dir: Path) -> None:
    files = sorted(seeds_dir.glob("*.txt"))
    outputs = []
    for n in range(3):
        shuffled = files[:]
        random.Random(n).shuffle(shuffled)
        out = tmp_path / f"out{n}"
        run(shuffled, out)
        outputs.append(out)
    for name in ("articles", "duplicates", "removed", "rejected"):
        first = comparable(outputs[0], name)
        assert all(comparable(o, name) == first for o in outputs[1:]), name
    ids = [r["article_id"] for r in rows(outputs[0], "articles")]
    assert len(ids) == len(set(ids))


def test_shard_size_does_not_change_the_output(tmp_path: Path, seeds_dir: Path) -> None:
    """One shard per file (dedup across shards) gives what one shard for all gives."""
    run([seeds_dir], tmp_path / "one")
    run([seeds_dir], tmp_path / "many", CleanConfig(shard_bytes=1_000))
    for name in ("articles", "duplicates", "removed", "rejected"):
        assert comparable(tmp_path / "one", name) == comparable(tmp_path / "many", name), name


STORY = """Library to open on Sundays from next month
The city library will open on Sundays from the first of next month, the council said on Friday, after a
trial last winter drew more visitors than any other day of the week.
Opening on Sundays will cost about forty thousand a year, which the council plans to cover by closing an
hour earlier on Mondays, when the trial showed that the reading rooms were almost empty.
Staff who work on Sundays will be paid at the weekend rate, and the union said it welcomed the plan as long
as no one was made to take the extra shifts against their will.
"""


def test_every_format_is_cleaned_and_every_record_accounted_for(tmp_path: Path) -> None:
    import gzip
    import json
    from io import BytesIO

    import pyarrow as pa
    import pyarrow.parquet as pq
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from tests.html.pages import article_page

    inputs = tmp_path / "in"
    inputs.mkdir()
    html = article_page()
    (inputs / "page.html").write_text(html)
    (inputs / "logo.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    lines = [json.dumps({"id": "story", "text": STORY, "published": "2024-06-07"}), "{broken",
             json.dumps({"id": "empty", "title": "no body"}),
             json.dumps({"id": "copy", "html": html, "url": "https://herald.example/ferry"})]
    (inputs / "export.jsonl.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    whole = gzip.compress("\n".join(json.dumps({"text": STORY.replace("library", f"library {n}")})
                                    for n in range(100)).encode())
    (inputs / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": [STORY.replace("city", "town"), "x " * 30_000]}),
                   inputs / "rows.parquet")
    with open(inputs / "crawl.warc.gz", "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, body, status, kind in (("https://herald.example/ferry2", html.encode(), "200 OK", "text/html"),
                                        ("https://herald.example/x.png", b"\x89PNG", "200 OK", "image/png"),
                                        ("https://herald.example/old", b"<html></html>", "404 Not Found",
                                         "text/html")):
            http = StatusAndHeaders(status, [("Content-Type", kind)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body),
                                                          http_headers=http))

    summary = run([inputs], tmp_path / "out", CleanConfig(max_page_bytes=20_000))
    out = tmp_path / "out"
    kept = rows(out, "articles")
    produced = {(r["source"], r["record"]) for t in ("articles", "duplicates") for r in rows(out, t)}
    rejected = [(r["source"], r["record"], r["reason"]) for r in rows(out, "rejected")]
    keys = [(s, r) for s, r, _ in rejected]
    assert len(keys) == len(set(keys)) and not produced & set(keys)  # never both, never twice
    by_source = {}
    for source, record, reason in rejected:
        by_source.setdefault(source, set()).add((record, reason))
    assert by_source.pop("export.jsonl.gz") == {("1", "not_json"), ("empty", "no_text")}
    assert by_source.pop("logo.html") == {(None, "not_html")}
    assert by_source.pop("rows.parquet") == {("p2", "too_large")}
    warc = by_source.pop("crawl.warc.gz")
    assert {reason for _, reason in warc} == {"not_html", "http_status"}
    assert by_source.pop("cut.jsonl.gz") == {(None, "truncated")}
    assert by_source == {}
    assert {("page.html", None), ("export.jsonl.gz", "story"), ("export.jsonl.gz", "copy"),
            ("rows.parquet", "p1")} <= produced
    assert any(s == "crawl.warc.gz" for s, _ in produced)
    assert 0 < sum(s == "cut.jsonl.gz" for s, _ in produced) < 100

    ferry = [r for r in kept if r["title"] == "Ferry terminal opening delayed to spring"]
    assert len(ferry) == 1 and "Advertisement" not in ferry[0]["text"] and "Share on" not in ferry[0]["text"]
    assert ferry[0]["language"] == "en"
    story = next(r for t in ("articles", "duplicates") for r in rows(out, t) if r["record"] == "story")
    assert story["published"].isoformat() == "2024-06-07"  # the record's own date
    assert summary.rejected_by_reason["truncated"] == 1


def test_an_html_page_over_the_time_limit_is_a_row_and_the_run_goes_on(tmp_path: Path) -> None:
    from tests.html.pages import article_page

    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "slow.html").write_text(article_page())
    (inputs / "story.txt").write_text(STORY)
    summary = run([inputs], tmp_path / "out", CleanConfig(html_timeout=0.001))  # no page parses in 1 ms
    assert [(r["source"], r["reason"]) for r in rows(tmp_path / "out", "rejected")] == [("slow.html", "timeout")]
    assert [r["source"] for r in rows(tmp_path / "out", "articles")] == ["story.txt"]
    assert summary.rejected_by_reason == {"timeout": 1}


def test_a_broken_html_stage_install_fails_loudly_instead_of_rejecting_every_page(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTML stage is imported when the first HTML page comes; an import that fails there is the
    install's fault, not the page's: it must not become a ``cleaning_error`` row per page."""
    import sys

    from cleaners.model import Page
    from cleaners.pipeline import _clean_safely

    monkeypatch.setitem(sys.modules, "cleaners.html.page", None)  # as a broken trafilatura would leave it
    page = Page("a.html", None, "", "id", html="<html><body><p>Some text here.</p></body></html>")
    with pytest.raises(ImportError):
        _clean_safely(page, CleanConfig(html_timeout=0), frozenset())
    text = Page("a.txt", None, "The council met on Monday and voted on the budget for the coming year.", "id2")
    assert _clean_safely(text, CleanConfig(html_timeout=0), frozenset()).articles  # text pages need no HTML stage
