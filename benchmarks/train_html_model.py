#!/usr/bin/env python3
"""Train the HTML stage's per-block combiner, and cross-validate it by site against the extractors it combines.

    python benchmarks/train_html_model.py ../shared/bench/extraction ../shared/bench/extraction-snippets \\
        --cache /tmp/html-signals --cv 5            # CV figures, ablation, nothing written
    python benchmarks/train_html_model.py ../shared/bench/extraction ../shared/bench/extraction-snippets \\
        --cache /tmp/html-signals                   # train on all pages, write cleaners/html/combine_model.json

Needs scikit-learn (the ``train`` extra); the product applies the model with numpy. The second
stage blends boosted trees (``TREES``, weight ``--trees-weight``) with a logistic regression;
the exported trees are checked against scikit-learn's own scores before the model is written.

Data. The dev extraction pages (``ground-truth.json``: a block is body when
half its word 3-grams are in the true body, :func:`train_line_model.label`)
and the snippet pages (``snippets.json``: a block holding a ``with`` snippet
is body, one holding a ``without`` snippet is not, every other block is
unlabelled and masked; NFKC and whitespace collapsed as its ``score.py``
does). The snippet set is trafilatura's own development set: its
maintainers tune on it, so trafilatura's opinions are better there than on
unseen pages, and so is a combiner that leans on them.

Folds are by site (URL host; web.archive.org URLs by the archived host; the
snippet set's pseudo-URLs ``hard::``/``recall::`` form one group), over both
sets at once: a held-out fold's sites never train anything scored on it.

Leakage. The shipped line model is trained on the dev pages; its score on a
dev page it was trained on is too good. So in every fold the line model is
retrained without that fold (``train_line_model.load``/``train_set``, the
current version of that script), and the line-model scores of the
combiner's own dev training pages come from inner folds (a model that never
saw them), as they will on unseen pages at run time. The shipped combiner is
trained the same way: dev pages' line scores out-of-fold, snippet pages'
from the line model trained on all dev pages.

Printed: dev F1 (the benchmark's word-4-gram measure) overall and per fold
next to trafilatura default / favor_precision / favor_recall and
readability alone (on the same parsed page; trafilatura's default and
favor_precision also as a user runs them, with their fallback comparison),
and the text stage on ``text-blocks``
on the same folds; snippet F1 (micro counts, its score.py) overall and per
``<html lang>``; with ``--ablation``, the same with each signal group removed.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import gzip
import hashlib
import inspect
import json
import logging
import pickle
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import trafilatura
import train_line_model as tlm

from cleaners.config import CleanConfig
from cleaners.evaluate import precision_recall_f1
from cleaners.html import combine
from cleaners.html.blocks import DOM_COLUMNS
from cleaners.html.extract import _declared_language
from cleaners.html.trees import BoostedTrees
from cleaners.text.line_model import stack_features
from cleaners.text.lines import word_count
from cleaners.text.page import clean_extracted_body

logging.disable(logging.WARNING)
SEED = 0
#: The baselines printed next to the combiner: the opinions it combines, each alone on the whole page.
BASELINES = {"trafilatura default": "default", "trafilatura favor_precision": "precision",
             "trafilatura favor_recall": "recall", "readability (trafilatura's port)": "readability",
             "trafilatura default, with its fallback": "full_default",
             "trafilatura favor_precision, with its fallback": "full_precision"}
LANGS = ("de", "en", "es", "fr", "pl")


# ---------------------------------------------------------------- pages and their signals (cached)

#: The modules whose code makes the cached signals, with :func:`combine.page_signals` (a change to
#: one of them makes a new cache).
SIGNAL_MODULES = ("blocks", "chrome", "extract", "flatten")


def site_of(url: str) -> str:
    """The fold group: host without www; archive.org by the archived host; pseudo-URLs one group."""
    if url.startswith(("hard::", "recall::")):
        return "pseudo-url"
    url = url.strip()
    if url.startswith("x") and "://" in url:
        url = url[1:]
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.endswith("archive.org") and parts.path.startswith("/web/"):
        rest = parts.path.split("/", 3)[3] if parts.path.count("/") >= 3 else ""
        inner = urlsplit(rest if "://" in rest else "http://" + rest)
        host = (inner.hostname or host).lower()
    return host.removeprefix("www.")


def read_html(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", "replace")


def signals_of(html: str, url: str | None) -> dict:
    """Everything model-independent about one page (:func:`combine.page_signals`), as plain data.

    The extractors run on the whole parsed page, as at run time; their
    outputs are also the baselines (trafilatura's settings as in
    :func:`cleaners.html.extract.extract_text`, readability's summary), next
    to trafilatura's default and precision modes as a user runs them (with the
    fallback comparison ``extract_text`` skips: ``full_*``, baselines only).
    """
    tree = trafilatura.load_html(html) if html.strip() else None
    if tree is None:
        return {"texts": [], "dom": np.zeros((0, len(DOM_COLUMNS))), "removed": np.zeros(0, bool), "outputs": {},
                "title": None, "description": None, "lang": None}
    lang = _declared_language(tree)
    full = {f"full_{mode}": trafilatura.bare_extraction(
        tree, url=url, favor_precision=mode == "precision", include_comments=False, deduplicate=False,
        include_tables=True, with_metadata=False) for mode in ("default", "precision")}
    sig = combine.page_signals(tree, url, combine.OPINIONS)
    sig.outputs.update({k: getattr(doc, "text", None) or "" for k, doc in full.items()})
    return {"texts": sig.texts, "dom": sig.dom, "removed": sig.removed, "outputs": sig.outputs,
            "title": sig.found.title, "description": sig.found.description, "lang": lang}


def load_pages(dev: Path, snippets: Path, cache: Path | None) -> list[dict]:
    pages: list[dict] = []
    truth = json.loads((dev / "ground-truth.json").read_text(encoding="utf-8"))
    for pid, item in sorted(truth.items()):
        pages.append({"set": "dev", "id": pid, "url": item.get("url", ""), "truth": item["articleBody"],
                      "path": dev / "html" / f"{pid}.html.gz"})
    snips = json.loads((snippets / "snippets.json").read_text(encoding="utf-8"))
    for pid, item in sorted(snips.items()):
        pages.append({"set": "snippets", "id": pid, "url": item["url"], "with": item["with"],
                      "without": item["without"], "path": snippets / "html" / f"{pid}.html.gz"})
    cache = tlm.cache_for(cache, tlm.source(*(f"cleaners/html/{m}.py" for m in SIGNAL_MODULES))
                          + [inspect.getsource(f) for f in (signals_of, read_html, combine.page_signals,
                                                             combine.readability_text)]
                          + [repr(combine.OPINIONS)])
    for n, page in enumerate(pages):
        page["site"] = site_of(page["url"])
        # the page's own bytes and URL name its file: a page changed in the bench is never read stale
        tag = hashlib.sha256(page["path"].read_bytes() + page["url"].encode()).hexdigest()[:10]
        file = cache / page["set"] / f"{page['id']}.{tag}.pkl" if cache else None
        if file is not None and file.exists():
            sig = pickle.loads(file.read_bytes())
        else:
            sig = signals_of(read_html(page["path"]), page["url"] if "://" in page["url"] else None)
            if file is not None:
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_bytes(pickle.dumps(sig))
        page.update(sig)
        page["line_x"] = combine.line_inputs(page["texts"]) if page["texts"] else None
        page["y"] = label_page(page)
        if n % 100 == 0:
            print(f"  signals: {n}/{len(pages)} pages", file=sys.stderr)
    return pages


def label_page(page: dict) -> np.ndarray:
    """1 body, 0 not, -1 unlabelled (masked): dev from the true body, snippet pages from their snippets."""
    texts = page["texts"]
    if page["set"] == "dev":
        return tlm.label(texts, page["truth"]).astype(int)
    y = np.full(len(texts), -1)
    for value, key in ((0, "without"), (1, "with")):  # body wins where both match
        for first, last in tlm.snippet_spans(texts, page[key]):
            y[first:last + 1] = value
    return y


# ---------------------------------------------------------------- folds

def make_folds(pages: list[dict], k: int) -> list[set[str]]:
    """k sets of sites, balanced greedily: dev pages first (the scarce set), then snippet pages."""
    count: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in pages:
        count[p["site"]][0 if p["set"] == "dev" else 1] += 1
    rng = np.random.RandomState(SEED)
    sites = sorted(count)
    rng.shuffle(sites)
    sites.sort(key=lambda s: (-count[s][0], -count[s][1]))
    folds: list[set[str]] = [set() for _ in range(k)]
    load = [[0, 0] for _ in range(k)]
    for s in sites:
        key = 0 if count[s][0] else 1
        f = min(range(k), key=lambda i: (load[i][key], load[i][1 - key], i))
        folds[f].add(s)
        load[f][0] += count[s][0]
        load[f][1] += count[s][1]
    return folds


# ---------------------------------------------------------------- line model per fold

_LINE_PAGES: dict | None = None


def line_pages(dev: Path) -> dict:
    global _LINE_PAGES
    if _LINE_PAGES is None:
        _LINE_PAGES = tlm.load(dev, CleanConfig())
    return _LINE_PAGES


def train_lines(dev: Path, keep: set[str], c: float = 0.05):
    """The line model trained (current train_line_model.py) on the dev pages with ids in ``keep``."""
    return tlm.train_set([p for (_, pid), p in sorted(line_pages(dev).items()) if pid in keep], c)


_LINE_SCORES: dict[frozenset[str], dict[str, np.ndarray]] = {}


def line_scores(pages: list[dict], dev: Path, train_sites: set[str], inner: int = 4) -> dict[str, np.ndarray]:
    """Line-model signals per page: out-of-fold (by site) for dev pages of ``train_sites``, else a model
    trained on all dev pages of ``train_sites`` (for held-out pages and snippet pages)."""
    memo = frozenset(train_sites)
    if memo not in _LINE_SCORES:
        _LINE_SCORES[memo] = _line_scores(pages, dev, train_sites, inner)
    return _LINE_SCORES[memo]


def _line_scores(pages: list[dict], dev: Path, train_sites: set[str], inner: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    dev_train = [p for p in pages if p["set"] == "dev" and p["site"] in train_sites]
    full = train_lines(dev, {p["id"] for p in dev_train})
    sites = sorted({p["site"] for p in dev_train})
    order = np.random.RandomState(SEED + 2).permutation(len(sites))
    for chunk in np.array_split(order, inner):
        held = {sites[i] for i in chunk}
        model = train_lines(dev, {p["id"] for p in dev_train if p["site"] not in held})
        for p in dev_train:
            if p["site"] in held:
                out[key(p)] = combine.line_signals(p["texts"], model, p["line_x"])
    for p in pages:
        if key(p) not in out:
            out[key(p)] = combine.line_signals(p["texts"], full, p["line_x"])
    return out


def key(p: dict) -> str:
    return p["set"] + ":" + p["id"]


# ---------------------------------------------------------------- the combiner

def features(p: dict, lines: np.ndarray, opinions: tuple[str, ...], drop: frozenset[str]) -> np.ndarray:
    shares = {o: combine.membership(p["texts"], p["outputs"].get(o, "")) for o in opinions}
    shares.update({m: combine.membership(p["texts"], p.get(m) or "") for m in combine.META})
    x = combine.feature_matrix(p["dom"], shares, lines, opinions)
    return mask_columns(x, opinions, drop)


def mask_columns(x: np.ndarray, opinions: tuple[str, ...], drop: frozenset[str]) -> np.ndarray:
    """Ablation: zero a signal group's columns (a constant column carries no signal to the model)."""
    if not drop or not len(x):
        return x
    cols = combine.columns(opinions)
    group = {c: column_group(c) for c in cols}
    x = x.copy()
    for i, c in enumerate(cols):
        if group[c] & drop:
            x[:, i] = 0.0
    return x


