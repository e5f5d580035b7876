"""The command line (flows/cli.py): a --no-prefect command runs without importing Prefect."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def imported(argv: list[str]) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``python -m flows.clean ARGV`` and the modules it imported (``-X importtime``'s log on stderr)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "flows.clean", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, modules


def test_a_no_prefect_command_runs_without_importing_prefect(seeds_dir: Path, tmp_path: Path) -> None:
    done, modules = imported([str(seeds_dir), "-o", str(tmp_path / "out"), "--no-prefect", "--no-progress"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "articles kept" in done.stdout and (tmp_path / "out" / "_ledger" / "_delta_log").is_dir()
    assert "cleaners.pipeline" in modules and not {m for m in modules if m.split(".")[0] == "prefect"}


def test_options_are_checked_before_anything_runs_with_or_without_prefect(tmp_path: Path) -> None:
    done, modules = imported(["--workers", "-1", "--no-prefect", "-o", str(tmp_path / "out")])
    assert done.returncode == 2 and "--workers -1: give a number of processes" in done.stderr
    assert "prefect" not in modules
    done, _ = imported(["--workers", "2", "-o", str(tmp_path / "out")])  # through the flow's module
    assert done.returncode == 2 and "--workers applies to --no-prefect" in done.stderr
    done, modules = imported(["--no-prefect", "--help"])
    assert done.returncode == 0 and "--layout" in done.stdout and "prefect" not in modules
    assert not (tmp_path / "out").exists()


def test_a_command_line_flow_run_sends_no_heartbeats_unless_prefects_settings_ask(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Their thread's end cost each run up to 1 s; a deployment's run (not through here) keeps them."""
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        get_current_settings,
        temporary_settings,
    )

    import flows.clean
    from flows.parameters import CleanParameters

    seen: list[int | None] = []
    monkeypatch.setattr(flows.clean, "run_as_flow",
                        lambda params: seen.append(get_current_settings().flows.heartbeat_frequency) or (None, None))
    params = CleanParameters(inputs=["seeds"])
    flows.clean.run_from_command_line(params)
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 60}):  # the user's own setting
        flows.clean.run_from_command_line(params)
    assert seen == [None, 60] and get_current_settings().flows.heartbeat_frequency == 180
