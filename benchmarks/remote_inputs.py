#!/usr/bin/env python3
"""What reading the inputs from S3 costs against reading them from disk, end to end, in interleaved rounds.

    python benchmarks/remote_inputs.py CORPUS_DIR [--rounds 3] [-- EXTRA flows.clean OPTIONS]

CORPUS_DIR (for example from ``benchmarks/make_news_corpus.py``) is uploaded
once to a real S3-compatible server on loopback (moto in server mode, from
the test extra); each round then runs ``python -m flows.clean --no-prefect``
once on the folder and once on ``s3://bench/corpus`` into fresh outputs, and
prints wall seconds, CPU seconds (the command and its worker processes) and
the ratio, and checks that both runs kept the same articles. moto is a
Python server on the same two cores, so the figures are an upper bound of
the cost of the object-store path itself, not a measure of S3's network.
Timing is printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.s3server import s3_server  # noqa: E402


def clean(source: str, out: Path, env: dict[str, str], extra: list[str]) -> tuple[float, float, dict]:
    """(wall s, CPU s of the command and its children, run summary) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "flows.clean", source, "-o", str(out), "--no-prefect", *extra],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = json.loads(next((out / "runs").glob("*.json")).read_text(encoding="utf-8"))
    return wall, cpu, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="folder of input files")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("extra", nargs="*", help="more flows.clean options, after --")
    args = parser.parse_args()
    import fsspec

    size = sum(p.stat().st_size for p in args.corpus.rglob("*") if p.is_file())
    with s3_server() as s3, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, **s3}
        os.environ.update(s3)
        fs = fsspec.filesystem("s3")
        fs.mkdir("bench")
        start = time.perf_counter()
        fs.put(str(args.corpus), "bench/corpus", recursive=True)
        print(f"uploaded {size / 1e6:.1f} MB to the loopback server in {time.perf_counter() - start:.1f} s")
        results: dict[str, list[tuple[float, float]]] = {"disk": [], "s3": []}
        kept: dict[str, set[int]] = {"disk": set(), "s3": set()}
        for n in range(args.rounds):
            for name, source in (("disk", str(args.corpus)), ("s3", "s3://bench/corpus")):
                out = Path(tmp) / f"{name}{n}"
                wall, cpu, summary = clean(source, out, env, args.extra)
                results[name].append((wall, cpu))
                kept[name].add(summary["counts"]["articles_kept"])
                print(f"round {n + 1} {name:<4} {wall:6.1f} s wall {cpu:6.1f} CPU-s "
                      f"({summary['counts']['articles_kept']} articles kept)", flush=True)
                shutil.rmtree(out)
    for name in results:
        walls, cpus = zip(*results[name])
        print(f"{name:<4} median {statistics.median(walls):6.1f} s wall, {statistics.median(cpus):6.1f} CPU-s")
    ratios = [s[0] / d[0] for d, s in zip(results["disk"], results["s3"], strict=True)]
    print("s3 / disk wall per round: " + ", ".join(f"{r:.2f}x" for r in ratios)
          + f"; median {statistics.median(ratios):.2f}x")
    same = kept["disk"] == kept["s3"] and len(kept["disk"]) == 1
    print("same articles kept from both: " + ("yes" if same else f"NO ({kept})"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