def column_group(c: str) -> set[str]:
    groups = set()
    base = c.rsplit("_w", 1)[0] if re.search(r"_w\d+$", c) else c
    if re.search(r"_w\d+$", c):
        groups.add("context")
    if base in DOM_COLUMNS:
        groups.add("dom")
    if base.startswith("line_"):
        groups.add("line model")
    opinion = re.match(r"(?:in|span|page)_(\w+)$", base)
    if opinion and opinion.group(1) in combine.META:
        groups.add("metadata")
    elif opinion and opinion.group(1) in ("readability", "raw_readability"):
        groups.add("readability")
    elif opinion:
        groups.add("trafilatura")
    if base.startswith(("span_", "page_")):
        groups.add("context")
    return groups


fit_logistic = tlm.fit_logistic


def weights(rows: list[tuple[dict, np.ndarray, np.ndarray]], snippet_weight: float) -> np.ndarray:
    return np.concatenate([np.full(int((y >= 0).sum()), 1.0 if p["set"] == "dev" else snippet_weight)
                           for p, _, y in rows])


#: Stage 2's boosted trees (scikit-learn HistGradientBoostingClassifier): shallow, a fixed number of
#: rounds (no early stopping: its random validation split would make the model vary run to run).
TREES = {"max_depth": 4, "max_iter": 200, "learning_rate": 0.1, "l2_regularization": 1.0, "min_samples_leaf": 40,
         "early_stopping": False, "random_state": SEED}
