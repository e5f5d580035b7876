#!/usr/bin/env python3
"""Train the shipped line model on the dev extraction pages, and cross-validate the whole text stage.

    python benchmarks/train_line_model.py ../shared/bench/extraction            # train, write the model
    python benchmarks/train_line_model.py ../shared/bench/extraction --cv 5     # report CV F1 only

Needs scikit-learn (``pip install -e '.[train]'``); the product itself only
needs numpy to apply the model. Labels come from the true article bodies: a
line is body when at least half of its word 3-grams occur in the page's true
body (a line of one or two words: when its words occur there in order). One
model is trained per flattening (``text-blocks``: one block per line; ``text``:
one text node per line); at run time a page's fragmentation picks one.

``--cv K`` splits the pages into K folds; for each, a model is trained on the
other folds and the real text stage (:func:`cleaners.text.page.clean_page`)
runs on the held-out pages with it. The F1 printed is the benchmark's, on the
``main`` article, so it estimates what unseen sites get.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.evaluate import precision_recall_f1  # noqa: E402
from cleaners.model import Page  # noqa: E402
from cleaners.text.chrome import mark_chrome  # noqa: E402
from cleaners.text.line_model import MODEL_PATH, LineModel, LineModels, Logistic, stack_features  # noqa: E402
from cleaners.text.lines import split_lines  # noqa: E402
from cleaners.text.page import clean_page, page_features  # noqa: E402

FLATTENINGS = ("text-blocks", "text")
KIND = {"text-blocks": "blocks", "text": "fragments"}
#: Fragmentation above which a page is scored by the ``text`` model: the dev pages' text-blocks
#: median is 0.009 and text median 0.053; 0.03 scored best in cross-validation (0.02-0.05 tried).
FRAGMENT_THRESHOLD = 0.03
_TOKEN = re.compile(r"\w+")
SEED = 0


def label(lines: list[str], truth: str) -> np.ndarray:
    gold = [t.casefold() for t in _TOKEN.findall(truth)]
    trigrams = set(zip(gold, gold[1:], gold[2:]))
    joined = " " + " ".join(gold) + " "
    out = []
    for line in lines:
        toks = [t.casefold() for t in _TOKEN.findall(line)]
        if len(toks) >= 3:
            grams = list(zip(toks, toks[1:], toks[2:]))
            out.append(sum(g in trigrams for g in grams) / len(grams) >= 0.5)
        else:
            out.append(bool(toks) and " " + " ".join(toks) + " " in joined)
    return np.array(out, dtype=int)


def load(bench: Path, config: CleanConfig) -> dict[tuple[str, str], dict]:
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {}
    for flat in FLATTENINGS:
        for pid, item in sorted(truth.items()):
            text = (bench / flat / f"{pid}.txt").read_text(encoding="utf-8")
            lines = split_lines(text)
            mark_chrome(lines)
            nonblank, x = page_features(lines)
            pages[(flat, pid)] = {"id": pid, "flat": flat, "text": text, "x": x, "truth": item["articleBody"],
                                  "y": label([lines[i].text for i in nonblank], item["articleBody"])}
    return pages


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y)
    return Logistic(mean, scale, clf.coef_[0], float(clf.intercept_[0]))


def train(pages: list[dict], c: float, inner_folds: int = 4) -> LineModel:
    """Stage 1 on the features; stage 2 on features plus stage 1's out-of-fold scores in context.

    The inner folds group a page's flattenings together: a stage-1 score made
    by a model that saw the same page in another flattening would be too good,
    and stage 2 would learn to trust stage 1 more than it deserves.
    """
    ids = sorted({p["id"] for p in pages})
    order = np.random.RandomState(SEED + 1).permutation(len(ids))
    oof: dict[int, np.ndarray] = {}
    for fold in np.array_split(order, inner_folds):
        held = {ids[i] for i in fold}
        fit = [p for p in pages if p["id"] not in held]
        model = fit_logistic(np.vstack([p["x"] for p in fit]), np.concatenate([p["y"] for p in fit]), c)
        for i, p in enumerate(pages):
            if p["id"] in held:
                oof[i] = model.proba(p["x"])
    stage1 = fit_logistic(np.vstack([p["x"] for p in pages]), np.concatenate([p["y"] for p in pages]), c)
    x2 = np.vstack([np.hstack([p["x"], stack_features(oof[i])]) for i, p in enumerate(pages)])
    stage2 = fit_logistic(x2, np.concatenate([p["y"] for p in pages]), c)
    return LineModel(stage1, stage2, {})


def train_set(pages: list[dict], c: float, meta: dict | None = None) -> LineModels:
    by_kind = {KIND[flat]: train([p for p in pages if p["flat"] == flat], c) for flat in FLATTENINGS}
    return LineModels(by_kind["blocks"], by_kind["fragments"], FRAGMENT_THRESHOLD, meta or {})


def main_text(page_text: str, source: str, models: LineModels, config: CleanConfig) -> str:
    page = Page(source, None, page_text, hashlib.sha256(page_text.encode()).hexdigest())
    mains = [a.text for a in clean_page(page, config, models).articles if a.segment == "main"]
    return max(mains, key=len, default="")


def cross_validate(pages: dict[tuple[str, str], dict], folds: int, c: float, config: CleanConfig) -> dict:
    """Folds are by page id, so a page never trains the model that is scored on its other flattening."""
    ids = sorted({pid for _, pid in pages})
    order = np.random.RandomState(SEED).permutation(len(ids))
    pairs: dict[str, list[tuple[str, str]]] = {flat: [] for flat in FLATTENINGS}
    for fold in np.array_split(order, folds):
        held = {ids[i] for i in fold}
        models = train_set([p for (_, pid), p in sorted(pages.items()) if pid not in held], c)
        for (flat, pid), p in sorted(pages.items()):
            if pid in held:
                pairs[flat].append((p["truth"], main_text(p["text"], pid, models, config)))
    return {flat: dict(zip(("precision", "recall", "f1"), (round(v, 4) for v in precision_recall_f1(prs))))
            for flat, prs in pairs.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", type=Path, help="the extraction bench folder (text-blocks/, text/, ground-truth.json)")
    parser.add_argument("--cv", type=int, default=0, help="report K-fold cross-validated F1 instead of training")
    parser.add_argument("--c", type=float, default=0.05,
                        help="inverse L2 regularisation strength (0.05 cross-validated best of 0.05, 0.3, 1, 3)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the model")
    args = parser.parse_args()
    config = CleanConfig()
    pages = load(args.bench, config)
    if args.cv:
        print(json.dumps(cross_validate(pages, args.cv, args.c, config), indent=1))
        return 0
    ordered = [p for _, p in sorted(pages.items())]
    meta = {"trained": datetime.date.today().isoformat(), "pages": len({pid for _, pid in pages}),
            "flattenings": list(FLATTENINGS), "lines": int(sum(len(p["y"]) for p in ordered)),
            "body_lines": int(sum(p["y"].sum() for p in ordered)), "c": args.c,
            "script": "benchmarks/train_line_model.py"}
    args.out.write_text(train_set(ordered, args.c, meta).to_json() + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({meta['lines']} lines, {meta['body_lines']} body)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
