"""The README's reading examples run as written, against a seeds run in ``data/clean``."""
from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

from cleaners.pipeline import run
from tests.conftest import ROOT


def examples() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Reading the dataset"):readme.index("### The run report")]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return {next(lib for lib in ("pyarrow", "duckdb", "polars") if f"import {lib}" in b): b for b in blocks}


@pytest.fixture(scope="module", params=["delta", "snapshots"])
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    """The seeds cleaned into ``data/clean`` in each layout: the examples read both the same way."""
    root = tmp_path_factory.mktemp("project")
    run([seeds_dir], root / "data" / "clean", layout=request.param)
    return root


@pytest.mark.parametrize(("library", "expected"), [
    ("pyarrow", ["11 articles from 5 files"]),
    ("duckdb", ["Germany asking US for Europe troop withdrawal", "'related', 1.0, '000_27100d4b951968bb.txt'"]),
    ("polars", ["entry_meta", "29"]),
])
def test_readme_example_runs_and_prints_what_it_says(library: str, expected: list[str], project: Path) -> None:
    code = examples()[library]
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(project)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"README.md ({library} example)", "exec"), {})
    finally:
        os.chdir(cwd)
    for text in expected:
        assert text in out.getvalue(), out.getvalue()


def test_the_readmes_pinned_reading_example_runs_on_either_layout(project: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (code,) = [b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL) if "current_state(" in b]
    scope: dict = {}
    cwd = os.getcwd()
    os.chdir(project)
    try:
        exec(compile(code, "README.md (pinned reading)", "exec"), scope)  # noqa: S102 (the README's own code)
    finally:
        os.chdir(cwd)
    assert scope["articles"].num_rows == 11 and scope["duplicates"].num_rows == 1
    assert scope["state"].name == next((project / "data" / "clean" / "runs").glob("*.json")).stem  # the run
