#!/usr/bin/env python3
"""Write a large synthetic corpus of short news documents as JSONL, ~30% of them near-duplicates.

    python benchmarks/make_news_corpus.py OUT_DIR --docs 1000000 [--files 20] [--labels LABELS.jsonl]
    python -m flows.clean OUT_DIR --output /tmp/big --no-prefect
    python ../shared/tools/bench_score.py dedup /tmp/big LABELS.jsonl        # optional

For the scale run of the pipeline (wall time and peak memory on a million
documents), not for quality figures: the text is drawn from a Zipf-shaped
made-up lexicon, so it exercises the cleaner's and the dedup's work per word,
not their judgement. Each record has ``id``, ``url``, ``title``, ``text`` and
``cluster`` (the original's id; the cleaner ignores it, ``bench_score.py dedup``
reads it). About a third of the originals carry site chrome lines (share
bars, newsletter and ad labels, related links, copyright).

Near-duplicates copy an earlier original as one of: ``syndicated`` (same body,
another site's chrome and a dateline), ``edited`` (3-10% of words replaced,
dropped or inserted, sometimes a paragraph more or less), ``teaser`` (the
first 35-60% of the story, cut at a sentence, with a "read more" link),
``reformatted`` (paragraphs re-wrapped, typographic quotes, an upper-case
lead). Every document is a pure function of its index and ``--seed``, so
originals are regenerated rather than kept in memory: the generator runs in
flat memory at any size.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

SYLLABLES = ("ka ra to mi ne lo sa vu de ti po ga an el or is um ber str tan vel mon dar fin gol har "
             "jun kel lim nor pet quo ris sol tur ven wal yor zen").split()
CHROME = ("Share this article", "Advertisement", "Sign up for our daily newsletter", "Read more:",
          "Follow us on Twitter", "© 2026 {site}. All rights reserved.", "Related: {title}",
          "You may also like", "Click here to subscribe", "0 Comments")
KINDS = ("syndicated", "edited", "teaser", "reformatted")
KIND_SHARE = (0.35, 0.30, 0.20, 0.15)
SITES = 200
#: The head of the lexicon: real English function words, so that the text reads like prose to a cleaner
#: that weighs stop words; made-up content words follow.
FUNCTION_WORDS = ("the of and to a in that is was he for it with as his on be at by had not are but from or "
                  "have an they which one you were her all she there would their we him been has when who will "
                  "more no if out so said what up its about into than them can only other new some could time "
                  "these two may then do first any my now such like our over man me even most made after also "
                  "did many before must through back years where much your way well down should because each "
                  "just those people how too little state good very make world still own see men work long get "
                  "here between both life being under never day same another know while last might us great "
                  "old year off come since against go came right used take three").split()


def lexicon(size: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Function words then made-up words, and their Zipf (s = 1.1) cumulative weights."""
    rng = np.random.default_rng(seed)
    words: list[str] = list(FUNCTION_WORDS)
    seen: set[str] = set(words)
    while len(words) < size:
        word = "".join(SYLLABLES[i] for i in rng.integers(0, len(SYLLABLES), rng.integers(1, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    weights = 1.0 / np.arange(1, size + 1) ** 1.1
    return words, np.cumsum(weights) / weights.sum()


class Corpus:
    def __init__(self, seed: int, dup_share: float) -> None:
        self.seed = seed
        self.dup_share = dup_share
        self.words, self.cdf = lexicon(30_000, seed)

    def _rng(self, i: int, salt: int = 0) -> np.random.Generator:
        return np.random.default_rng([self.seed, i, salt])

    def is_copy(self, i: int) -> bool:
        return i > 10 and self._rng(i, 1).random() < self.dup_share

    def original_of(self, i: int) -> int:
        """The original a copy copies: an earlier document that is itself an original."""
        rng = self._rng(i, 2)
        while True:
            j = int(rng.integers(0, i))
            if not self.is_copy(j):
                return j

    def story(self, i: int) -> tuple[str, list[list[str]]]:
        """Title and paragraphs (lists of sentences) of original ``i``."""
        rng = self._rng(i)
        idx = np.searchsorted(self.cdf, rng.random(400))
        pool = [self.words[k] for k in idx]
        pos = 0
        paragraphs = []
        for _ in range(int(rng.integers(3, 7))):
            sentences = []
            for _ in range(int(rng.integers(1, 4))):
                n = int(rng.integers(8, 20))
                words = pool[pos % 400:pos % 400 + n] or pool[:n]
                pos += n
                sentences.append(" ".join(words).capitalize() + ".")
            paragraphs.append(sentences)
        title = " ".join(self.words[k] for k in 150 + idx[390:397] % (len(self.words) - 150)).title()
        return title, paragraphs

    def chrome(self, rng: np.random.Generator, site: str, title: str) -> tuple[list[str], list[str]]:
        if rng.random() < 0.66:
            return [], []
        lines = [CHROME[k].format(site=site, title=title) for k in rng.choice(len(CHROME), 3, replace=False)]
        return lines[:1], lines[1:]

    def document(self, i: int) -> dict[str, str]:
        rng = self._rng(i, 3)
        site = f"site{int(rng.integers(0, SITES))}"
        if not self.is_copy(i):
            cluster = i
            title, paragraphs = self.story(i)
            body = [" ".join(p) for p in paragraphs]
        else:
            cluster = self.original_of(i)
            title, paragraphs = self.story(cluster)
            kind = KINDS[int(np.searchsorted(np.cumsum(KIND_SHARE), rng.random()))]
            body = self.copy(kind, paragraphs, rng)
        head, tail = self.chrome(rng, site, title)
        return {"id": f"g{i:07d}", "url": f"https://{site}.example/news/{i}", "title": title,
                "text": "\n".join(head + [title] + body + tail), "cluster": f"g{cluster:07d}"}

    def copy(self, kind: str, paragraphs: list[list[str]], rng: np.random.Generator) -> list[str]:
        if kind == "syndicated":
            body = [" ".join(p) for p in paragraphs]
            body[0] = f"{['LONDON', 'PARIS', 'TOKYO', 'LAGOS'][int(rng.integers(0, 4))]} (Wire) — {body[0]}"
            return body
        if kind == "teaser":
            sentences = [s for p in paragraphs for s in p]
            total = sum(len(s.split()) for s in sentences)
            keep, count = [], 0
            for s in sentences:
                keep.append(s)
                count += len(s.split())
                if count >= total * rng.uniform(0.35, 0.6):
                    break
            return [" ".join(keep), "Read more"]
        if kind == "reformatted":
            flat = [s for p in paragraphs for s in p]
            body = [" ".join(flat[k:k + 2]) for k in range(0, len(flat), 2)]
            body[0] = body[0].upper()
            return [f"“{b[:-1]}”." if n % 2 else b for n, b in enumerate(body)]
        words = " ".join(" ".join(p) for p in paragraphs).split()
        rate = rng.uniform(0.03, 0.10)
        out: list[str] = []
        for w in words:
            r = rng.random()
            if r < rate / 3:
                continue
            if r < 2 * rate / 3:
                out.append(self.words[int(np.searchsorted(self.cdf, rng.random()))])
                continue
            out.append(w)
            if r < rate:
                out.append(self.words[int(np.searchsorted(self.cdf, rng.random()))])
        cut = max(1, len(out) // 3)
        return [" ".join(out[:cut]), " ".join(out[cut:2 * cut]), " ".join(out[2 * cut:])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="output folder (created)")
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=20, help="JSONL files the documents are spread over")
    parser.add_argument("--dup-share", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--labels", type=Path,
                        help="also write this JSONL of id and cluster (keep it outside OUT) for bench_score.py dedup")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(args.seed, args.dup_share)
    start = time.perf_counter()
    per_file = -(-args.docs // args.files)
    copies = 0
    labels = None
    if args.labels:
        labels = args.labels.open("w", encoding="utf-8")
    for f in range(args.files):
        path = args.out / f"news-{f:03d}.jsonl"
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for i in range(f * per_file, min(args.docs, (f + 1) * per_file)):
                doc = corpus.document(i)
                copies += doc["cluster"] != doc["id"]
                fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
                if labels:
                    labels.write(json.dumps({"id": doc["id"], "cluster": doc["cluster"]}) + "\n")
        tmp.replace(path)
        print(f"{path}  ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if labels:
        labels.close()
    print(f"{args.docs} documents, {copies} near-duplicates ({copies / args.docs:.1%}), {args.files} files "
          f"in {args.out}, {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
