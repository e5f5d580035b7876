"""The flow and its command line, run for real: a Prefect server, subprocesses, the seeds."""
from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest
import yaml

from cleaners.pipeline import run
from flows.clean import build_parser, clean_flow
from flows.parameters import CleanParameters
from tests.conftest import ROOT
from tests.flows.helpers import base_env, cli, prefect_servers, table

pytestmark = pytest.mark.prefect


def project_copy(tmp_path: Path) -> Path:
    """A folder laid out like a fresh checkout: seeds/ and nothing else, so defaults apply."""
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    return tmp_path


def test_flow_on_a_prefect_server_gives_the_same_output_as_the_plain_pipeline(
        prefect_server: str, seeds_dir: Path, tmp_path: Path) -> None:
    summary = clean_flow(inputs=[str(seeds_dir)], output=str(tmp_path / "flow"))
    run([seeds_dir], tmp_path / "plain")
    assert summary.engine == "prefect"
    assert summary.counts.articles_kept == 11 and summary.counts.duplicates == 1
    for name in ("articles", "duplicates", "rejected", "removed"):
        assert table(tmp_path / "flow", name) == table(tmp_path / "plain", name), name


def test_flow_builds_on_earlier_runs_unless_told_to_rebuild(prefect_server: str, seeds_dir: Path,
                                                           tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    first = clean_flow(inputs=[str(seeds_dir)], output=out)
    again = clean_flow(inputs=[str(seeds_dir)], output=out)
    rebuilt = clean_flow(inputs=[str(seeds_dir)], output=out, full_rebuild=True)
    assert again.incremental.files_already_processed == 5 and again.counts.articles_kept == 0
    assert again.incremental.builds_on is not None and again.incremental.index == "embedded"
    assert rebuilt.incremental.full_rebuild and rebuilt.incremental.builds_on is None
    assert rebuilt.counts.articles_kept == first.counts.articles_kept == 11


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
    env = base_env(tmp_path)
    done = cli([], cwd, env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "articles kept              11" in done.stdout
    assert prefect_servers(env["PREFECT_HOME"]) == []  # stopped when the command ended (tests/flows/test_server.py)
    out = cwd / "data" / "clean"
    assert len(table(out, "articles")) == 11 and len(list((out / "runs").glob("*.json"))) == 1
    assert "Traceback" not in done.stderr and "telemetry" not in done.stderr


def test_cli_help_lists_every_option_with_its_default() -> None:
    text = build_parser().format_help()
    for flag in ("--output", "--no-prefect", "--json", "--jaccard-threshold", "--lsh-threshold",
                 "--containment-threshold", "--date-order", "--shard-bytes", "--full-rebuild", "--index URL",
                 "--task-runner {threads,dask,dask://HOST:PORT}"):
        assert flag in text
    assert "(default: data/clean)" in text and "(default: 0.5)" in text and "(default: threads)" in text


def test_cli_rejects_bad_options_with_a_message_that_says_how_to_fix_them(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    done = cli(["--no-prefect", "--lsh-threshold", "0.9", str(ROOT / "seeds")], tmp_path, env)
    assert done.returncode == 2 and "lsh_threshold <= jaccard_threshold" in done.stderr
    done = cli(["--no-prefect", "--index", "localhost:6379", str(ROOT / "seeds")], tmp_path, env)
    assert done.returncode == 2 and "--index: index must be redis://HOST" in done.stderr
    assert len(done.stderr.splitlines()) == 2  # a short usage line, then what to change


def test_cli_exits_3_when_nothing_could_be_read(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "blob.txt").write_bytes(b"\x00\x01\x02")
    done = cli(["--no-prefect", "in", "-o", "out"], tmp_path, base_env(tmp_path))
    assert done.returncode == 3
    assert done.stderr.splitlines()[-1] == "error: no input could be read as a page (not_text 1); see rejected/"
    assert ds.dataset(tmp_path / "out" / "rejected").to_table().column("reason").to_pylist() == ["not_text"]


def test_cli_rerun_over_inputs_taken_before_says_so_and_moves_no_reader(tmp_path: Path) -> None:
    """An incremental rerun reads no page because earlier runs took them all: exit 0, nothing committed."""
    env = base_env(tmp_path)
    done = cli(["--no-prefect", str(ROOT / "seeds"), "-o", "out"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    from cleaners.io.dataset import current_state

    before = current_state(tmp_path / "out")
    versions = {p.parent.name: len(list(p.iterdir())) for p in (tmp_path / "out").glob("*/_delta_log")}
    done = cli(["--no-prefect", str(ROOT / "seeds"), "-o", "out"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert ("5 files already in the dataset, nothing new; the dataset holds 11 articles (1 duplicates, 0 rejected)"
            in done.stdout), done.stdout
    assert "output: out/ unchanged" in done.stdout and "error" not in done.stderr
    assert current_state(tmp_path / "out") == before  # no commit: no table got a version
    assert versions == {p.parent.name: len(list(p.iterdir())) for p in (tmp_path / "out").glob("*/_delta_log")}
    [second] = [line for line in done.stdout.splitlines() if line.startswith("report: ")]
    assert (tmp_path / second.split()[1]).is_file()  # the report it names exists


def test_prefect_yaml_deployments_load_the_flow_with_valid_parameters() -> None:
    """Both deployments clean the inbox with the same, schema-enforced parameters; one has the cron."""
    from prefect.flows import load_flow_from_entrypoint

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in spec["deployments"]}
    assert set(deployments) == {"nightly-inbox", "manual"}
    for deployment in deployments.values():
        # by module, so that Dask workers can import the tasks the flow pickles by reference
        assert deployment["entrypoint"] == "flows.clean.clean_flow"
        flow = load_flow_from_entrypoint(deployment["entrypoint"])
        assert flow.name == "clean-news" and flow.fn.__module__ == "flows.clean"
        CleanParameters(**flow.validate_parameters(deployment["parameters"]))
        assert deployment["enforce_parameter_schema"] is True
        assert deployment["work_pool"]["name"] == "local-pool"
    assert deployments["manual"]["parameters"] == deployments["nightly-inbox"]["parameters"]
    assert deployments["manual"]["parameters"]["inputs"] == ["data/inbox"]
    assert deployments["manual"]["parameters"]["output"] == "data/clean"
    crons = [s["cron"] for d in spec["deployments"] for s in d.get("schedules") or []]
    assert crons == ["0 3 * * *"]
