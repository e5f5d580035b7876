"""Temporary names for files written atomically (write, fsync, rename) into folders several processes share.

A run, ``python -m flows.report`` and the next run may write into
``OUTPUT/runs/`` at once; the next run also clears what dead runs left
there. A temporary name that carries its writer's pid lets it clear only
files whose writer is gone, never one another process is about to rename.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

_TEMP = re.compile(r"^\.(?P<name>.+?)(?:\.(?P<pid>\d+))?\.tmp$")


def temp_path(path: Path) -> Path:
    """Where to write ``path`` before renaming it into place: hidden, and named by this process."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def stale_temp(entry: Path) -> bool:
    """A temporary file of :func:`temp_path` (or of an older version, without a pid) whose writer is gone."""
    match = _TEMP.match(entry.name)
    if match is None:
        return False
    if match["pid"] is None:
        return True  # written before names carried a pid: from a run that died
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):  # alive under another user / not a pid
        return False
    return False
