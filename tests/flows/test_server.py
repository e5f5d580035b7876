"""A killed ``python -m flows.clean`` leaves no process behind: its Prefect server and Dask workers die with it."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, SEEDS
from tests.flows.helpers import base_env

pytestmark = pytest.mark.prefect


def corpus(folder: Path, slow_files: int) -> Path:
    """The seeds and a few pages of 50,000 one-word lines (about 1.5 s of cleaning each): the run is busy when killed."""
    shutil.copytree(SEEDS, folder)
    for n in range(slow_files):
        (folder / f"slow{n}.txt").write_text("\n".join(f"word{i}" for i in range(50_000)), encoding="utf-8")
    return folder


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def listening_ports(processes: list[psutil.Process]) -> set[int]:
    ports = set()
    for process in processes:
        try:
            ports |= {c.laddr.port for c in process.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}
        except psutil.NoSuchProcess:
            pass
    return ports


def port_free(port: int) -> bool:
    """Nothing listens on ``port`` (connections of the dead server may linger in TIME_WAIT, as after any server)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def kill_when_up(tmp_path: Path, extra: list[str], ready: int,
                 slow_files: int) -> tuple[list[psutil.Process], list[str], set[int]]:
    """Start the CLI (Prefect mode, no PREFECT_API_URL) and kill -9 it once its server listens and it has
    ``ready`` child processes; return every process of its tree at that moment, their command lines, and
    the ports its server held."""
    inputs = corpus(tmp_path / "in", slow_files)
    cli = subprocess.Popen([sys.executable, "-m", "flows.clean", str(inputs), "-o", str(tmp_path / "out"),
                            "--no-progress", "--shard-bytes", "400000", *extra],
                           cwd=tmp_path, env=base_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        me = psutil.Process(cli.pid)
        deadline = time.monotonic() + 60
        while True:
            assert cli.poll() is None, "the run ended before it could be killed: make the corpus slower"
            tree = me.children(recursive=True)
            server = [p for p in tree if "uvicorn" in " ".join(_cmdline(p))]
            ports = listening_ports(server)
            if server and ports and len(tree) >= ready:
                break
            assert time.monotonic() < deadline, [_cmdline(p) for p in tree]
            time.sleep(0.1)
        tree = me.children(recursive=True)  # the latest look, just before the kill
        commands = [" ".join(_cmdline(p)) for p in tree]
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait(10)
        return tree, commands, ports
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)  # its own session: only what this test started
            cli.wait(10)


def assert_all_gone(tree: list[psutil.Process], ports: set[int], within: float) -> float:
    start = time.monotonic()
    try:
        while any(alive(p) for p in tree) or not all(port_free(port) for port in ports):
            if time.monotonic() - start > within:
                left = [(p.pid, " ".join(_cmdline(p))[:100]) for p in tree if alive(p)]
                pytest.fail(f"still running {within} s after the CLI was killed: {left}; ports {ports}")
            time.sleep(0.05)
        return time.monotonic() - start
    finally:
        for process in tree:  # a failed test must not leave them either
            if alive(process):
                process.kill()


def test_a_killed_cli_takes_its_embedded_prefect_server_with_it(tmp_path: Path) -> None:
    tree, commands, ports = kill_when_up(tmp_path, [], ready=1, slow_files=1)
    assert any("prefect.server.api.server:create_app" in c for c in commands), commands
    took = assert_all_gone(tree, ports, within=5)
    print(f"server gone {took:.2f} s after kill -9")


def test_a_killed_cli_on_a_temporary_dask_cluster_leaves_no_process(tmp_path: Path) -> None:
    # the server, multiprocessing's resource tracker and one worker process per core (at least two here)
    workers = min(os.cpu_count() or 1, 2)
    tree, commands, ports = kill_when_up(tmp_path, ["--task-runner", "dask"], ready=2 + workers, slow_files=2)
    assert sum("spawn_main" in c for c in commands) >= workers, commands
    took = assert_all_gone(tree, ports, within=10)
    print(f"server and Dask workers gone {took:.2f} s after kill -9")


