"""Run a snippet in a child process under an address-space limit (``RLIMIT_AS``), for the memory cases.

A reader that holds a value it should have refused fails there with a
``MemoryError`` (or pyarrow's ``ArrowMemoryError``), where in the test process
it would only be slow and fat. The child prints what the snippet prints, as
JSON, and the test compares that.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
from typing import Any

from tests.conftest import ROOT

#: Enough for Python, pyarrow and the cleaners to import and read a small file (about 300 MB is not).
BASE_MB = 450


def run_limited(code: str, limit_mb: int = BASE_MB, timeout: float = 60) -> Any:
    """The JSON the snippet ``code`` prints as its last line, run with at most ``limit_mb`` of address space."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))

    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit)
    assert proc.returncode == 0, f"the child failed under {limit_mb} MB:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def make_in_child(code: str, timeout: float = 60) -> None:
    """Run ``code`` in a child without a limit (to build a large input without growing the test process)."""
    subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, check=True, timeout=timeout)
