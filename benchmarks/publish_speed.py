#!/usr/bin/env python3
"""What publishing an output as Delta Lake tables costs, against copying its Parquet with pyarrow.

    python benchmarks/publish_speed.py CORPUS_DIR [--rounds 3]

Cleans CORPUS_DIR once (``python -m flows.clean --no-prefect``), then in
interleaved rounds: publishes the output into a fresh local folder
(:func:`cleaners.store.delta.publish`), publishes it again (nothing new: no
commit), and, as the baseline a user would otherwise write, copies the same
four datasets with ``pyarrow.dataset.write_dataset`` (hive partitions by
``run``). A last step publishes to a moto S3 server on loopback (test
extra). Prints seconds, rows per second and the ratio to the baseline.
Timing is printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyarrow.dataset as ds  # noqa: E402

from cleaners.io.schema import DATASETS  # noqa: E402
from cleaners.store.delta import publish  # noqa: E402
from tests.s3server import s3_server  # noqa: E402


def copy_with_pyarrow(out: Path, target: Path) -> None:
    for name in DATASETS:
        data = ds.dataset(out / name, format="parquet", partitioning="hive")
        ds.write_dataset(data, target / name, format="parquet", partitioning=["run"], partitioning_flavor="hive")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        subprocess.run([sys.executable, "-m", "flows.clean", str(args.corpus), "-o", str(out), "--no-prefect"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        rows = sum(ds.dataset(out / n, format="parquet", partitioning="hive").count_rows() for n in DATASETS)
        print(f"output of {args.corpus}: {rows} rows in {len(DATASETS)} datasets")
        times: dict[str, list[float]] = {"publish": [], "publish again": [], "pyarrow copy": []}
        for n in range(args.rounds):
            lake, copy = Path(tmp) / f"lake{n}", Path(tmp) / f"copy{n}"
            times["publish"].append(timed(lambda: publish(out, str(lake))))
            times["publish again"].append(timed(lambda: publish(out, str(lake))))
            times["pyarrow copy"].append(timed(lambda: copy_with_pyarrow(out, copy)))
            print(f"round {n + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
            shutil.rmtree(lake)
            shutil.rmtree(copy)
        base = statistics.median(times["pyarrow copy"])
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:<14} median {median:6.2f} s  {rows / median:10,.0f} rows/s  {median / base:5.2f}x the copy")
        with s3_server() as env:
            os.environ.update({**env, "AWS_ALLOW_HTTP": "true", "AWS_REGION": env["AWS_DEFAULT_REGION"]})
            import fsspec

            fsspec.filesystem("s3").mkdir("lake")
            seconds = timed(lambda: publish(out, "s3://lake/news"))
            print(f"publish to S3 (moto on loopback) {seconds:.2f} s  {rows / seconds:,.0f} rows/s  "
                  f"{seconds / base:.2f}x the local copy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