def test_no_server_of_its_own_when_an_api_url_is_set(tmp_path: Path) -> None:
    """(That a normal run's server stops, by its exit hook, is checked in test_clean.py's fresh-machine run.)"""
    code = "import flows.server as s; print(s.start_embedded_server())"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=base_env(tmp_path) | {"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert done.stdout.strip() == "None", done.stderr


#: Starts the server early as the command does; prints how many were started, what is kept, and the live
#: processes left below (a stopped server is gone).
EARLY = ("import psutil, flows.server as s\n"
         "started = []\n"
         "init = s.EmbeddedServer.__init__\n"
         "s.EmbeddedServer.__init__ = lambda self, t: (started.append(1), init(self, t))[1]\n"
         "s.start_early([])\n"
         "alive = [c for c in psutil.Process().children(recursive=True) if c.status() != psutil.STATUS_ZOMBIE]\n"
         "print(len(started), s._SERVER, s._EARLY, len(alive))\n")


def test_a_profile_that_names_an_api_starts_no_server(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "profiles.toml").write_text('active = "remote"\n[profiles.remote]\n'
                                        'PREFECT_API_URL = "http://127.0.0.1:9/api"\n', encoding="utf-8")
    env = base_env(tmp_path) | {"PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, "-c", EARLY], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert done.stdout.split() == ["0", "None", "None", "0"], done.stderr  # not even started early


def test_an_api_named_where_only_prefect_looks_stops_the_early_server(tmp_path: Path) -> None:
    """A prefect.toml in the working folder is read by Prefect alone: the server started early is stopped."""
    (tmp_path / "prefect.toml").write_text('[api]\nurl = "http://127.0.0.1:9/api"\n', encoding="utf-8")
    env = base_env(tmp_path)
    env.pop("PREFECT_API_URL", None)
    code = EARLY.replace("s.start_early([])", "s.start_early([])\nimport prefect.settings as ps\n"
                         "print(ps.get_current_settings().api.url)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=env | {"PYTHONPATH": str(ROOT)})
    lines = done.stdout.splitlines()
    assert lines[0] == "http://127.0.0.1:9/api", done.stderr  # the user's API, not an address of ours
    assert lines[1].split() == ["1", "None", "None", "0"], done.stderr  # started early, then stopped


def test_a_server_that_did_not_start_leaves_no_address_behind(tmp_path: Path) -> None:
    """main() called in-process: after the failure nothing points at the dead server (a later call, a child)."""
    env = base_env(tmp_path) | {"PREFECT_SERVER_DATABASE_CONNECTION_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/x"}
    env.pop("PREFECT_API_URL", None)
    code = ("import os, flows.clean as c, flows.server as s, prefect.settings as ps\n"
            f"code = c.main([{str(SEEDS)!r}, '-o', {str(tmp_path / 'out')!r}, '--no-progress'])\n"
            "print(code, os.environ.get('PREFECT_API_URL'), s._SERVER, ps.get_current_settings().api.url)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert done.stdout.split() == ["2", "None", "None", "None"], done.stderr[-2000:]


def test_the_embedded_server_is_prefects_own_command_and_environment() -> None:
    """flows.server starts the server without importing Prefect's server module; this checks that its copy
    of the command and environment is what the pinned Prefect's ``SubprocessASGIServer`` would run."""
    import types

    from prefect.server.api import server as module

    from flows.server import SERVER_ENV, server_command

    seen: dict[str, object] = {}

    class Recorder:
        def Popen(self, args: list[str], **kwargs: object) -> None:  # noqa: N802 (subprocess's name)
            seen.update(args=args, env=kwargs["env"])

    method = module.SubprocessASGIServer._run_uvicorn_command
    run = types.FunctionType(method.__code__, {**vars(module), "subprocess": Recorder()})
    run(types.SimpleNamespace(port=8123))
    assert seen["args"] == server_command(8123)
    env = seen["env"]
    assert isinstance(env, dict)
    assert {key: env[key] for key in SERVER_ENV} == SERVER_ENV


def test_a_server_that_cannot_start_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    env = base_env(tmp_path) | {"PREFECT_SERVER_DATABASE_CONNECTION_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/x",
                                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "20"}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, "-m", "flows.clean", str(SEEDS), "-o", str(tmp_path / "out"),
                           "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the embedded Prefect server"), done.stderr[-2000:]
    assert "--no-prefect" in last and "PREFECT_API_URL" in last
    assert "flows/clean.py" not in done.stderr  # no traceback of the command's own (the server logs why it failed)
    assert not (tmp_path / "out" / "articles").exists()


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []

