"""The failure contract (cleaners/outcome.py): one verdict per run, from its facts, for every way it starts."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from cleaners.outcome import EXIT_CODES, judge, not_committed
from cleaners.pipeline import run
from cleaners.summary import Counts, FailedShard, Incremental, RunSummary


def summary(**fields: object) -> RunSummary:
    base: dict[str, object] = {"run_id": "r", "started_at": datetime.now(timezone.utc), "output": "out",
                               "counts": Counts(input_files=2, records=2, pages=2)}
    return RunSummary(**(base | fields))


def test_a_run_with_rejected_records_still_completes() -> None:
    verdict = judge(summary(rejected_by_reason={"not_json": 3, "too_large": 1}))
    assert (verdict.status, verdict.exit_code, verdict.cause) == ("completed", 0, None)


def test_strict_fails_on_input_limit_and_fault_kinds_but_not_on_content() -> None:
    assert judge(summary(rejected_by_reason={"empty_after_cleaning": 4}), strict=True).ok
    verdict = judge(summary(rejected_by_reason={"not_json": 3, "empty_after_cleaning": 1}), strict=True)
    assert verdict.exit_code == 3 and verdict.cause == "strict: 3 inputs could not be used (not_json 3); see rejected/"


def test_missing_inputs_fail_the_run_and_are_named() -> None:
    verdict = judge(summary(missing_inputs=["/srv/a", "b"]))
    assert verdict.status == "failed" and verdict.cause == "input not found: /srv/a, b"


def test_failed_shards_fail_the_run_even_when_the_others_were_committed() -> None:
    verdict = judge(summary(failed_shards=[FailedShard(shard="00001", files=3, error="OSError: [Errno 5] EIO")]))
    assert verdict.exit_code == 3
    assert verdict.cause == ("1 shard task(s) failed after their retries (OSError: [Errno 5] EIO); their 3 files "
                             "are shard_failed rows and the next run retries them")


def test_nothing_readable_fails_but_nothing_new_and_an_empty_inbox_do_not() -> None:
    unreadable = summary(counts=Counts(input_files=1, records=1, pages=0), rejected_by_reason={"not_text": 1})
    assert judge(unreadable).cause == "no input could be read as a page (not_text 1); see rejected/"
    taken = summary(counts=Counts(input_files=5), committed=False,
                    incremental=Incremental(files_already_processed=5))
    assert judge(taken).status == "nothing_new" and judge(taken).exit_code == 0
    empty_inbox = summary(counts=Counts(), committed=False)
    assert judge(empty_inbox).status == "nothing_new"


def test_every_cause_is_named_in_one_line() -> None:
    verdict = judge(summary(missing_inputs=["gone"], counts=Counts(input_files=1, records=2, pages=0),
                            rejected_by_reason={"not_found": 1, "not_text": 1}), strict=True)
    assert verdict.cause is not None and "\n" not in verdict.cause
    assert verdict.cause.startswith("input not found: gone; no input could be read as a page")
    assert "strict: 2 inputs" in verdict.cause
    assert "\n" not in not_committed("cannot write out/x.parquet: No space left\nNothing was committed").cause


def test_exit_codes_are_the_readme_table() -> None:
    """The README's table of exit statuses and flow states lists exactly these."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| status | exit | flow run state |"):]
    table = table[:table.index("\n\n")]
    for status, code in EXIT_CODES.items():
        assert f"| `{status}` | {code} |" in table, status


def test_a_library_run_carries_its_outcome_in_the_summary_it_writes(tmp_path: Path, seeds_dir: Path) -> None:
    done = run([seeds_dir, tmp_path / "missing"], tmp_path / "out")
    assert done.outcome.status == "failed" and done.committed
    written = RunSummary.read(tmp_path / "out" / "runs" / f"{done.run_id}.json")
    assert written.outcome == done.outcome and written.missing_inputs == [str(tmp_path / "missing")]
    again = run([seeds_dir], tmp_path / "out")
    assert again.outcome.status == "nothing_new" and not again.committed and again.committed_at is None
    assert again.dataset.articles == done.dataset.articles == 11


def test_a_bad_file_dropped_into_an_inbox_of_files_cleaned_before_fails_that_run(
        tmp_path: Path, seeds_dir: Path) -> None:
    """Only this run's new records count: what earlier runs took does not hide that nothing new was readable,
    while a file skipped by design (a hidden file) is no failure."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    for seed in sorted(seeds_dir.glob("*.txt"))[:2]:
        (inbox / seed.name).write_bytes(seed.read_bytes())
    assert run([inbox], out).outcome.status == "completed"
    (inbox / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    assert run([inbox], out).outcome.ok  # a hidden_file row, committed; no failure
    (inbox / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    verdict = run([inbox], out).outcome
    assert verdict.exit_code == 3 and verdict.cause == "no input could be read as a page (not_text 1); see rejected/"


def test_a_full_rebuild_never_empties_a_dataset_it_could_not_rebuild(tmp_path: Path, seeds_dir: Path) -> None:
    import pytest

    from cleaners.outcome import NothingCommitted

    out = tmp_path / "out"
    first = run([seeds_dir], out)
    (tmp_path / "empty").mkdir()
    empty = run([tmp_path / "empty"], out, full_rebuild=True)  # a mistyped or empty inbox
    assert empty.outcome.status == "nothing_new" and not empty.committed
    assert empty.nothing_new_line().startswith("no input files found, nothing new; the dataset holds 11 articles")
    with pytest.raises(NothingCommitted, match=r"input not found: .*gone; a full rebuild from the other inputs"):
        run([seeds_dir, tmp_path / "gone"], out, full_rebuild=True)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(NothingCommitted, match="the full rebuild failed .no input could be read"):
        run([tmp_path / "bad"], out, full_rebuild=True)
    assert RunSummary.read(out / "runs" / f"{first.run_id}.json").dataset.articles == 11
    assert run([seeds_dir], out).dataset.articles == 11  # still the first run's dataset


def test_the_summary_kept_in_the_snapshot_is_the_final_one(tmp_path: Path, seeds_dir: Path) -> None:
    from cleaners.io.dataset import run_summary

    done = run([seeds_dir], tmp_path / "out")
    kept = RunSummary.model_validate(run_summary(tmp_path / "out"))
    assert kept.committed_at == done.committed_at is not None
    assert kept.dataset == done.dataset and kept.dataset.articles == 11 and kept.outcome == done.outcome


def test_a_file_that_vanishes_during_a_run_is_an_unreadable_row_not_a_setup_error(
        tmp_path: Path, seeds_dir: Path, monkeypatch: object) -> None:
    import cleaners.pipeline as pipeline

    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "page.txt").write_bytes(sorted(seeds_dir.glob("*.txt"))[0].read_bytes())
    real = pipeline.clean_shard

    def vanish_first(files, shard, area, config):  # noqa: ANN001, ANN202
        for file in files:
            file.path.unlink()
        return real(files, shard, area, config)

    monkeypatch.setattr(pipeline, "clean_shard", vanish_first)  # type: ignore[attr-defined]
    done = run([inbox], tmp_path / "out")
    assert done.failed_shards == [] and done.rejected_by_reason == {"unreadable": 1}
