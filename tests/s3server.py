"""A real S3-compatible server on loopback (moto in server mode), for the tests and benchmarks of URL inputs."""
from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def s3_server(timeout: float = 30) -> Iterator[dict[str, str]]:
    """Start the server; yield the environment that points s3fs (and boto) at it; stop it at the end.

    The credentials are moto's dummies: the server accepts any. Raises RuntimeError when it does not start.
    """
    port = _free_port()
    log = tempfile.TemporaryFile()  # the server's own messages, shown when it fails
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the moto S3 server did not start on 127.0.0.1:{port}: "
                                       f"{log.read()[-2000:].decode(errors='replace')}") from None
                time.sleep(0.05)
        _forget_s3_clients()
        yield {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    finally:
        _forget_s3_clients()
        if server.poll() is not None:  # it died while in use: say how, after whatever failed
            log.seek(0)
            print(f"the moto S3 server exited with {server.returncode}:\n"
                  f"{log.read()[-2000:].decode(errors='replace')}", file=sys.stderr)
        log.close()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _forget_s3_clients() -> None:
    """fsspec keeps one S3 filesystem per process and options, with the endpoint it was made with: one made for
    an earlier server of this process would still call that server's (closed) port."""
    try:
        from s3fs import S3FileSystem
    except ImportError:
        return
    S3FileSystem.clear_instance_cache()
