"""The embedded Prefect server of ``python -m flows.clean``, tied to the command's life.

With no ``PREFECT_API_URL``, Prefect starts a temporary server for the run
(``prefect.server.api.server.SubprocessASGIServer``: ``python -m uvicorn``
in a child process) and stops it from an ``atexit`` hook. A command that is
killed (``kill -9``, the OOM killer, a plain ``kill``: Python runs no
``atexit`` on SIGTERM) never runs that hook, and the server lived on,
holding the command's stdout, ``prefect.db`` and its port.

:func:`server_dies_with_this_process` starts that very server, Prefect's own
command and environment, before the flow does, from the main thread, through
a launcher that first asks the kernel to SIGKILL the process when its parent
dies (Linux ``prctl(PR_SET_PDEATHSIG)``, which survives the ``exec`` into
uvicorn). It registers the server where Prefect looks for its temporary
server (``SubprocessASGIServer()``, the instance kept for port None, as
Prefect's own test harness does), so Prefect's clients use it and Prefect's
``atexit`` hook still stops it on a normal exit, after the log and event
workers have drained into it. The launcher is a separate ``exec``, not a
``preexec_fn``: nothing but ``fork`` runs between fork and exec in a
process that may already have threads.

The temporary Dask cluster of ``--task-runner dask`` needs nothing of this:
its worker processes already exit at once when the command's end of their
"parent alive" pipe closes (``distributed.process.AsyncProcess``), and the
scheduler and nannies live in the command's own process.
"""
from __future__ import annotations

import os
import subprocess
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the server module is heavy (FastAPI, SQLAlchemy): imported only when a server is started
    from prefect.server.api.server import SubprocessASGIServer

#: Run by ``python -I -S -c`` as the server's first program: the parent-death signal, a check that the
#: parent did not die before it was asked for (then the signal would never come), then the real command.
_LAUNCHER = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    os._exit(1)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


class _DiesWithParent:
    """Stands for the ``subprocess`` module inside Prefect's server start: ``Popen`` goes through the launcher."""

    def __init__(self, parent: int) -> None:
        self.parent = parent

    def Popen(self, args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(self.parent), *args]
        return subprocess.Popen(launcher, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)


def _server_class() -> type[SubprocessASGIServer]:
    from prefect.server.api import server as module
    from prefect.server.api.server import SubprocessASGIServer

    original = SubprocessASGIServer._run_uvicorn_command
    # Prefect's own method, run with a private copy of its module's globals in which ``subprocess`` is
    # the launcher: Prefect's command line and environment as they are, nothing patched process-wide.
    launch = types.FunctionType(original.__code__, {**vars(module), "subprocess": _DiesWithParent(os.getpid())},
                                original.__name__, original.__defaults__, original.__closure__)

    class ServerDyingWithCaller(SubprocessASGIServer):
        """Prefect's temporary server, started so that it dies with the process that started it."""

        def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
            return launch(self)

    return ServerDyingWithCaller


def server_dies_with_this_process() -> str | None:
    """Start Prefect's temporary server now, killed by the kernel when this process dies; its API URL.

    None, and nothing started, when Prefect would not start one: an API URL is
    set (a long-lived server), temporary servers are off, or this is not
    Linux (no parent-death signal; Prefect then starts its server itself, as
    before). Call it from the main thread: the signal is tied to the thread
    that started the child.
    """
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url or not settings.server.ephemeral.enabled or not sys.platform.startswith("linux"):
        return None
    from prefect.server.api.server import SubprocessASGIServer

    if not (hasattr(SubprocessASGIServer, "_run_uvicorn_command") and hasattr(SubprocessASGIServer, "_instances")):
        return None  # another Prefect than the one pinned: it starts its server itself, as before
    if None in SubprocessASGIServer._instances:  # one is registered already (a harness, an earlier call)
        server = SubprocessASGIServer()
    else:
        server = _server_class()()
    server.start()
    return str(server.api_url)
