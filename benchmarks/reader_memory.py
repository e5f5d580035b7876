#!/usr/bin/env python3
"""Peak memory of reading a JSONL export as it grows: flat in the file's size, not proportional to it.

    python benchmarks/reader_memory.py [--sizes-mb 10 100 1000] [--workdir DIR] [--gzip]

Writes JSONL files of the given sizes (scraper-like records: ``id``, ``url``,
``title``, ``text`` of 3-8 KB), then reads each in a fresh process through
:func:`cleaners.io.readers.read_file`, as the pipeline does, and prints the
records read, MB/s and the process's peak RSS. The files go to ``--workdir``
(default: a temporary folder, removed afterwards); 1 GB needs that much disk.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("the council said on monday that a new plan for the harbour would cost more than expected and "
         "residents who spoke at the meeting asked why the work had been delayed again this year after "
         "engineers found problems with the old pier").split()


def write_jsonl(path: Path, megabytes: int, gz: bool) -> int:
    rng = random.Random(megabytes)
    bodies = ["\n".join(" ".join(rng.choices(WORDS, k=rng.randint(20, 60))) + "." for _ in range(rng.randint(6, 14)))
              for _ in range(500)]
    target = megabytes * 1_000_000
    written = records = 0
    opener = gzip.open if gz else open
    with opener(path, "wb") as out:  # type: ignore[operator]
        while written < target:
            line = json.dumps({"id": f"r{records}", "url": f"https://site{records % 50}.example/a/{records}",
                               "title": f"Story number {records}", "text": bodies[records % len(bodies)]})
            data = line.encode() + b"\n"
            out.write(data)
            written += len(data)
            records += 1
    return records


def measure(path: str) -> None:
    """Child process: read the file as the pipeline does and report."""
    from cleaners.io.readers import InputFile, read_file

    file = InputFile(Path(path), Path(path).name, Path(path).stat().st_size)
    start = time.perf_counter()
    pages = 0
    for item in read_file(file, 5_000_000):
        pages += 1
    secs = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": pages, "seconds": secs, "peak_rss_mb": peak_mb}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--gzip", action="store_true", help="write .jsonl.gz instead")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="reader-memory-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        baseline = None
        for mb in args.sizes_mb:
            path = workdir / f"export-{mb}mb.jsonl{'.gz' if args.gzip else ''}"
            write_jsonl(path, mb, args.gzip)
            out = subprocess.run([sys.executable, __file__, "--measure", str(path)], check=True,
                                 capture_output=True, text=True).stdout
            got = json.loads(out.strip().splitlines()[-1])
            baseline = baseline or got["peak_rss_mb"]
            print(f"{mb:6d} MB JSONL ({path.stat().st_size / 1e6:7.1f} MB on disk)  {got['records']:8d} records  "
                  f"{mb / got['seconds']:6.1f} MB/s  peak RSS {got['peak_rss_mb']:6.1f} MB  "
                  f"({got['peak_rss_mb'] / baseline:.2f}x the smallest)")
            path.unlink()
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
