"""The flow and its command line, run for real: a Prefect server, subprocesses, the seeds."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest
import yaml

from cleaners.pipeline import run
from flows.clean import build_parser, clean_flow
from tests.conftest import ROOT

pytestmark = pytest.mark.prefect


def table(out: Path, name: str) -> list[dict]:
    rows = ds.dataset(out / name, format="parquet", partitioning="hive").to_table().to_pylist()
    return sorted(({k: v for k, v in r.items() if k != "run_id"} for r in rows),
                  key=lambda r: (r.get("article_id") or "", r["source"], r.get("line_no") or 0))


def cli(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.clean", *args], cwd=cwd, env=env, timeout=timeout,
                          capture_output=True, text=True)


def project_copy(tmp_path: Path) -> Path:
    """A folder laid out like a fresh checkout: seeds/ and nothing else, so defaults apply."""
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    return tmp_path


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PYTHONPATH"] = str(ROOT)
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    return env


def test_flow_on_a_prefect_server_gives_the_same_output_as_the_plain_pipeline(
        prefect_server: str, seeds_dir: Path, tmp_path: Path) -> None:
    summary = clean_flow(inputs=[str(seeds_dir)], output=str(tmp_path / "flow"))
    run([seeds_dir], tmp_path / "plain")
    assert summary["engine"] == "prefect"
    assert summary["counts"]["articles_kept"] == 11 and summary["counts"]["duplicates"] == 1
    for name in ("articles", "duplicates", "rejected", "removed"):
        assert table(tmp_path / "flow", name) == table(tmp_path / "plain", name), name


def test_cli_uses_an_existing_server_and_prints_only_its_summary(prefect_server: str, tmp_path: Path) -> None:
    cwd = project_copy(tmp_path)
    env = base_env(tmp_path) | {"PREFECT_API_URL": prefect_server}
    done = cli([], cwd, env)
    assert done.returncode == 0, done.stderr
    assert "articles kept" in done.stdout and "[prefect;" in done.stdout
    assert "duplicates collapsed        1" in done.stdout
    assert (cwd / "data" / "clean" / "articles").exists()
    assert "Starting temporary server" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "ERROR" not in done.stderr


def test_cli_with_no_arguments_on_a_fresh_machine_starts_the_embedded_server(tmp_path: Path) -> None:
    """The README's promise: no server, no account, no configuration, a fresh PREFECT_HOME."""
    cwd = project_copy(tmp_path)
    done = cli([], cwd, base_env(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "articles kept              11" in done.stdout
    out = cwd / "data" / "clean"
    assert len(table(out, "articles")) == 11 and len(list((out / "runs").glob("*.json"))) == 1
    assert "Traceback" not in done.stderr and "telemetry" not in done.stderr


def test_cli_help_lists_every_option_with_its_default() -> None:
    text = build_parser().format_help()
    for flag in ("--output", "--no-prefect", "--json", "--jaccard-threshold", "--lsh-threshold",
                 "--containment-threshold", "--date-order", "--shard-bytes"):
        assert flag in text
    assert "(default: data/clean)" in text and "(default: 0.5)" in text


def test_cli_rejects_bad_options_with_a_message_that_says_how_to_fix_them(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    done = cli(["--no-prefect", "--lsh-threshold", "0.9", str(ROOT / "seeds")], tmp_path, env)
    assert done.returncode == 2 and "lsh_threshold <= jaccard_threshold" in done.stderr
    done = cli(["--no-prefect", str(tmp_path / "nowhere")], tmp_path, env)
    assert done.returncode == 2 and "input not found" in done.stderr


def test_cli_exits_non_zero_when_nothing_could_be_read(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "blob.txt").write_bytes(b"\x00\x01\x02")
    done = cli(["--no-prefect", "in", "-o", "out"], tmp_path, base_env(tmp_path))
    assert done.returncode == 1 and "no input could be read" in done.stderr
    assert ds.dataset(tmp_path / "out" / "rejected").to_table().column("reason").to_pylist() == ["not_text"]


def test_prefect_yaml_deployments_load_the_flow_with_valid_parameters() -> None:
    from prefect.flows import load_flow_from_entrypoint

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    assert spec["deployments"], "at least one deployment"
    for deployment in spec["deployments"]:
        flow = load_flow_from_entrypoint(str(ROOT / deployment["entrypoint"]))
        assert flow.name == "clean-news"
        flow.validate_parameters(deployment.get("parameters", {}))
        assert deployment["work_pool"]["name"] == "local-pool"
    crons = [s["cron"] for d in spec["deployments"] for s in d.get("schedules") or []]
    assert crons == ["0 3 * * *"]
