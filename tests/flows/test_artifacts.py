"""A flow run publishes its report as Prefect artifacts under stable keys, and its progress as it goes."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from flows.clean import ARTIFACT_KEYS, clean_flow

pytestmark = pytest.mark.prefect


def test_a_flow_run_publishes_summary_tables_and_progress(prefect_server: str, seeds_dir: Path,
                                                          tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter

    summary = clean_flow(inputs=[str(seeds_dir)], output=str(tmp_path / "out"))
    flow_run_id = summary["orchestration"]["flow_run_id"]

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
