"""The deployment's pull step: a worker's flow run finds the checkout with or without NEWSCLEAN_DIR."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows import deployments
from flows.deployments import ENV, enter_checkout
from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def stay_here() -> object:
    here = os.getcwd()
    yield
    os.chdir(here)


def test_without_newsclean_dir_the_run_works_in_the_installed_checkout(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    monkeypatch.delenv(ENV, raising=False)
    os.chdir(tmp_path)
    assert enter_checkout() == {"directory": str(ROOT)} and Path.cwd() == ROOT


def test_newsclean_dir_wins_and_a_wrong_one_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV, str(tmp_path))
    assert enter_checkout()["directory"] == str(tmp_path) and Path.cwd() == tmp_path
    monkeypatch.setenv(ENV, str(tmp_path / "nope"))
    with pytest.raises(RuntimeError, match=f"{ENV}=.*/nope is not a folder"):
        enter_checkout()


def test_with_neither_the_error_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(deployments, "installed_checkout", lambda: None)
    with pytest.raises(RuntimeError) as refused:
        enter_checkout()
    message = str(refused.value)
    assert "\n" not in message and f"{ENV}=/path/to/newsclean prefect worker start --pool local-pool" in message


def test_prefect_yaml_uses_this_step() -> None:
    import yaml

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    assert spec["pull"] == [{"flows.deployments.enter_checkout": {}}]
