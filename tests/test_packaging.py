"""What a non-editable install ships: every data file of the package is declared in pyproject.toml.

The HTML combiner's model once lived only in the checkout: an editable
install (what tasks.py and CI make) found it, a wheel did not carry it, and
every HTML page of a pip-installed newsclean would have failed.
"""
from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_every_data_file_of_the_package_is_declared() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["cleaners"]
    package = ROOT / "cleaners"
    data = {p for p in package.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert data, "the package has data files (the models, the report templates)"
    declared = {p for g in globs for p in package.glob(g)}  # setuptools' globs: '*' stays in one folder
    undeclared = sorted(p.relative_to(package).as_posix() for p in data - declared)
    assert not undeclared, f"not in [tool.setuptools.package-data] cleaners, so missing from a wheel: {undeclared}"


def test_the_models_the_code_loads_are_data_files_of_the_package() -> None:
    from cleaners.html import combine
    from cleaners.text import line_model

    for path in (line_model.MODEL_PATH, combine.MODEL_PATH):
        assert path.is_file()
        assert path.resolve().is_relative_to((ROOT / "cleaners").resolve())
