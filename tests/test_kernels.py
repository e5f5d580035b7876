"""The kernels compiled ahead: every kernel found, and after the sample no real input compiles one."""
from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cleaners import kernels

ROOT = Path(__file__).resolve().parent.parent


def test_every_module_that_defines_a_kernel_is_listed() -> None:
    defining = set()
    for path in (ROOT / "cleaners").rglob("*.py"):
        if re.search(r"^@njit\b", path.read_text(encoding="utf-8"), re.MULTILINE):
            defining.add(".".join(path.relative_to(ROOT).with_suffix("").parts))
    assert defining == set(kernels.MODULES)
    found = kernels.kernels()
    assert {name.rpartition(".")[0] for name in found} == defining
    assert "cleaners.text.features.window_mean_into" in found
    assert "cleaners.text.line_model.window_mean_into" not in found  # imported there, defined in features


def test_the_sample_is_the_same_on_every_call() -> None:
    pages = kernels.sample_pages()
    assert pages == kernels.sample_pages()
    assert len(pages) >= 6 and any("東京" in p for p in pages)


@pytest.mark.timeout(600)
def test_a_run_with_an_empty_cache_compiles_ahead_and_real_pages_then_compile_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}

    def python(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)

    assert python("-m", "cleaners.kernels", "--check").returncode == 1  # nothing cached yet
    run = python("-m", "flows.clean", "seeds", "-o", str(tmp_path / "out"), "--no-prefect", "--no-progress")
    assert run.returncode == 0, run.stderr
    assert "not in numba's cache" in run.stderr and "compiling them once before the run" in run.stderr
    assert "compiling the kernels ahead failed" not in run.stderr
    check = python("-m", "cleaners.kernels", "--check")
    assert check.returncode == 0 and "kernels are cached" in check.stdout, check.stdout
    # Inputs other than the sample, with near-duplicates: every kernel they reach was compiled by the sample.
    docs = tmp_path / "docs.jsonl"
    docs.write_bytes(gzip.decompress((ROOT / "tests/data/dedup_dev_docs.jsonl.gz").read_bytes()))
    script = ("import json, sys\n"
              "from cleaners import kernels, pipeline\n"
              "summary = pipeline.run(sys.argv[1:3], sys.argv[3], layout='snapshots')\n"
              "print(json.dumps({'compiled': kernels.compiled_here(), 'duplicates': summary.counts.duplicates}))\n")
    again = python("-c", script, "seeds", str(docs), str(tmp_path / "out2"))
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout.strip().splitlines()[-1])
    assert result["compiled"] == {}
    assert result["duplicates"] > 100  # the dedup's candidates, verification and grouping ran
    assert "not in numba's cache" not in again.stderr


@pytest.mark.parametrize(("program", "said"), [("/nonexistent/python", "compiling the kernels ahead failed (["),
                                               ("/bin/false", "compiling the kernels ahead failed (exit status 1")])
def test_a_child_that_cannot_compile_leaves_the_run_going_with_a_warning(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, program: str, said: str) -> None:
    monkeypatch.setattr(kernels, "uncached", lambda: ["cleaners.text.token_scan._counts"])
    monkeypatch.setattr(sys, "executable", program)
    with caplog.at_level("WARNING", logger="cleaners.kernels"):
        kernels.compile_ahead()  # returns: the run goes on
    messages = [r.getMessage() for r in caplog.records]
    assert f"1 of the {len(kernels.kernels())} compiled kernels are not in numba's cache" in messages[0]
    assert messages[1].startswith(said) and messages[1].endswith("each process compiles those it calls")
