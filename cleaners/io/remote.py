"""Inputs at fsspec URLs (``s3://``, ``gs://``, ``az://``, ``memory://`` ...; ``https://`` single files): found and opened.

Crawlers on a cluster write to object storage, and a Dask worker on another
machine shares no folder with the flow; a URL names the same bytes in every
process. :func:`cleaners.io.readers.discover` hands URLs here and local paths
to its own walk, so the naming rules (``source`` relative to the INPUT
folder, or to the deepest folder several INPUTs share), hidden files and
unsupported formats are the same for both.

Credentials, endpoints and other options come from where fsspec and the
storage library look on their own (the environment: ``AWS_ACCESS_KEY_ID``,
``AWS_ENDPOINT_URL``, ``GOOGLE_APPLICATION_CREDENTIALS``; fsspec's
``FSSPEC_<PROTOCOL>_<OPTION>`` variables and config files), never from the
command line: a URL with a user, a password or a query string (a presigned
URL's signature) in it would end up in the run summary and the logs, so one
is refused (:func:`url_problem`). Each protocol's library
is an optional install (``s3fs`` for ``s3://``: the ``s3`` extra); a missing
one is a clear error before anything is read.

Object stores have no symlinks, FIFOs or devices, so the link rules of
local discovery do not arise. ``memory://`` lives in one process: it serves
tests and programs that call :func:`cleaners.pipeline.run` themselves, and
shard processes of another Python do not see it.
"""
from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ..model import Rejection
from ..outcome import NothingCommitted

#: ``scheme://``: two characters at least, so a Windows path ``C:\\x`` or ``C://x`` stays a path.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+)://")


#: Azure's URLs name the container where others have a user (``abfss://container@account.dfs.core.windows.net``).
_CONTAINER_AT_HOST = frozenset({"abfs", "abfss", "az", "azure", "adl", "wasb", "wasbs"})
#: Read buffer of an object's stream; fsspec fetches its own blocks (5 MB for s3fs) beneath it.
_BUFFER = 1 << 20


class RemoteInputError(NothingCommitted):
    """A URL that cannot be read at all (no library for its protocol, credentials in it): the run stops
    before anything is written, saying what to fix."""


def is_url(raw: str | PurePosixPath) -> bool:
    """A ``scheme://`` URL other than ``file://`` (a local path in URL form, read as one)."""
    match = _SCHEME.match(str(raw))
    return match is not None and match.group(1).lower() != "file"


def local_path(raw: str) -> str:
    """``file:///x/y`` (or ``file://localhost/x/y``, percent-encoded) as ``/x/y``; anything else as given."""
    match = _SCHEME.match(raw)
    if match is None or match.group(1).lower() != "file":
        return raw
    parts = urlsplit(raw)
    if parts.netloc not in ("", "localhost"):  # another host's share: no local path; not_found says so
        return raw
    return url2pathname(parts.path)


def url_problem(url: str) -> str | None:
    """Why an INPUT (or publish target) URL is refused, or None.

    The URL is written to the run summary and the logs, and its path names the output rows: a user
    name, a password or a query string (a presigned URL's signature, an access token) would leak there.
    """
    parts = urlsplit(url)
    if parts.password is not None or (parts.username is not None and parts.scheme.lower() not in _CONTAINER_AT_HOST):
        what = "a user name or password"
    elif parts.query:
        what = "a query string (where presigned URLs and tokens carry their signatures)"
    else:
        return None
    return (f"{redact(url)}: a storage URL must not hold {what}: it would be written to summaries and "
            "logs; give credentials in the environment (AWS_ACCESS_KEY_ID, ...) or the library's configuration")


def check_url(url: str) -> None:
    """Raise :class:`RemoteInputError` for a URL :func:`url_problem` refuses."""
    if (problem := url_problem(url)) is not None:
        raise RemoteInputError(problem)


def redact(url: str) -> str:
    """The URL without user, password and query, for messages."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2], query="").geturl()


def filesystem(url: str) -> tuple[Any, str]:
    """(fsspec filesystem, path inside it) of a URL; a missing protocol library is a :class:`RemoteInputError`."""
    import fsspec  # only runs with URLs pay for the import

    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as exc:
        raise RemoteInputError(f"{url}: cannot read this protocol here ({exc}); for s3:// install the s3 extra "
                               "(pip install 'newsclean[s3]')") from exc
    except ValueError as exc:  # an unknown protocol
        raise RemoteInputError(f"{url}: {exc}") from exc


def location(url: str) -> tuple[str, str]:
    """Where a URL points, whatever its spelling: (the filesystem's class, the path in it without a trailing
    "/"). ``s3://`` and ``s3a://`` name the same store, so an output in one is never read as input of the other."""
    fs, path = filesystem(url)
    return type(fs).__name__, path.rstrip("/")


