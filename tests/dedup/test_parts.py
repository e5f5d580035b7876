"""Dedup over scratch part files: signatures travel as columns, verdicts come back part by part."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.dataset as ds

from cleaners.config import CleanConfig
from cleaners.dedup.minhash import signatures
from cleaners.dedup.minhash_lsh import LEAD, lead_text
from cleaners.dedup.parts import SHINGLES, SIGNATURE, dedup_parts, with_signatures
from cleaners.io.schema import ARTICLES, article_row, to_table
from cleaners.io.writer import StagingArea, write_parquet
from cleaners.model import Article

from .test_deduplicate import article, edit, story


def part(arts: list[Article], path: Path, config: CleanConfig) -> str:
    return str(write_parquet(with_signatures(to_table([article_row(a, "r") for a in arts], ARTICLES), config), path))


def test_signature_columns_hold_the_signatures_of_the_text_and_of_its_lead() -> None:
    config = CleanConfig(num_perm=64, lead_words=50)
    arts = [article(story(seed=s), f"p{s}") for s in range(5)]
    table = with_signatures(to_table([article_row(a, "r") for a in arts], ARTICLES), config)
    sigs, sizes = signatures([a.text for a in arts], num_perm=64)
    stored = np.frombuffer(b"".join(table.column(SIGNATURE).to_pylist()), dtype="<u4").reshape(5, 64)
    assert np.array_equal(stored, sigs) and table.column(SHINGLES).to_pylist() == sizes.tolist()
    leads, _ = signatures([lead_text(a.text, 50) for a in arts], num_perm=64)
    stored = np.frombuffer(b"".join(table.column(LEAD).to_pylist()), dtype="<u4").reshape(5, 64)
    assert np.array_equal(stored, leads) and not np.array_equal(leads, sigs)


def test_without_leads_there_is_no_lead_column_and_the_index_holds_nulls(tmp_path: Path) -> None:
    config = CleanConfig(lead_words=0)
    arts = [article(story(seed=s), f"a{s}") for s in range(3)]
    table = with_signatures(to_table([article_row(a, "r") for a in arts], ARTICLES), config)
    assert LEAD not in table.column_names
    area = StagingArea(tmp_path / "snap", tmp_path, "r")
    dedup_parts([part(arts, tmp_path / "articles-00000-00000.parquet", config)], area, config)
    index = ds.dataset(tmp_path / "snap" / "_index").to_table()
    assert index.column(LEAD).null_count == 3


def test_duplicates_across_parts_name_their_kept_copy_and_each_part_keeps_input_order(tmp_path: Path) -> None:
    config = CleanConfig()
    base = [story(seed=s) for s in range(6)]
    first = [article(base[s], f"a{s}") for s in range(6)]
    second = [article(" ".join(edit(base[1], 0.05, 1).split()[:-10]), "b1"),  # shorter: a1 is kept
              article(story(seed=99), "b2"),
              article(" ".join(base[4].split()[:120]), "b4", segment="related")]
    paths = [part(first, tmp_path / "articles-00000-00000.parquet", config),
             part(second, tmp_path / "articles-00001-00000.parquet", config)]
    area = StagingArea(tmp_path / "snap", tmp_path, "r")
    counts = dedup_parts(paths, area, config)
    assert counts["duplicates"] == 2 and counts["kept"] == 7, counts
    kept = ds.dataset(tmp_path / "snap" / "articles").to_table().to_pylist()
    dups = {r["page_id"]: r for r in ds.dataset(tmp_path / "snap" / "duplicates").to_table().to_pylist()}
    ids = {a.page_id: a.article_id for a in first + second}
    assert set(dups) == {"b1", "b4"}
    assert dups["b4"]["duplicate_of"] == ids["a4"] and dups["b4"]["containment"] >= config.containment_threshold
    assert dups["b1"]["cluster_id"] == ids["a1"] == {r["page_id"]: r for r in kept}["a1"]["cluster_id"]
    assert [r["page_id"] for r in kept] == [f"a{s}" for s in range(6)] + ["b2"]


def test_no_articles_gives_zero_counts_and_no_files(tmp_path: Path) -> None:
    """(The commit gives an empty dataset its schema: tests/io/test_writer.py.)"""
    area = StagingArea(tmp_path / "snap", tmp_path, "r")
    counts = dedup_parts([], area, CleanConfig())
    assert counts["kept"] == 0 and counts["duplicates"] == 0 and counts["earlier_articles_compared"] == 0
    assert not (tmp_path / "snap").exists()


def test_kept_articles_go_to_the_index_with_their_signatures(tmp_path: Path) -> None:
    config = CleanConfig()
    arts = [article(story(seed=s), f"a{s}") for s in range(3)]
    arts.append(article(" ".join(edit(arts[0].text, 0.05, 1).split()[:-10]), "copy"))
    area = StagingArea(tmp_path / "snap", tmp_path, "r")
    dedup_parts([part(arts, tmp_path / "articles-00000-00000.parquet", config)], area, config)
    index = ds.dataset(tmp_path / "snap" / "_index").to_table()
    assert sorted(index.column("article_id").to_pylist()) == sorted(a.article_id for a in arts[:3])
    sigs, _ = signatures([a.text for a in arts[:3]])
    stored = {r["article_id"]: np.frombuffer(r["minhash"], dtype="<u4") for r in index.to_pylist()}
    assert all(np.array_equal(stored[a.article_id], sigs[i]) for i, a in enumerate(arts[:3]))
