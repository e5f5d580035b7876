#!/usr/bin/env python3
"""Peak memory and time of the pipeline on hostile input shapes (issue 17), each in a fresh child process.

    python benchmarks/hostile_memory.py [CASE ...] [--workdir DIR] [--scale 1.0]

Cases (all of them when none is named):

- ``empty-records``: 10M ``{}`` JSONL lines (30 MB), all ``no_text`` rows:
  ``python -m flows.clean --no-prefect``, report included.
- ``one-line-gz``: a ``.jsonl.gz`` (about 2 MB) holding one 2 GiB line, then
  a normal page: the run with its report (which shows the page line by line,
  so it reads the file again), then the report again with ``python -m flows.report``.
- ``one-line-plain``: the same as a plain ``.jsonl`` of 1 GiB on disk (a
  gzipped file ends at such a line, its decompression budget; a plain one is
  read on, so the report's page view passes the huge line again).
- ``one-char-lines``: one 4.9 MB ``.txt`` page of 2.45M one-character lines,
  the run and its report (the page is shown line by line).
- ``explain-bomb``: ``python -m cleaners.explain`` on a ``.txt.gz`` holding
  3 GiB of text (about 8 MB on disk).
- ``discover``: :func:`cleaners.io.readers.discover` over 100,000 files in
  100 folders (time only).

Peak RSS is the child's own ``ru_maxrss`` (``os.wait4``), which covers the
whole command, report included. ``--scale`` shrinks the inputs (0.1: a tenth)
for a quick look. Inputs are written once into ``--workdir`` (default: a
temporary folder, removed afterwards) and reused.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = ("empty-records", "one-line-gz", "one-line-plain", "one-char-lines", "explain-bomb", "discover")


#: Address-space limit of each child in bytes (``--max-gb``): a case that would eat the machine fails instead.
LIMIT: int | None = None


def _limit() -> None:
    if LIMIT:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _child(argv: list[str], stdout: int | None = subprocess.DEVNULL) -> tuple[int, float, float]:
    """Run ``argv``; its exit status, wall seconds and peak RSS in MB (its own, via wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE,
                            preexec_fn=_limit)  # noqa: PLW1509 (no threads here yet)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return proc.returncode, seconds, usage.ru_maxrss / 1024


#: A normal page with chrome lines, after the huge line: the report shows it line by line, so it reads the
#: file again, and meets the huge line on its way.
_PAGE = json.dumps({"id": "ok", "text": "Share this article\nAdvertisement\nCouncil approves the harbour plan\n"
                    + "The council said on Monday that the new plan for the harbour would cost more than expected, "
                    "and residents asked why the work had been delayed again.\n" * 3 + "Sign up for our newsletter"}
                   ).encode() + b"\n"


def _gzip_repeated(path: Path, total: int, block: bytes, tail: bytes = b"", head: bytes = b"") -> None:
    """A gzip file of ``block`` repeated to ``total`` bytes (compressed once: a bomb costs no time to make)."""
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(head)
        chunk = block * max(1, (1 << 20) // len(block))
        written = 0
        while written + len(chunk) <= total:
            out.write(chunk)
            written += len(chunk)
        out.write(chunk[: total - written])
        out.write(tail)


def make(case: str, work: Path, scale: float) -> list[Path]:
    work.mkdir(parents=True, exist_ok=True)
    if case == "empty-records":
        path = work / "empty" / "empty.jsonl"
        n = int(10_000_000 * scale)
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            with open(path, "wb") as out:
                out.writelines(b"{}\n" * 100_000 for _ in range(n // 100_000))
                out.write(b"{}\n" * (n % 100_000))
        return [path.parent]
    if case == "one-line-gz":
        path = work / "oneline" / "one.jsonl.gz"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            _gzip_repeated(path, int((2 << 30) * scale), b"a" * 1024, b'"}\n' + _PAGE, head=b'{"id": "huge", "text": "')
        return [path.parent]
    if case == "one-line-plain":
        path = work / "oneline-plain" / "one.jsonl"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            with open(path, "wb") as out:
                out.write(b'{"id": "huge", "text": "')
                block = b"a" * (1 << 20)
                out.writelines(block for _ in range(int(1024 * scale)))
                out.write(b'"}\n' + _PAGE)
        return [path.parent]
    if case == "one-char-lines":
        path = work / "lines" / "page.txt"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(b"Headline of the page\n" + b"x\n" * int(2_450_000 * scale))
        return [path.parent]
    if case == "explain-bomb":
        path = work / "bomb" / "page.txt.gz"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            _gzip_repeated(path, int((3 << 30) * scale), b"word " * 200 + b"\n")
        return [path]
    if case == "discover":
        root = work / "many"
        n = int(100_000 * scale)
        if not root.exists():
            for d in range(100):
                (root / f"d{d:03d}").mkdir(parents=True)
            for i in range(n):
                (root / f"d{i % 100:03d}" / f"page{i:06d}.txt").write_bytes(b"")
        return [root]
    raise ValueError(case)


def measure(case: str, inputs: list[Path], work: Path) -> dict[str, object]:
    py = sys.executable
    out = work / f"out-{case}"
    shutil.rmtree(out, ignore_errors=True)
    if case in ("empty-records", "one-line-gz", "one-line-plain", "one-char-lines"):
        rc, secs, peak = _child([py, "-m", "flows.clean", *map(str, inputs), "-o", str(out), "--no-prefect",
                                 "--no-progress"])
        figures: dict[str, object] = {"run_exit": rc, "run_seconds": round(secs, 1), "run_peak_mb": round(peak)}
        rc, secs, peak = _child([py, "-m", "flows.report", str(out)])
        figures.update(report_exit=rc, report_seconds=round(secs, 1), report_peak_mb=round(peak))
        summary = json.loads(max((out / "runs").glob("*.json")).read_text())
        figures["rejected_by_reason"] = summary["rejected_by_reason"]
        figures["removed_lines"] = sum(summary["removed_by_reason"].values())
        figures["removed_rows"] = summary["dataset"]["removed"]
        shutil.rmtree(out, ignore_errors=True)
        return figures
    if case == "explain-bomb":
        rc, secs, peak = _child([py, "-m", "cleaners.explain", str(inputs[0])])
        return {"exit": rc, "seconds": round(secs, 1), "peak_mb": round(peak)}
    code = ("import sys, time; from cleaners.io.readers import discover; t = time.perf_counter(); "
            f"files, rejected = discover([{str(inputs[0])!r}]); "
            "print(len(files), len(rejected), round(time.perf_counter() - t, 2))")
    with tempfile.TemporaryFile() as fh:
        rc, secs, peak = _child([py, "-c", code], stdout=fh.fileno())
        fh.seek(0)
        files, _rejected, seconds = fh.read().decode().split()
    return {"exit": rc, "files": int(files), "discover_seconds": float(seconds), "peak_mb": round(peak)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"any of {', '.join(CASES)} (default: all)")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--max-gb", type=float, help="address-space limit of each child (RLIMIT_AS), in GB")
    args = parser.parse_args()
    global LIMIT
    LIMIT = int(args.max_gb * 1e9) if args.max_gb else None
    work = args.workdir or Path(tempfile.mkdtemp(prefix="hostile-memory-"))
    try:
        unknown = sorted(set(args.cases) - set(CASES))
        if unknown:
            parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
        for case in args.cases or CASES:
            inputs = make(case, work, args.scale)
            print(f"{case:16s} {json.dumps(measure(case, inputs, work))}", flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