#: The trees' share of stage 2's score (the logistic model has the rest); chosen by CV of 0.3/0.5/0.7.
TREES_WEIGHT = 0.7


def train_combiner(rows: list[tuple[dict, np.ndarray, np.ndarray]], c: float, snippet_weight: float,
                   opinions: tuple[str, ...], trees_weight: float = TREES_WEIGHT, inner: int = 4) -> combine.Combiner:
    """Stage 1 on labelled rows; stage 2 (logistic, and trees) on rows plus stage 1's out-of-fold (by site)
    scores in context. Selection settings are placeholders: the caller sets them."""
    def stack(part):
        return (np.vstack([x[y >= 0] for _, x, y in part]), np.concatenate([y[y >= 0] for _, _, y in part]),
                weights(part, snippet_weight))

    sites = sorted({p["site"] for p, _, _ in rows})
    order = np.random.RandomState(SEED + 3).permutation(len(sites))
    oof: dict[int, np.ndarray] = {}
    for chunk in np.array_split(order, inner):
        held = {sites[i] for i in chunk}
        fit = [r for r in rows if r[0]["site"] not in held]
        xs, ys, ws = stack(fit)
        model = fit_logistic(xs, ys, c, ws)
        for i, (p, x, _) in enumerate(rows):
            if p["site"] in held:
                oof[i] = model.proba(x)
    x1, y1, w1 = stack(rows)
    stage1 = fit_logistic(x1, y1, c, w1)
    rows2 = [(p, np.hstack([x, stack_features(oof[i])]), y) for i, (p, x, y) in enumerate(rows)]
    x2, y2, w2 = stack(rows2)
    trees = None
    if trees_weight > 0:
        from sklearn.ensemble import HistGradientBoostingClassifier

        fitted = HistGradientBoostingClassifier(**TREES).fit(x2, y2, sample_weight=w2)
        trees = BoostedTrees.from_sklearn(fitted)
        check = x2[:: max(1, len(x2) // 2000)]
        if not np.allclose(trees.proba(check), fitted.predict_proba(check)[:, 1], atol=1e-9):
            raise RuntimeError("the exported trees do not score as scikit-learn's model does")
    return combine.Combiner(stage1, fit_logistic(x2, y2, c, w2), combine.columns(opinions), opinions,
                            "threshold", 0.5, 0.5, 1.0, {}, trees, trees_weight if trees is not None else 0.0)


#: Body selections tried (kind, region center, min score, score that keeps a block outside the region, and
#: the score that keeps one next to a kept block there).
SELECTIONS = {"threshold 0.5": ("threshold", 0.5, 0.5, 1.0, 1.1),
              "region 0.5/0.5": ("region", 0.5, 0.5, 1.1, 1.1), "region 0.5/0.5 +0.8": ("region", 0.5, 0.5, 0.8, 1.1),
              "region 0.3/0.5 +0.8": ("region", 0.3, 0.5, 0.8, 1.1), "region 0.3/0.5 +0.7": ("region", 0.3, 0.5, 0.7, 1.1),
              "region 0.2/0.5 +0.8": ("region", 0.2, 0.5, 0.8, 1.1), "region 0.4/0.5 +0.8": ("region", 0.4, 0.5, 0.8, 1.1),
              "region 0.4/0.5 +0.7": ("region", 0.4, 0.5, 0.7, 1.1), "region 0.5/0.5 +0.7": ("region", 0.5, 0.5, 0.7, 1.1),
              "region 0.5/0.5 +0.9": ("region", 0.5, 0.5, 0.9, 1.1),
              "region 0.5/0.5 +0.8 next 0.7": ("region", 0.5, 0.5, 0.8, 0.7),
              "region 0.5/0.5 +0.8 next 0.75": ("region", 0.5, 0.5, 0.8, 0.75)}
DEFAULT_SELECTION = "region 0.5/0.5 +0.8 next 0.75"


def body_text(p: dict, proba: np.ndarray, selection: tuple[str, float, float, float, float],
              config: CleanConfig) -> str:
    """What the HTML stage would output as the page's main article for these block scores."""
    kind, center, min_score, outside, neighbour = selection
    sel = combine.Combiner(None, None, [], (), kind, center, min_score, outside, {},  # type: ignore[arg-type]
                           neighbour=neighbour)
    keep = sel.select(proba, combine.block_words(p["texts"]), p["removed"], config.min_article_words)
    text = "\n".join(t for t, k in zip(p["texts"], keep) if k)
    body, _ = clean_extracted_body(text, p["title"], config)
    return body if word_count(body) >= config.min_article_words else ""


# ---------------------------------------------------------------- scoring

def snippet_counts(p: dict, prediction: str) -> np.ndarray:
    return np.array(tlm.snippet_counts(p, prediction))


def snippet_f1(counts: np.ndarray) -> float:
    tp, fp, fn, _ = counts
    return 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0


def dev_f1(pairs: list[tuple[str, str]]) -> float:
    return precision_recall_f1(pairs)[2]


def lang_group(p: dict) -> str:
    lang = p.get("lang")
    return lang if lang in LANGS else "other/none"


def cross_validate(pages: list[dict], dev: Path, k: int, c: float, snippet_weight: float,
                   opinions: tuple[str, ...], drop: frozenset[str], config: CleanConfig,
                   with_baselines: bool, trees_weight: float = TREES_WEIGHT) -> dict:
    folds = make_folds(pages, k)
    preds: dict[str, dict[str, str]] = {name: {} for name in SELECTIONS}
    fold_of: dict[str, int] = {}
    text_path: dict[str, str] = {}
    for f, held in enumerate(folds):
        train_sites = {p["site"] for p in pages} - held
        lines = line_scores(pages, dev, train_sites)
        rows = [(p, features(p, lines[key(p)], opinions, drop), p["y"]) for p in pages
                if p["site"] in train_sites and len(p["texts"])]
        model = train_combiner(rows, c, snippet_weight, opinions, trees_weight)
        for p in pages:
            if p["site"] not in held:
                continue
            fold_of[key(p)] = f
            proba = model.proba(features(p, lines[key(p)], opinions, drop)) if len(p["texts"]) else np.zeros(0)
            for name, selection in SELECTIONS.items():
                preds[name][key(p)] = body_text(p, proba, selection, config) if len(p["texts"]) else ""
        if with_baselines:  # the text stage on text-blocks, line model trained without the fold
            models = train_lines(dev, {p["id"] for p in pages if p["set"] == "dev" and p["site"] in train_sites})
            for (flat, pid), lp in line_pages(dev).items():
                p = next(q for q in pages if q["set"] == "dev" and q["id"] == pid)
                if flat == "text-blocks" and p["site"] in held:
                    text_path[key(p)] = tlm.main_text(lp["text"], pid, models, config)
        print(f"  fold {f}: {sum(p['site'] in held for p in pages)} pages", file=sys.stderr)
    report: dict[str, Any] = {"folds": [sorted(s) for s in folds], "selections": {}}
    for name, pred in preds.items():
        report["selections"][name] = score_all(pages, pred, fold_of, k)
    if with_baselines:
        base: dict[str, dict[str, str]] = {}
        for name, opinion in BASELINES.items():
            base[name] = {key(p): p["outputs"].get(opinion, "") for p in pages}
        report["baselines"] = {name: score_all(pages, pred, fold_of, k) for name, pred in base.items()}
        report["baselines"]["text stage on text-blocks (dev only)"] = score_all(
            [p for p in pages if p["set"] == "dev"], text_path, fold_of, k)
    return report


def score_all(pages: list[dict], pred: dict[str, str], fold_of: dict[str, int], k: int) -> dict:
    dev_pairs: dict[int, list[tuple[str, str]]] = defaultdict(list)
    per_page: dict[str, float] = {}  # for telling a broad gain from one page's swing
    snip_page: dict[str, list[int]] = {}
    snip_counts: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(4))
    snip_fold: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(4))
    for p in pages:
        kp = key(p)
        if kp not in fold_of:
            continue
        if p["set"] == "dev":
            dev_pairs[fold_of[kp]].append((p["truth"], pred.get(kp, "")))
            per_page[p["id"][:12]] = round(dev_f1(dev_pairs[fold_of[kp]][-1:]), 4)
        else:
            counts = snippet_counts(p, pred.get(kp, ""))
            snip_page[p["id"][:12]] = [int(v) for v in counts]
            snip_counts["all"] += counts
            snip_counts[lang_group(p)] += counts
            snip_fold[fold_of[kp]] += counts
    everything = [pair for f in sorted(dev_pairs) for pair in dev_pairs[f]]
    out: dict = {}
    if everything:
        out["dev_f1"] = round(dev_f1(everything), 4)
        out["dev_f1_per_fold"] = [round(dev_f1(dev_pairs[f]), 4) for f in range(k)]
        out["dev_f1_per_page"] = dict(sorted(per_page.items()))
    if snip_counts:
        out["snippets_f1"] = round(snippet_f1(snip_counts["all"]), 4)
        out["snippets_counts_tp_fp_fn_tn"] = [int(v) for v in snip_counts["all"]]
        out["snippets_f1_per_lang"] = {g: round(snippet_f1(snip_counts[g]), 4) for g in (*LANGS, "other/none")}
        out["snippets_f1_per_fold"] = [round(snippet_f1(snip_fold[f]), 4) for f in range(k)]
        out["snippets_per_page_tp_fp_fn_tn"] = dict(sorted(snip_page.items()))
    return out


