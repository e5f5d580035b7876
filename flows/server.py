"""The embedded Prefect server of ``python -m flows.clean``: started early, tied to the command's life.

With no ``PREFECT_API_URL``, Prefect itself would start a temporary server
at the first API call (``prefect.server.api.server.SubprocessASGIServer``):
it imports the server application into the command's process (FastAPI,
SQLAlchemy: 1.4-1.5 s here) only to learn how to start it, then starts
``python -m uvicorn`` and waits for it, with the cleaning not yet begun.
The seeds took 11.6-13.4 s that way, of which 3.8 s is the run itself.

:func:`start_embedded_server` starts that very server, Prefect's own command
and environment, as the command's first act, before its own imports, so the
server starts on one core while the command imports the cleaners on the
other; :meth:`EmbeddedServer.wait_ready` is called just before the flow
needs it. Its address goes into ``PREFECT_API_URL`` (the environment and
Prefect's global settings), so for Prefect the run is one against a running
server: no thread (heartbeats, event and log workers) can ask for a
temporary server of its own, and Dask workers inherit the address.

The server dies with the command. A normal exit stops it from an ``atexit``
hook registered before Prefect's own, so it runs after Prefect's log and
event workers have drained into it (hooks run last-in, first-out). A killed
command (``kill -9``, the OOM killer, a plain ``kill``: Python runs no
``atexit`` on SIGTERM) cannot run hooks, so on Linux the server starts
through a launcher that first asks the kernel to SIGKILL it when its parent
dies (``prctl(PR_SET_PDEATHSIG)``, which survives the ``exec`` into
uvicorn). The launcher is a separate ``exec``, not a ``preexec_fn``:
nothing but ``fork`` runs between fork and exec in a process that may
already have threads.

The temporary Dask cluster of ``--task-runner dask`` needs nothing of this:
its worker processes already exit at once when the command's end of their
"parent alive" pipe closes (``distributed.process.AsyncProcess``), and the
scheduler and nannies live in the command's own process.
"""
from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the toml package (a dependency of Prefect) reads the profile
    import toml as tomllib  # type: ignore[no-redef,unused-ignore]

#: Run by ``python -I -S -c`` as the server's first program: the parent-death signal, a check that the
#: parent did not die before it was asked for (then the signal would never come), then the real command.
_LAUNCHER = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    os._exit(1)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)

#: What Prefect's ``SubprocessASGIServer._run_uvicorn_command`` adds to the server's environment
#: (the UI off, the server told it is a temporary one). tests/flows/test_server.py checks that this
#: and :func:`server_command` still equal what the pinned Prefect runs.
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}

#: uvicorn's exit status when it cannot bind its port (another process took it after it was found free).
_PORT_TAKEN = 3

#: The ports Prefect picks its temporary server's from.
_PORTS = range(8000, 9000)


class ServerDidNotStart(RuntimeError):
    """The embedded server did not answer in time; the message says what to do instead."""


def server_command(port: int) -> list[str]:
    """Prefect's command for its temporary server on ``port`` (``SubprocessASGIServer``, Prefect 3.9).

    Found without importing Prefect (``prefect.__module_path__.parent`` is the folder holding the package)."""
    spec = importlib.util.find_spec("prefect")
    assert spec is not None and spec.origin is not None, "prefect is not installed"
    return [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(spec.origin).parent.parent),
            "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "error", "--lifespan", "on"]


