"""Dask on one machine listens on loopback only: the README's commands and the temporary cluster.

Every listening TCP socket of the scheduler, the nannies and the worker
processes (their comm ports and the HTTP servers each of them starts, even
with ``--no-dashboard``) must be on 127.0.0.1 or ::1, and two temporary
clusters at once must not fight over a port.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psutil
import pytest

distributed = pytest.importorskip("distributed")

LOOPBACK = {"127.0.0.1", "::1"}
def listening(processes: list[psutil.Process]) -> dict[int, list[tuple[str, int]]]:
    """The listening TCP sockets (address, port) of each process, by pid."""
    sockets: dict[int, list[tuple[str, int]]] = {}
    for process in processes:
        try:
            found = [c.laddr for c in process.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN]
        except psutil.NoSuchProcess:
            continue
        sockets[process.pid] = [(a.ip, a.port) for a in found]
    return sockets


def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def not_loopback(sockets: dict[int, list[tuple[str, int]]]) -> dict[int, list[tuple[str, int]]]:
    return {pid: bad for pid, found in sockets.items() if (bad := [s for s in found if s[0] not in LOOPBACK])}


def test_the_readme_commands_listen_on_loopback_only(readme_cluster: tuple[str, list[subprocess.Popen]],
                                                     tmp_path: Path) -> None:
    address, (scheduler, worker) = readme_cluster
    with distributed.Client(address, timeout=60, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=90)
        workers = client.scheduler_info()["workers"]
        nannies = {w["nanny"] for w in workers.values()}
        daemonic = client.run(lambda: __import__("multiprocessing").current_process().daemon)
    processes = tree(scheduler.pid) + tree(worker.pid)
    sockets = listening(processes)
    assert not_loopback(sockets) == {}, (tmp_path / "scheduler.log").read_text()[-2000:]
    # not passing for want of sockets: the scheduler's comm and HTTP ports, and per worker process
    # its comm and HTTP ports; the nannies' comm ports (all in the `dask worker` process)
    assert len(sockets[scheduler.pid]) >= 2 and ("127.0.0.1", int(address.rsplit(":", 1)[1])) in sockets[
        scheduler.pid]
    assert len(sockets[worker.pid]) >= 2 and {f"tcp://{ip}:{port}" for ip, port in sockets[worker.pid]} >= nannies
    worker_processes = [p for p in tree(worker.pid)[1:] if len(sockets.get(p.pid, [])) >= 2]
    assert len(worker_processes) == 2, sockets
    assert 8787 not in {port for found in sockets.values() for _, port in found}
    assert daemonic == dict.fromkeys(workers, True), "plain (daemonic) workers: no DASK_DISTRIBUTED__WORKER__DAEMON"


def test_temporary_clusters_listen_on_loopback_only_and_two_at_once_do_not_collide(recwarn: object) -> None:
    import dask

    from flows.runners import local_cluster

    before = listening(tree(os.getpid()))
    with dask.config.set({"logging.distributed": "error"}), \
            local_cluster(n_workers=2) as one, local_cluster(n_workers=2) as two:
        with distributed.Client(one, set_as_default=False) as c1, \
                distributed.Client(two, set_as_default=False) as c2:
            c1.wait_for_workers(2, timeout=60)
            c2.wait_for_workers(2, timeout=60)
        sockets = listening(tree(os.getpid()))
        http = [c.scheduler.http_server.port for c in (one, two)]
        comm = [c.scheduler_address for c in (one, two)]
    new = {pid: [s for s in found if s not in before.get(pid, [])] for pid, found in sockets.items()}
    assert not_loopback(new) == {}
    # schedulers, nannies and their HTTP servers in this process; comm and HTTP ports in each worker process
    assert len(new[os.getpid()]) >= 2 * (2 + 2) and sum(len(s) >= 2 for pid, s in new.items() if pid != os.getpid()) == 4
    assert len(set(http)) == 2 and 8787 not in http and len(set(comm)) == 2
    assert not [w for w in recwarn.list if "8787" in str(w.message)]  # type: ignore[attr-defined]
