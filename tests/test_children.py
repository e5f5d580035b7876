"""A child process started by this package does not run the command's main module again."""
from __future__ import annotations

import importlib.util
import multiprocessing
import sys
import time
from pathlib import Path

import pytest

from cleaners import children

PROBE = '''
import os, pathlib
if __name__ == "__mp_main__":  # what multiprocessing names the parent's main module re-run in a child
    # next to this file: a forkserver child has the environment of the server's first client
    pathlib.Path(__file__).with_name("mark").write_text(str(os.getpid()))
'''


def _start_child(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    with children.main_module_skipped():
        process = ctx.Process(target=time.sleep, args=(0,), daemon=True)
        process.start()
    process.join(60)
    assert process.exitcode == 0


@pytest.fixture
def probe_main(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A command module run as ``__main__`` that leaves a mark when a child runs it again."""
    package = tmp_path / "probe_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "command.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.spec_from_file_location("probe_pkg.command", package / "command.py")
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(package / "command.py")
    mark = package / "mark"
    monkeypatch.setitem(sys.modules, "__main__", module)
    return mark


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_child_of_one_of_our_commands_skips_its_main_module(probe_main: Path, method: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(children, "OWN_COMMANDS", ("probe_pkg.",))
    _start_child(method)
    assert not probe_main.exists()
    assert sys.modules["__main__"].__spec__.name == "probe_pkg.command"  # never changed


def test_other_threads_start_children_as_multiprocessing_does(probe_main: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the thread inside the context tells its child nothing of the main module; another thread
    starting a child at the same moment gets the standard start, and the context nests."""
    import threading

    monkeypatch.setattr(children, "OWN_COMMANDS", ("probe_pkg.",))
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with children.main_module_skipped(), children.main_module_skipped():
            inside.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(30)
        ctx = multiprocessing.get_context("spawn")
        process = ctx.Process(target=time.sleep, args=(0,), daemon=True)
        process.start()
        process.join(60)
    finally:
        release.set()
        holder.join()
    assert process.exitcode == 0 and probe_main.exists()


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_child_of_a_users_script_runs_its_main_module_as_multiprocessing_does(probe_main: Path, method: str) -> None:
    """A user's script may define what its children unpickle: there the standard behaviour stays."""
    _start_child(method)
    assert probe_main.exists()


def test_our_commands_are_recognised() -> None:
    spec = importlib.util.find_spec("flows.clean")
    assert spec is not None and children._own_command(type("M", (), {"__spec__": spec})())
    assert not children._own_command(type("M", (), {"__spec__": None})())
    assert not children._own_command(None)
