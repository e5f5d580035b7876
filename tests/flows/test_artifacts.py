"""A flow run publishes its report as Prefect artifacts under stable keys, and its progress as it goes."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from flows.clean import ARTIFACT_KEYS, clean_flow

pytestmark = pytest.mark.prefect


def artifacts_of(flow_run_id: str) -> dict[str, object]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async def read() -> dict[str, object]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
        return {a.key: a for a in found}

    return asyncio.run(read())


def test_every_run_into_one_output_leaves_its_report_and_artifacts(prefect_server: str, seeds_dir: Path,
                                                                   tmp_path: Path) -> None:
    """New inputs, the same inputs again (nothing new), then an unusable file and an empty JSONL: each run
    has its HTML report and its artifacts, whatever datasets it left empty, and the empty file its row."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    for seed in sorted(seeds_dir.glob("*.txt"))[:2]:
        (inbox / seed.name).write_bytes(seed.read_bytes())
    states = [clean_flow(inputs=[str(inbox)], output=str(out), return_state=True) for _ in range(2)]
    (inbox / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (inbox / "export.jsonl").write_bytes(b"")
    states.append(clean_flow(inputs=[str(inbox)], output=str(out), return_state=True))

    summaries = [state.result(raise_on_failure=False) for state in states]
    assert [s.committed for s in summaries] == [True, False, True]
    # the third run's new input is all unusable: committed (its rows are there), but the run failed, saying why
    assert [state.is_completed() for state in states] == [True, True, False], [state.message for state in states]
    assert states[2].message == "no input could be read as a page (no_records 1, not_text 1); see rejected/"
    assert summaries[1].nothing_new_line().startswith("2 files already in the dataset, nothing new")
    assert summaries[2].rejected_by_reason == {"no_records": 1, "not_text": 1}
    assert summaries[2].counts.articles_found == 0 and summaries[2].dataset.articles == summaries[0].dataset.articles
    for summary in summaries:
        report = out / "runs" / f"{summary.run_id}.html"
        assert summary.report is not None and Path(summary.report) == report and report.is_file()
        by_key = artifacts_of(summary.orchestration.flow_run_id)
        assert set(ARTIFACT_KEYS.values()) <= set(by_key), (summary.run_id, sorted(by_key))
    assert "nothing new" in (out / "runs" / f"{summaries[1].run_id}.html").read_text(encoding="utf-8")
    assert "nothing new" in artifacts_of(summaries[1].orchestration.flow_run_id)[ARTIFACT_KEYS["summary"]].data
    rejected = ds.dataset(out / "rejected", format="parquet", partitioning="hive").to_table().to_pylist()
    assert {(r["source"], r["reason"]) for r in rejected} == {("export.jsonl", "no_records"), ("scan.txt", "not_text")}


def test_a_flow_run_publishes_summary_tables_and_progress(prefect_server: str, seeds_dir: Path,
                                                          tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    summary = clean_flow(inputs=[str(seeds_dir)], output=str(tmp_path / "out"))
    flow_run_id = summary.orchestration.flow_run_id

    async def artifacts() -> dict[str, object]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
        return {a.key: a for a in found}

    by_key = asyncio.run(artifacts())
    assert set(ARTIFACT_KEYS.values()) <= set(by_key), sorted(by_key)
    summary_md = by_key[ARTIFACT_KEYS["summary"]]
    assert summary_md.type == "markdown" and "**11 articles kept**" in summary_md.data
    clusters = by_key[ARTIFACT_KEYS["clusters"]]
    assert clusters.type == "table" and "troop withdrawal" in str(clusters.data)
    done = by_key[ARTIFACT_KEYS["progress"]]
    assert done.type == "progress" and float(done.data) == 100.0
