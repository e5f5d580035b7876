"""The dirty corpus through ``python -m flows.clean`` on a Prefect server: exit 0, every record placed."""
from __future__ import annotations

from pathlib import Path

import pytest

from cleaners.summary import RunSummary
from tests.badinput import make_corpus
from tests.flows.helpers import base_env, cli
from tests.test_bad_input import check_conservation

pytestmark = pytest.mark.prefect


def test_cli_over_dirty_inputs_cleans_the_good_and_accounts_for_every_record(prefect_server: str,
                                                                            tmp_path: Path) -> None:
    expected = make_corpus(tmp_path / "in")
    env = base_env(tmp_path) | {"PREFECT_API_URL": prefect_server}
    done = cli(["in", "-o", "out", "--json"], tmp_path, env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    summary = RunSummary.model_validate_json(done.stdout)
    assert summary.engine == "prefect" and summary.failed_shards == []
    check_conservation(expected, tmp_path / "out")
    assert summary.counts.articles_kept + summary.counts.duplicates >= 20

    strict = cli(["in", "-o", "strict-out", "--strict"], tmp_path, env)
    assert strict.returncode == 3, strict.stderr[-3000:]
    assert "strict:" in strict.stderr and "decode_error 1" in strict.stderr
    assert "empty_after_cleaning" not in strict.stderr.split("strict:")[1]  # a page without article is no fault
