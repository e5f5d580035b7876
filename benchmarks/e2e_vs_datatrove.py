#!/usr/bin/env python3
"""The whole pipeline against datatrove's MinHash deduplication, end to end, in interleaved rounds.

    pip install -e '.[bench]'                                   # datatrove, outside the test extras
    python benchmarks/make_dedup_corpus.py /tmp/c100k --docs 100000 \\
        --sources ../shared/bench/dedup ../shared/bench/extraction --meta /tmp/c100k-meta.jsonl
    python benchmarks/e2e_vs_datatrove.py /tmp/c100k --rounds 3 [--ours=--no-prefect] [--json OUT]

**Measured**, each run in a child process of its own (so the figures are the
whole command, imports and process pools included):

- ``flows.clean``: ``python -m flows.clean CORPUS -o OUT`` with the default
  task runner, cleaning on; extra arguments through ``--ours`` (with ``=``,
  since they start with dashes: ``--ours=--no-prefect``,
  ``"--ours=--task-runner dask"``).
- datatrove: its 4-stage MinHash pipeline as its README runs it
  (signatures, buckets, clusters, filter; ``LocalPipelineExecutor`` with
  ``tasks=2 workers=2`` for the per-file stages, one task per bucket, one for
  the clusters), reading the same JSONL and writing the kept documents as
  JSONL; ``MinhashConfig`` defaults (14 buckets of 8 hashes, 5-grams) and a
  ``str.split`` word tokenizer (datatrove's English tokenizer needs nltk and
  its data, a download). datatrove does no chrome removal, no article split
  and no teaser detection: it is the floor a user would compare with.

**Figures** per run: wall seconds, CPU seconds of the process tree (user +
system of the child and everything it waited for), peak RSS of the process
tree (the sum over its processes, sampled every 50 ms with psutil), and the
cores used (CPU / wall). Rounds alternate which tool goes first; the medians
and the per-round ratios (ours / datatrove) are printed. Timing varies
15-30% on a shared 2-core machine: compare ratios from the same rounds.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def datatrove_pipeline(corpus: Path, work: Path, tasks: int = 2, workers: int = 2) -> None:
    """datatrove's MinHash pipeline over the JSONL files of ``corpus`` (runs in the child process)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter

    config = MinhashConfig()
    logs = work / "logs"

    def reader() -> Any:
        return JsonlReader(str(corpus), glob_pattern="*.jsonl", text_key="text", id_key="id")

    signatures = LocalPipelineExecutor(
        pipeline=[reader(), MinhashDedupSignature(output_folder=str(work / "signatures"), config=config,
                                                  language=split_tokenizer())],
        tasks=tasks, workers=workers, logging_dir=str(logs / "signatures"))
    buckets = LocalPipelineExecutor(
        pipeline=[MinhashDedupBuckets(input_folder=str(work / "signatures"), output_folder=str(work / "buckets"),
                                      config=config)],
        tasks=config.num_buckets, workers=workers, logging_dir=str(logs / "buckets"), depends=signatures)
    clusters = LocalPipelineExecutor(
        pipeline=[MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove_ids"),
                                      config=config)],
        tasks=1, logging_dir=str(logs / "clusters"), depends=buckets)
    kept = LocalPipelineExecutor(
        pipeline=[reader(), MinhashDedupFilter(input_folder=str(work / "remove_ids")),
                  JsonlWriter(str(work / "deduplicated"))],
        tasks=tasks, workers=workers, logging_dir=str(logs / "filter"), depends=clusters)
    kept.run()


def split_tokenizer() -> Any:
    """A datatrove ``WordTokenizer`` that splits on white space."""
    from datatrove.utils.word_tokenizers import WordTokenizer

    class SplitTokenizer(WordTokenizer):
        def word_tokenize(self, text: str) -> list[str]:
            return text.split()

        def sent_tokenize(self, text: str) -> list[str]:
            return text.split("\n")

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            raise NotImplementedError

    return SplitTokenizer("en")


class TreeSampler:
    """Peak of the summed RSS of a process and its descendants, and the CPU time each of them used, sampled
    while it runs (a process pool's workers are not always waited for, so ``RUSAGE_CHILDREN`` misses them)."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.every, self.peak = every, 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                tree = [self.process, *self.process.children(recursive=True)]
                total = 0
                for p in tree:
                    try:
                        total += p.memory_info().rss
                        times = p.cpu_times()
                        self.cpu[p.pid] = max(self.cpu.get(p.pid, 0.0), times.user + times.system)
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            self._stop.wait(self.every)

    def stop(self) -> tuple[int, float]:
        self._stop.set()
        self._thread.join()
        return self.peak, sum(self.cpu.values())


def timed(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Wall, CPU (the child's process tree) and peak RSS of one command."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    peak, sampled_cpu = sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = max((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), sampled_cpu)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}: {err[-2000:]}")
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": round(peak / 2**20),
            "cores_used": round(cpu / wall, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="folder of JSONL files (make_dedup_corpus.py output)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ours", default="", help="extra arguments for python -m flows.clean")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--run-datatrove", type=Path, metavar="WORK", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    corpus = args.corpus.resolve()
    if args.run_datatrove:  # the child process of a datatrove run
        datatrove_pipeline(corpus, args.run_datatrove)
        return 0
    files = sorted(corpus.glob("*.jsonl"))
    if not files:
        parser.error(f"{corpus} holds no .jsonl files")
    work = Path(args.work or tempfile.mkdtemp(prefix="e2e-"))
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    runs: dict[str, list[dict[str, Any]]] = {"flows.clean": [], "datatrove": []}
    for n in range(args.rounds):
        order = ["flows.clean", "datatrove"] if n % 2 == 0 else ["datatrove", "flows.clean"]
        for tool in order:
            out = work / f"{tool}-{n}"
            shutil.rmtree(out, ignore_errors=True)
            if tool == "datatrove":
                command = [sys.executable, __file__, str(corpus), "--run-datatrove", str(out)]
            else:
                command = [sys.executable, "-m", "flows.clean", str(corpus), "-o", str(out), "--no-progress",
                           *args.ours.split()]
            runs[tool].append(timed(command, env))
            print(f"round {n + 1} {tool:<12} {json.dumps(runs[tool][-1])}", flush=True)
            shutil.rmtree(out, ignore_errors=True)
    ratios = [{k: round(ours[k] / theirs[k], 2) for k in ("wall_s", "cpu_s", "peak_rss_mb")}
              for ours, theirs in zip(runs["flows.clean"], runs["datatrove"])]
    medians = {tool: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for tool, rs in runs.items()}
    summary = {"corpus": str(corpus), "documents": sum(1 for f in files for _ in f.open(encoding="utf-8")),
               "bytes": sum(f.stat().st_size for f in files), "ours_args": args.ours, "runs": runs,
               "ratios_ours_over_datatrove": ratios, "medians": medians,
               "median_ratio": {k: statistics.median(r[k] for r in ratios) for k in ratios[0]},
               # the figure: how many times as fast as datatrove (above 1: faster)
               "ours_as_fast_as_datatrove_x": round(medians["datatrove"]["wall_s"] / medians["flows.clean"]["wall_s"],
                                                    2)}
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
