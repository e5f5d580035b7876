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


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("project")
    run([seeds_dir], root / "data" / "clean")
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
