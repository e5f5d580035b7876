#!/usr/bin/env python3
"""What keeping the output as Delta tables costs against the snapshot layout, end to end, in interleaved rounds.

    python benchmarks/output_layout.py INPUT [INPUT ...] [--rounds 3] [--no-s3] [-- EXTRA flows.clean OPTIONS]

Each round runs ``python -m flows.clean --no-prefect`` on the same INPUTs
into a fresh output of each layout: ``snapshots`` (a local folder),
``delta`` (a local folder of Delta tables, ``--layout delta``) and ``s3``
(Delta tables in a real S3-compatible server on loopback: moto in server
mode, from the test extra; the inputs stay local, so only the output's
path is measured). Then the same command once more into each output, which
finds nothing new (the ledger's cost alone). It prints wall seconds and CPU
seconds (the command and its worker processes), the ratio to the snapshot
layout per round, and checks that every layout kept the same articles.
moto shares the machine's cores, so the S3 figures bound the object-store
path's own cost; a real store adds its network. Timing is printed, never
asserted.
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
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.s3server import s3_server  # noqa: E402


def clean(inputs: list[str], out: str, layout: str, env: dict[str, str], extra: list[str]) -> tuple[float, float, dict]:
    """(wall s, CPU s of the command and its children, run summary as --json prints it) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flows.clean", *inputs, "-o", out, "--layout", layout,
                           "--no-prefect", "--no-progress", "--json", *extra],
                          cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="files or folders to clean")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-s3", action="store_true", help="skip the loopback S3 server")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more flows.clean options")
    args = parser.parse_args()
    inputs = [str(Path(i).resolve()) for i in args.inputs]
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = dict(os.environ)
        targets = {"snapshots": (str(tmp / "snap"), "snapshots"), "delta": (str(tmp / "delta"), "delta")}
        fs = None
        if not args.no_s3:
            import fsspec

            s3 = stack.enter_context(s3_server())
            env |= {**s3, "AWS_ALLOW_HTTP": "true", "AWS_REGION": s3["AWS_DEFAULT_REGION"]}
            os.environ.update(env)
            fs = fsspec.filesystem("s3")
            fs.mkdir("bench")
            targets["s3"] = ("s3://bench/out", "delta")
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in targets}
        again: dict[str, list[float]] = {name: [] for name in targets}
        kept: dict[str, set[int]] = {name: set() for name in targets}
        for n in range(args.rounds):
            for name, (out, layout) in targets.items():
                wall, cpu, summary = clean(inputs, out, layout, env, args.extra)
                results[name].append((wall, cpu))
                kept[name].add(summary["counts"]["articles_kept"])
                repeat, _, second = clean(inputs, out, layout, env, args.extra)
                assert not second["committed"], f"{name}: a second run over the same inputs committed"
                again[name].append(repeat)
                print(f"round {n + 1} {name:<9} {wall:6.1f} s wall {cpu:6.1f} CPU-s; again with nothing new "
                      f"{repeat:5.1f} s ({summary['counts']['articles_kept']} articles kept)", flush=True)
                if name == "s3":
                    assert fs is not None
                    fs.rm("bench/out", recursive=True)
                else:
                    shutil.rmtree(out)
    for name in results:
        walls, cpus = zip(*results[name])
        print(f"{name:<9} median {statistics.median(walls):6.1f} s wall, {statistics.median(cpus):6.1f} CPU-s; "
              f"nothing new {statistics.median(again[name]):5.1f} s")
    for name in results:
        if name == "snapshots":
            continue
        ratios = [o[0] / s[0] for s, o in zip(results["snapshots"], results[name], strict=True)]
        cpu_ratios = [o[1] / s[1] for s, o in zip(results["snapshots"], results[name], strict=True)]
        print(f"{name} / snapshots wall per round: " + ", ".join(f"{r:.2f}x" for r in ratios)
              + f"; median {statistics.median(ratios):.2f}x (CPU {statistics.median(cpu_ratios):.2f}x)")
    same = len({frozenset(v) for v in kept.values()}) == 1 and all(len(v) == 1 for v in kept.values())
    print("same articles kept by every layout: " + ("yes" if same else f"NO ({kept})"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
