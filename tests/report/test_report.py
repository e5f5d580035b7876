"""The report's figures agree with the run's own summary and rows; hostile text stays text."""
from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pytest

from cleaners.config import CleanConfig
from cleaners.pipeline import run
from cleaners.report.data import load_report, site_of
from cleaners.report.pageview import page_view
from cleaners.report.plots import similarity_plot
from cleaners.report.render import cluster_rows, markdown_summary, page_html, report_html
from tests.badinput import make_corpus, story


@pytest.fixture(scope="module")
def seeds_out(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("seeds") / "out"
    run([seeds_dir], out)
    return out


def test_figures_add_up_to_the_summary(seeds_out: Path) -> None:
    report = load_report(seeds_out)
    assert (seeds_out / "runs" / f"{report.run_id}.html").exists()  # every run writes its report
    assert sum(s.articles for s in report.sites) == report.counts.articles_kept
    assert sum(s.duplicates for s in report.sites) == report.counts.duplicates
    assert sum(s.removed_lines for s in report.sites) == report.counts.chrome_lines_removed
    assert sum(s.pages for s in report.sites) == report.counts.pages
    [cluster] = report.clusters
    assert cluster.kept.segment == "main" and [d.segment for d in cluster.duplicates] == ["related"]
    assert cluster.kept.title == cluster.duplicates[0].title
    reasons = {x.reason for x in report.top_removed}
    assert {"comments", "promo", "related_block", "breadcrumb"} <= reasons
    assert not reasons & {"title", "entry_meta", "repeated_line"}  # moved or collapsed lines are not chrome
    assert report.similarities == [1.0]


def test_rejections_and_kinds_of_a_dirty_run(tmp_path: Path) -> None:
    make_corpus(tmp_path / "in")
    summary = run([tmp_path / "in"], tmp_path / "out")
    report = load_report(tmp_path / "out")
    assert len(report.rejected) == summary.counts.rejected
    kinds = report.rejected_by_kind()
    assert kinds["limit"] == {"too_deep": 1, "too_large": 1} and "empty_after_cleaning" in kinds["content"]
    html = report_html(report, [])
    assert "too_deep" in html and "max_html_depth" in html
    assert "| `decode_error` | input | 1 |" in markdown_summary(report)


def test_scraped_markup_in_a_page_is_escaped_not_rendered(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    (tmp_path / "in" / "page.txt").write_text(story("escape test") + "\n" + hostile + "\n")
    run([tmp_path / "in"], tmp_path / "out")
    html = (next((tmp_path / "out" / "runs").glob("*.html"))).read_text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


def test_page_view_marks_every_removed_line_and_keeps_the_rest(seeds_out: Path) -> None:
    removed = ds.dataset(seeds_out / "removed", partitioning="hive").to_table().to_pylist()
    page_id = next(r["page_id"] for r in removed if r["source"].startswith("000_"))
    view = page_view(seeds_out, page_id)
    marked = {line.no: line.reason for line in view.lines if line.reason}
    assert marked == {r["line_no"]: r["reason"] for r in removed if r["page_id"] == page_id}
    kept = "\n".join(line.text for line in view.lines if line.kind == "kept")
    for article in view.articles:
        for paragraph in article["text"].split("\n"):
            assert paragraph in kept
    assert "<del class=\"removed\" data-rule=\"promo\">Try Our AI Features</del>" in page_html(view)


def test_page_view_without_the_input_falls_back_to_output_rows(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.txt").write_text(story("moved input") + "\nLeave a Reply\n0 Comments\n")
    run([tmp_path / "in"], tmp_path / "out")
    article = ds.dataset(tmp_path / "out" / "articles", partitioning="hive").to_table().to_pylist()[0]
    (tmp_path / "in" / "page.txt").unlink()
    view = page_view(tmp_path / "out", article["article_id"])
    assert view.note and "no longer where the run read it" in view.note
    assert {line.reason for line in view.lines} >= {"comments"}


def test_site_is_host_then_named_site_then_folder() -> None:
    assert site_of("https://www.example.com/a", "Example", "x/y.txt") == "example.com"
    assert site_of(None, "Reuters", "feeds/a.jsonl") == "Reuters"
    assert site_of(None, None, "feeds/a.jsonl") == "feeds"
    assert site_of(None, None, "a.txt") == "a.txt"


def test_similarity_plot_marks_the_thresholds() -> None:
    svg = similarity_plot([0.55, 0.9, 1.0], [0.7, 0.95, 1.0], CleanConfig())
    assert svg.startswith("<svg") and "Jaccard threshold 0.5" in svg and "containment threshold 0.8" in svg
    assert similarity_plot([], [], CleanConfig()) is None


def test_cluster_rows_list_the_kept_copy_first(seeds_out: Path) -> None:
    rows = cluster_rows(load_report(seeds_out))
    assert [r["role"] for r in rows] == ["kept", "copy"] and rows[1]["similarity"] == 1.0


def test_sites_in_arrow_agree_with_site_of() -> None:
    import pyarrow as pa

    from cleaners.report.data import _site_column

    rows = [("https://user@WWW.Example.com:8080/a?b", "main", "Named", "f/x.jsonl"),
            ("http://news.example.org", "listing", "Named", "x.txt"), (None, "main", "Reuters", "feeds/a.jsonl"),
            (None, "related", "Reuters", "feeds/a.jsonl"), (None, "main", None, "a.txt"),
            ("not a url", "main", None, "d/e/f.txt")]
    table = pa.table({"url": [r[0] for r in rows], "segment": [r[1] for r in rows],
                      "site": [r[2] for r in rows], "source": [r[3] for r in rows]})
    expected = [site_of(u, s if seg == "main" else None, src) for u, seg, s, src in rows]
    assert _site_column(table).to_pylist() == expected


def test_runs_that_added_nothing_to_some_datasets_still_get_their_report(tmp_path: Path, seeds_dir: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Before: a run with no duplicates, no rejections or no articles failed its report (`No match for
    FieldRef.Name(article_id)`), and `python -m flows.report DIR` exited 2. Three such runs into one output."""
    from flows.report import main as report_main

    seeds = sorted(seeds_dir.glob("*.txt"))
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / seeds[2].name).write_bytes(seeds[2].read_bytes())  # one main article: no duplicates, no rejections
    (b / seeds[4].name).write_bytes(seeds[4].read_bytes())
    out = tmp_path / "out"
    runs = [run([a], out), run([a], out), run([b], out)]  # new, nothing new, new again
    assert [r.committed for r in runs] == [True, False, True]
    for summary in runs:
        assert summary.report is not None and Path(summary.report).is_file()
        report = load_report(out, summary.run_id)
        assert report.counts == summary.counts and report.summary.outcome.ok
        assert report_main([str(out), "--run", summary.run_id]) == 0
    assert "nothing new" in Path(runs[1].report).read_text(encoding="utf-8")
    assert report_main([str(out)]) == 0 and capsys.readouterr().out.strip().endswith(f"{runs[2].run_id}.html")