class EmbeddedServer:
    """One temporary Prefect server of this process: started at once, awaited when the flow starts."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.process: subprocess.Popen[Any] | None = None
        self.port = 0
        self.ready = False
        self.published = False
        self._previous: str | None = None
        self._start()
        atexit.register(self.stop)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _start(self) -> None:
        """Spawn the server. Its environment is this process's (with the settings ``flows/__init__.py``
        defaulted) and Prefect's :data:`SERVER_ENV`; Prefect also passes the settings its client holds,
        but at this point those are what the server reads itself: the same environment, profile and
        settings files."""
        self.port = _free_port()
        env = {**os.environ, **SERVER_ENV}
        env.pop("PREFECT_API_URL", None)  # a previous start's address (a port found taken): not the server's
        command = server_command(self.port)
        # the kernel's signal comes when the starting *thread* ends: only the main thread lives as long as we do
        if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
            command = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(os.getpid()), *command]
        self.process = subprocess.Popen(command, env=env)
        if self.published:
            self.publish()

    def publish(self) -> None:
        """Point this process (and the processes it starts) at the server, as a user's PREFECT_API_URL would."""
        if not self.published:
            self._previous = os.environ.get("PREFECT_API_URL")
        self.published = True
        os.environ["PREFECT_API_URL"] = self.api_url
        _refresh_settings()

    def withdraw(self) -> None:
        """Stop the server and take its address back: this process is as it was before :meth:`publish`."""
        global _SERVER
        self.stop()
        if self.published:
            if self._previous is None:
                os.environ.pop("PREFECT_API_URL", None)
            else:
                os.environ["PREFECT_API_URL"] = self._previous
            self.published = False
            _refresh_settings()
        if _SERVER is self:
            _SERVER = None

    def wait_ready(self) -> str:
        """Block until the server answers its health check; its API URL. Raises :class:`ServerDidNotStart`
        (the server stopped and its address withdrawn: nothing in this process points at a dead server)."""
        try:
            return self._wait()
        except ServerDidNotStart:
            self.withdraw()
            raise

    def _wait(self) -> str:
        deadline = time.monotonic() + self.timeout
        while True:
            if self.process is None:
                raise ServerDidNotStart(f"the embedded Prefect server was stopped{_INSTEAD}")
            code = self.process.poll()
            if code == _PORT_TAKEN and not _bindable(self.port) and time.monotonic() < deadline:
                self.ready = False  # the port was taken after it was found free: another one
                self._start()
                continue
            if code is not None:
                raise ServerDidNotStart(f"the embedded Prefect server exited with status {code} "
                                        f"{'' if self.ready else 'before it answered '}(its log above says why)"
                                        f"{_INSTEAD}")
            if self.ready:
                return self.api_url
            if time.monotonic() > deadline:
                raise ServerDidNotStart(f"the embedded Prefect server did not answer within {self.timeout:g} s "
                                        f"(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS){_INSTEAD}")
            self.ready = _healthy(self.api_url)
            if not self.ready:
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (Prefect's own way: terminate, then kill after 5 s)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_INSTEAD = ("; run with --no-prefect, or start one server (`prefect server start`) and set PREFECT_API_URL "
            "to it (README, 'Prefect')")

_SERVER: EmbeddedServer | None = None


def start_embedded_server() -> EmbeddedServer | None:
    """This process's temporary Prefect server, started now, unless Prefect would not start one.

    None, and nothing started (or the early start stopped), when an API URL
    is set (by the environment or the active profile: a long-lived server)
    or temporary servers are off. Called twice, it returns the first call's
    server. Call it from the main thread: the parent-death signal is tied to
    the thread that started the child.
    """
    global _SERVER, _EARLY
    if _SERVER is not None:
        return _SERVER
    early, _EARLY = _EARLY, None
    from prefect.settings import get_current_settings

    settings = get_current_settings()  # the user's settings: no address of ours is in them yet
    if settings.api.url or not settings.server.ephemeral.enabled:
        if early is not None:
            early.stop()
        return None
    timeout = float(settings.server.ephemeral.startup_timeout_seconds)
    if early is not None:
        early.timeout = timeout
    _SERVER = early or EmbeddedServer(timeout)
    _SERVER.publish()
    return _SERVER


#: The server :func:`start_early` started before Prefect was imported, until :func:`start_embedded_server`
#: has read Prefect's settings and kept it (or stopped it).
_EARLY: EmbeddedServer | None = None


def start_early(argv: list[str]) -> None:
    """Start the server for ``python -m flows.clean`` as its first act, before Prefect is imported (0.9 s),
    when the command will need one: not for ``--help`` nor ``--no-prefect``, not when the environment or
    the active profile names an API. :func:`start_embedded_server` then checks every other source of
    Prefect's settings, and stops this server if they name an API after all."""
    global _EARLY
    if {"-h", "--help", "--no-prefect"} & {arg.split("=", 1)[0] for arg in argv}:
        return
    if os.environ.get("PREFECT_API_URL") or _profile_names_api() or _SERVER is not None or _EARLY is not None:
        return
    if os.environ.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "true").lower() in ("0", "false", "no", "off"):
        return
    _EARLY = EmbeddedServer(float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")))
    start_embedded_server()


def _profile_names_api() -> bool:
    """Whether the active profile of Prefect's profiles file sets PREFECT_API_URL or turns temporary
    servers off (read with tomllib, without importing Prefect; anything unclear: False)."""
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        profile = data.get("profiles", {}).get(os.environ.get("PREFECT_PROFILE") or data.get("active"), {})
        off = str(profile.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "true")).lower() in ("0", "false", "no", "off")
        return bool(profile.get("PREFECT_API_URL")) or off
    except (OSError, ValueError, AttributeError, TypeError):
        return False


def _refresh_settings() -> None:
    """Prefect reads its settings once; when it already has, it reads them again (the new address)."""
    if "prefect.context" in sys.modules:
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()


def _free_port() -> int:
    """A port of Prefect's range nothing listens on now (as Prefect picks its temporary server's)."""
    for _ in range(50):
        port = random.choice(_PORTS)
        if _bindable(port):
            return port
    raise ServerDidNotStart(f"no free port in {_PORTS.start}-{_PORTS.stop - 1} for the embedded Prefect server"
                            f"{_INSTEAD}")


def _bindable(port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