# ---------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dev", type=Path, help="the extraction bench folder (html/, text-blocks/, ground-truth.json)")
    parser.add_argument("snippets", type=Path, help="the extraction-snippets bench folder (html/, snippets.json)")
    parser.add_argument("--cache", type=Path,
                        help="folder caching each page's extractor outputs (slow to make; a subfolder per code version)")
    parser.add_argument("--cv", type=int, default=0, help="report K-fold (by site) cross-validated figures")
    parser.add_argument("--ablation", action="store_true", help="with --cv: also each signal group removed")
    parser.add_argument("--c", type=float, default=0.3, help="inverse L2 strength of both stages")
    parser.add_argument("--snippet-weight", type=float, default=1.0, help="weight of a snippet-labelled block")
    parser.add_argument("--trees-weight", type=float, default=TREES_WEIGHT,
                        help="the boosted trees' share of stage 2's score (0: logistic only, no trees)")
    parser.add_argument("--selection", default=DEFAULT_SELECTION, choices=sorted(SELECTIONS),
                        help="body selection written into the model (chosen by CV)")
    parser.add_argument("--out", type=Path, default=combine.MODEL_PATH)
    args = parser.parse_args()
    config = CleanConfig()
    pages = load_pages(args.dev, args.snippets, args.cache)
    opinions = combine.OPINIONS
    if args.cv:
        report = {"command": " ".join(sys.argv), "c": args.c, "snippet_weight": args.snippet_weight,
                  "trees": TREES if args.trees_weight > 0 else None, "trees_weight": args.trees_weight,
                  "full": cross_validate(pages, args.dev, args.cv, args.c, args.snippet_weight, opinions,
                                         frozenset(), config, True, args.trees_weight)}
        if args.ablation:
            for group in ("dom", "trafilatura", "readability", "line model", "context", "metadata"):
                r = cross_validate(pages, args.dev, args.cv, args.c, args.snippet_weight, opinions,
                                   frozenset([group]), config, False, args.trees_weight)
                report[f"without {group}"] = {name: r["selections"][name]
                                              for name in (args.selection, "threshold 0.5", "region 0.5/0.5")}
        print(json.dumps(report, indent=1))
        return 0
    lines = line_scores(pages, args.dev, {p["site"] for p in pages})
    rows = [(p, features(p, lines[key(p)], opinions, frozenset()), p["y"]) for p in pages if len(p["texts"])]
    trained = train_combiner(rows, args.c, args.snippet_weight, opinions, args.trees_weight)
    kind, center, min_score, outside, neighbour = SELECTIONS[args.selection]
    meta = {"trained": datetime.date.today().isoformat(), "script": "benchmarks/train_html_model.py",
            "pages": {"dev": sum(p["set"] == "dev" for p in pages),
                      "snippets": sum(p["set"] == "snippets" for p in pages)},
            "labelled_blocks": int(sum((p["y"] >= 0).sum() for p in pages)), "c": args.c,
            "snippet_weight": args.snippet_weight, "trees": TREES if args.trees_weight > 0 else None,
            "trees_weight": args.trees_weight,
            "data_sha256": hashlib.sha256(b"".join(p["path"].read_bytes() for p in pages)).hexdigest()[:16]}
    model = dataclasses.replace(trained, selection=kind, center=center, min_score=min_score, outside=outside,
                                neighbour=neighbour, meta=meta)
    text = model.to_json()
    check = np.vstack([r[1] for r in rows[:50]])
    if not np.allclose(combine.Combiner.from_json(text).proba(check), model.proba(check), atol=1e-12):
        raise RuntimeError("the model read back from its JSON scores differently; nothing written")
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({meta['labelled_blocks']} labelled blocks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