def open_url(url: str) -> BinaryIO:
    """The object's bytes as a seekable binary stream (fsspec fetches blocks, so it streams).

    Wrapped in :class:`io.BufferedReader`: fsspec's files lack parts of the file API the readers use
    (``readline(size)``, ``peek``), and the wrapper gives them exactly what a local file has.
    """
    fs, path = filesystem(url)
    return io.BufferedReader(fs.open(path, "rb"), buffer_size=_BUFFER)


def remote_base(urls: Sequence[str], with_paths: bool) -> str | None:
    """The URL every ``source`` is relative to with several URL INPUTs (as :func:`readers.source_base` for paths).

    None for one URL INPUT alone (the contract's naming). URLs of different protocols or buckets,
    or URLs beside local paths (``with_paths``), have no common folder: "" then, and each object is
    named by protocol, bucket and key (``s3/crawls/day1/a.jsonl``), which no two inputs share.
    """
    unique = sorted({u.rstrip("/") for u in urls})
    if not unique or (len(unique) == 1 and not with_paths):
        return None
    if with_paths or not _same_root(unique):
        return ""
    return posixpath.commonpath(unique).replace(":/", "://", 1)


def _same_root(urls: Sequence[str]) -> bool:
    roots = {(p.scheme, p.netloc) for p in map(urlsplit, urls)}
    return len(roots) == 1


def list_url(raw: str, base: str | None, rejected: list[Rejection]) -> list[tuple[str, PurePosixPath, str, int]]:
    """(url, key, source, size) of the objects at or under a URL INPUT; what is not read gets its row.

    ``base``: from :func:`remote_base`. A missing URL is ``not_found``, hidden objects and "folders"
    (names starting with ".") are ``hidden_file`` / ``hidden_directory``, as on disk; the empty
    objects ending in "/" that consoles make as folders are not objects to read. ``key`` is the
    object's path in its store, for what goes by the name (the reader, by suffix): a key may hold
    "?" or "#", which a URL parser would cut off.
    """
    check_url(raw)
    fs, root = filesystem(raw)
    url = raw.rstrip("/")
    fs.invalidate_cache()  # fsspec keeps listings per process: a scheduled run must see objects added since
    try:
        info = fs.info(root)
    except FileNotFoundError:
        rejected.append(Rejection(raw, None, "not_found", f"input {raw} does not exist"))
        return []
    except Exception as exc:  # noqa: BLE001 (no credentials, access denied, no endpoint: a row saying so, not a crash)
        rejected.append(Rejection(raw, None, "unreadable",
                                  f"input {raw} could not be looked at: {type(exc).__name__}: {exc}"))
        return []
    prefix = _relative(url, base)
    if info.get("type") != "directory":
        key = PurePosixPath(root.rstrip("/"))
        return [(url, key, prefix or key.name, int(info.get("size") or 0))]
    try:
        found = fs.find(root, detail=True, withdirs=False)
    except Exception as exc:  # noqa: BLE001 (as above)
        rejected.append(Rejection(prefix or raw, None, "unreadable", f"folder not listed: {type(exc).__name__}: {exc}"))
        return []
    top = root.rstrip("/")
    listed: list[tuple[str, PurePosixPath, str, int]] = []
    hidden_dirs: set[str] = set()
    for path in sorted(found):
        if path.endswith("/"):  # a "folder" marker object
            continue
        rel = path[len(top):].lstrip("/")
        parts = rel.split("/")
        source = f"{prefix}/{rel}" if prefix else rel
        hidden = next((i for i, part in enumerate(parts) if part.startswith(".")), None)
        if hidden is not None and hidden < len(parts) - 1:  # inside a hidden "folder": one row for the folder
            folder = "/".join(parts[: hidden + 1])
            if folder not in hidden_dirs:
                hidden_dirs.add(folder)
                rejected.append(Rejection(f"{prefix}/{folder}" if prefix else folder, None, "hidden_directory",
                                          "hidden folder, not read (pass it as INPUT to read it)"))
            continue
        if hidden is not None:
            rejected.append(Rejection(source, None, "hidden_file",
                                      "hidden file, not read (pass it as INPUT to read it)"))
            continue
        # the URL as the user wrote it, so it opens with the same protocol and options
        listed.append((f"{url}/{rel}", PurePosixPath(path), source, int(found[path].get("size") or 0)))
    return listed


def _relative(url: str, base: str | None) -> str:
    """The source prefix of a URL INPUT: "" with one INPUT, its path below ``base`` otherwise."""
    if base is None:
        return ""
    if base == "":
        parts = urlsplit(url)
        return f"{parts.scheme}/{parts.netloc}{parts.path}".strip("/")
    return url[len(base):].strip("/")
