#!/usr/bin/env python3
"""Set up the project's virtual environment and run a command in it: only python3 needed.

    python3 tasks.py run [ARGS...]    clean seeds/ into data/clean/ (ARGS go to flows.clean)
    python3 tasks.py test [ARGS...]   run the test suite (ARGS go to pytest)
    python3 tasks.py check            ruff and mypy over cleaners/ and flows/ (what CI runs first)

The environment is ``.venv`` in the checkout. It is created on first use and
reinstalled only when pyproject.toml changes (a hash stamp records it).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".installed"
COMMANDS = {
    "run": [["-m", "flows.clean"]],
    "test": [["-m", "pytest"]],
    "check": [["-m", "ruff", "check", "cleaners", "flows"], ["-m", "mypy"]],  # mypy: files from pyproject
}
#: Run first, without the user's ARGS: the suite starts ``python -m flows.clean`` in a subprocess about a
#: hundred times, and where PYTHONDONTWRITEBYTECODE is set (CI machines) each of them compiled the
#: project's modules again; compiled once here, they load from __pycache__ (measured: 84 s -> 71 s on
#: tests/flows/test_clean.py and test_bad_input.py).
BEFORE = {"test": [["-m", "compileall", "-q", "cleaners", "flows", "tests", "benchmarks"]]}


def ensure_venv() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except (subprocess.CalledProcessError, OSError) as exc:
            sys.exit(f"could not create {VENV} ({exc}). On Debian/Ubuntu install the venv module first: "
                     "sudo apt-get install python3-venv")
    print("installing the project and its dependencies, then compiling its kernels (first run: a minute or two)",
          flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
    # The cleaning kernels compiled into numba's cache now, once, not by the first run (30 s; cleaners/kernels.py).
    if subprocess.call([str(PYTHON), "-m", "cleaners.kernels"], cwd=ROOT):
        print("warning: compiling the kernels failed; the first run compiles them", file=sys.stderr)
    STAMP.write_text(wanted + "\n")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    ensure_venv()
    for command in BEFORE.get(argv[0], []):
        if subprocess.call([str(PYTHON), *command], cwd=ROOT):
            print(f"warning: {' '.join(command)} failed; going on without compiled modules", file=sys.stderr)
    for command in COMMANDS[argv[0]]:
        status = subprocess.call([str(PYTHON), *command, *argv[1:]], cwd=ROOT)
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
