"""The compiled kernels, compiled once into numba's on-disk cache before the first real run needs them.

The text and dedup stages run 27 numba kernels. Numba compiles a kernel
the first time a process calls it and keeps the machine code in its cache
(``__pycache__`` beside the module, or ``NUMBA_CACHE_DIR``); every later
process loads it in milliseconds. Compiling them all takes about 30 s of one
core (measured on the seeds: 35.7 s for a run with an empty cache, 2.7 s
with a full one), and on a run with several shard workers each worker paid
it at once. So:

- ``python3 tasks.py`` compiles them right after it installs the project,
  and ``python -m cleaners.kernels`` does it for other installs (a Docker
  image's build step, say);
- a run (:func:`cleaners.pipeline.run`, so every command, flow and
  deployment) that finds any of them missing from the cache (:func:`uncached`)
  says so and compiles them first, in a child process
  (:func:`compile_ahead`), so that its shard workers load them instead of
  each compiling them again.

They are compiled by cleaning a small built-in sample (:func:`sample_pages`)
with the real pipeline, not by calling each kernel with made-up arguments: a
kernel is compiled for the argument types its callers pass (array layouts,
dtypes), and only the callers know them. ``tests/test_kernels.py`` holds that
after the sample no real input compiles anything.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from numba.core.registry import CPUDispatcher

log = logging.getLogger(__name__)
_warming = False  # True while warm_up's own run runs: it must not compile ahead again

#: The modules that define kernels (a test checks no other module of the package does).
MODULES = (
    "cleaners.text.token_scan", "cleaners.text.needles", "cleaners.text.features", "cleaners.text.line_model",
    "cleaners.text.repeats", "cleaners.dedup.minhash", "cleaners.dedup.lsh", "cleaners.dedup.group",
)


def kernels() -> dict[str, CPUDispatcher]:
    """Every kernel, by its module-qualified name (a kernel imported by another module counts once; a
    helper inlined into its callers is no kernel of its own: numba never caches it alone)."""
    found: dict[str, CPUDispatcher] = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == name \
                    and value.targetoptions.get("inline") != "always":
                found[f"{name}.{attr}"] = value
    return found


def uncached() -> list[str]:
    """The kernels of which numba's cache holds no compiled version for this source.

    Reads numba's cache index (an internal of numba, read defensively): a kernel whose index cannot be
    read counts as cached, since the question only decides whether to compile ahead.
    """
    missing = []
    for name, kernel in kernels().items():
        try:
            cached = bool(kernel._cache._cache_file._load_index())  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a numba internal changed: nothing to say
            cached = True
        if not cached:
            missing.append(name)
    return missing


def compiled_here() -> dict[str, int]:
    """Kernels this process compiled instead of loading them from the cache, with how many versions."""
    return {name: n for name, kernel in kernels().items() if (n := sum(kernel.stats.cache_misses.values()))}


def compile_ahead(timeout: float = 900) -> None:
    """Compile the kernels missing from the cache before a run, in a child process, saying so.

    A child, not this process: the sample's run must not reach this run's progress line, log or output,
    and this process loads the kernels from the cache like its workers. When the child fails, the run
    goes on and each process compiles the kernels it calls, as numba would without this step.
    """
    if _warming:  # the sample's own run
        return
    missing = uncached()
    if not missing:
        return
    log.warning("%d of the %d compiled kernels are not in numba's cache (a first run of this install, or their "
                "code changed): compiling them once before the run, about 30 s", len(missing), len(kernels()))
    package_root = str(Path(__file__).resolve().parent.parent)  # the child imports this copy of the package
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "cleaners.kernels"], env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("compiling the kernels ahead failed (%s): each process compiles those it calls", exc)
        return
    if done.returncode:
        log.warning("compiling the kernels ahead failed (exit status %d: %s): each process compiles those it calls",
                    done.returncode, (done.stderr.strip().splitlines() or ["no message"])[-1])
    else:
        log.info("compiled the kernels in %.1f s", time.perf_counter() - started)


def warm_up() -> float:
    """Compile every kernel into the cache by cleaning :func:`sample_pages`; returns the seconds it took."""
    from .config import CleanConfig
    from .pipeline import run

    global _warming
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsclean-kernels-") as folder:
        inputs = Path(folder) / "in"
        inputs.mkdir()
        for n, text in enumerate(sample_pages()):
            (inputs / f"page-{n}.txt").write_text(text, encoding="utf-8")
        _warming = True
        try:
            run([inputs], Path(folder) / "out", CleanConfig(), layout="snapshots")
        finally:
            _warming = False
    return time.perf_counter() - started


def sample_pages() -> list[str]:
    """Flattened pages that reach every kernel: a site's articles with their chrome (so the site's repeated
    lines, the chrome rules and the line model run), a repeated paragraph, a listing, a hard-wrapped
    document, text beyond Latin script, and a syndicated copy with edits (so the dedup's candidates,
    verification and grouping run)."""
    words = _Words()
    chrome = ["Home > World > Europe", "Sign up for our newsletter", "Accept all cookies to continue",
              "Share on Facebook Share on X Email", "Leave a Reply", "0 Comments",
              "Related Articles", "You may also like", "© 2025 Example News. All rights reserved."]
    stories = [[words.paragraph() for _ in range(7)] for _ in range(4)]
    pages = []
    for n, story in enumerate(stories[:3]):
        repeated = [story[2]] if n == 0 else []
        teasers = [f"{words.title()}\n{words.sentence()}" for _ in range(3)]
        pages.append("\n".join([*chrome[:4], words.title(), "By Jane Example", f"June {n + 3}, 2025",
                                *story, *repeated, *chrome[4:8], *teasers, chrome[8]]))
    copy = [p.replace(" the ", " a ", 1) for p in stories[0]]
    pages.append("\n".join([words.title(), "AP", *copy[:6], words.paragraph()]))
    listing = [f"{words.title()}\n{n + 1} hours ago\n- Business\n{words.paragraph()}" for n in range(5)]
    pages.append("\n".join(["Latest news", *listing, chrome[8]]))
    wrapped = "\n\n".join("\n".join(textwrap.wrap(p, 70)) for p in stories[3])
    pages.append(f"{words.title()}\n\n{wrapped}\n")
    pages.append("\n".join([words.title(), "東京の天気は晴れです。明日も晴れるでしょう。" * 4, *stories[3][:3],
                            "Заголовок новости дня и подробности события " * 3,
                            "def main(): return {'key': value} if x else None;"]))
    return pages


class _Words:
    """Deterministic English-like text: the sample must be the same on every install."""

    TEXT = ("the minister said on monday that government would review plans for new troops in europe "
            "after talks with officials from several countries while critics warned the cost could rise "
            "sharply and markets fell as investors weighed reports of delays in the budget vote")

    def __init__(self) -> None:
        self.rng = random.Random(12345)
        self.vocabulary = self.TEXT.split()

    def _next(self, n: int) -> int:
        return self.rng.randrange(n)

    def sentence(self) -> str:
        text = " ".join(self.vocabulary[self._next(len(self.vocabulary))] for _ in range(8 + self._next(14)))
        return text[0].upper() + text[1:] + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(2 + self._next(3)))

    def title(self) -> str:
        return " ".join(w.capitalize() for w in self.sentence().rstrip(".").split()[:7])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cleaners.kernels", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only list the kernels missing from the cache")
    args = parser.parse_args(argv)
    missing = uncached()
    where = os.environ.get("NUMBA_CACHE_DIR") or "__pycache__ beside each module"
    if args.check:
        print("\n".join(missing) if missing else f"all {len(kernels())} kernels are cached ({where})")
        return 1 if missing else 0
    if not missing:
        print(f"all {len(kernels())} kernels are cached ({where})")
        return 0
    print(f"compiling {len(missing)} of {len(kernels())} kernels into numba's cache ({where}); about 30 s, once",
          file=sys.stderr, flush=True)
    seconds = warm_up()
    left = uncached()
    if left:  # on stderr, whose last line a run's warning quotes
        print(f"after {seconds:.1f} s still not cached: {', '.join(left)}", file=sys.stderr)
        return 1
    print(f"compiled in {seconds:.1f} s")
    return 0


if __name__ == "__main__":  # run as the package's module: the pipeline reads its _warming, not __main__'s
    sys.exit(importlib.import_module("cleaners.kernels").main())
