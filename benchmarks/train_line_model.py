#!/usr/bin/env python3
"""Train the shipped line model on the dev extraction pages, and cross-validate the whole text stage.

    python benchmarks/train_line_model.py ../shared/bench/extraction            # train, write the model
    python benchmarks/train_line_model.py ../shared/bench/extraction --cv 5     # report CV F1 only
    python benchmarks/train_line_model.py ../shared/bench/extraction \
        --snippets ../shared/bench/extraction-snippets --cache /tmp/snippet-flat   # the shipped model

Needs scikit-learn, BeautifulSoup and trafilatura (``pip install -e '.[train]'``);
the product itself only needs numpy to apply the model. Labels come from the
true article bodies: a line is body when at least half of its word 3-grams
occur in the page's true body (a line of one or two words: when its words occur
there in order). One model is trained per flattening (``text-blocks``: one
block per line; ``text``: one text node per line); at run time a page's
fragmentation picks one.

``--snippets DIR`` adds the snippet benchmark's pages (partial labels: a line
holding a must-have snippet is body, one holding a must-not-have or a comments
snippet is not, every other line is masked), flattened both ways as the dev
pages are (:func:`flatten_blocks`, :func:`flatten_text`) and weighted by
``--snippet-weight`` per labelled line.

``--cv K`` splits the pages into K folds BY SITE (URL host, the archived host
for web.archive.org): for each, a model is trained on the other folds' sites
and the real text stage (:func:`cleaners.text.page.clean_page`) runs on the
held-out pages with it. The F1 printed is the dev benchmark's, on the ``main``
article, so it estimates what unseen sites get; with ``--snippets`` the
snippet pages are folded by site too and the snippet scorer's figures on the
held-out snippet pages are printed as well. Another tool that needs line-model
scores without leakage trains per fold with :func:`site_folds` and
:func:`train_fold`.
"""
from __future__ import annotations

import argparse
import bisect
import datetime
import gzip
import hashlib
import inspect
import json
import re
import sys
import unicodedata
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.evaluate import precision_recall_f1, text_f1  # noqa: E402
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
#: Weight of one labelled snippet-page line against one dev-page line.
SNIPPET_WEIGHT = 1.0
_TOKEN = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
SEED = 0


def site_of(url: str) -> str:
    """The site a page belongs to, for folds: URL host without ``www.``; the archived host for
    web.archive.org; a pseudo-URL (``hard::file.html``) is its own site."""
    url = url.strip()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "web.archive.org":
        match = re.search(r"/web/[^/]*/(.+)$", url)
        if match:
            inner = match.group(1)
            return site_of(inner if "://" in inner else "http://" + inner)
    if not host or not parts.scheme.startswith("http"):
        return "file:" + url
    return host.removeprefix("www.")


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


def _page(pid: str, flat: str, text: str, site: str) -> tuple[dict, list[str]]:
    lines = split_lines(text)
    mark_chrome(lines)
    nonblank, x = page_features(lines)
    return {"id": pid, "flat": flat, "text": text, "x": x, "site": site}, [lines[i].text for i in nonblank]


def load(bench: Path, config: CleanConfig) -> dict[tuple[str, str], dict]:
    """The dev pages, both flattenings: features ``x``, labels ``y``, ``truth``, ``site``."""
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {}
    for flat in FLATTENINGS:
        for pid, item in sorted(truth.items()):
            text = (bench / flat / f"{pid}.txt").read_text(encoding="utf-8")
            page, texts = _page(pid, flat, text, site_of(item.get("url", "")))
            page.update(truth=item["articleBody"], y=label(texts, item["articleBody"]))
            pages[(flat, pid)] = page
    return pages


def cache_for(cache: Path | None, code: list[str]) -> Path | None:
    """``cache``'s subfolder for data made by this ``code`` (source texts) and these parser versions.

    A cache made by other code is never read: a stale one once fed an HTML
    CV run a DOM-feature table one column wider than the code's, shifting
    every later feature, and nothing failed.
    """
    if cache is None:
        return None
    import bs4
    import trafilatura
    from lxml import etree

    # the parsers decide the tree as much as our code does (libxml2 2.14 changed its HTML parsing)
    versions = (trafilatura.__version__, bs4.__version__, etree.LXML_VERSION, etree.LIBXML_VERSION)
    digest = hashlib.sha256(repr(versions).encode())
    for text in code:
        digest.update(text.encode() + b"\0")
    return cache / digest.hexdigest()[:12]


def source(*paths: str) -> list[str]:
    """The texts of these repo files, for :func:`cache_for`."""
    return [(ROOT / p).read_text(encoding="utf-8") for p in paths]


def flatten_blocks(html: bytes) -> str:
    """One block per line, as the dev set's ``text-blocks/``: :func:`block_lines` of trafilatura's parse."""
    from trafilatura import load_html

    from cleaners.html.flatten import block_lines

    tree = load_html(html)
    return "\n".join(block_lines(tree)) if tree is not None else ""


def flatten_text(html: bytes) -> str:
    """One text node per line, as the dev set's ``text/`` (its README's recipe, on BeautifulSoup)."""
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "svg", "head"]):
        tag.decompose()
    return "\n".join(s for s in (line.strip() for line in soup.get_text("\n").splitlines()) if s)


def norm(text: str) -> str:
    """The snippet scorer's normalisation: NFKC, whitespace runs to one space, stripped."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def snippet_spans(texts: list[str], snippets: list[str]) -> Iterator[tuple[int, int]]:
    """(first, last) line of every occurrence of every snippet in the page's lines, joined by spaces.

    A snippet may span lines (a link splits it in ``text``): each occurrence
    names every line it overlaps. Texts and snippets are compared in
    :func:`norm` form.
    """
    normed = [norm(t) for t in texts]
    starts, pos = [], 0
    for t in normed:
        starts.append(pos)
        pos += len(t) + 1
    joined = " ".join(normed)
    for snippet in snippets:
        s = norm(snippet)
        if not s:
            continue
        at = joined.find(s)
        while at >= 0:
            yield bisect.bisect_right(starts, at) - 1, bisect.bisect_right(starts, at + len(s) - 1) - 1
            at = joined.find(s, at + 1)


def snippet_labels(texts: list[str], item: dict) -> tuple[np.ndarray, np.ndarray]:
    """(labels, labelled) of a page's lines from its snippets (:func:`snippet_spans`).

    ``with`` votes body; ``without`` and ``comments`` (readers' comments are
    not the article) vote not body; a line with both votes or none is left
    unlabelled.
    """
    votes = np.zeros((len(texts), 2), dtype=bool)
    for col, key in ((1, "with"), (0, "without"), (0, "comments")):
        for first, last in snippet_spans(texts, item.get(key, [])):
            votes[first:last + 1, col] = True
    labelled = votes[:, 0] != votes[:, 1]
    return votes[:, 1].astype(int), labelled


def load_snippets(bench: Path, config: CleanConfig, cache: Path | None = None,
                  weight: float = SNIPPET_WEIGHT) -> dict[tuple[str, str], dict]:
    """The snippet benchmark's pages, both flattenings, keyed ``(flat, "s:" + id)``.

    Each has ``x``, ``y`` and ``w`` (``weight`` on labelled lines, 0 on the
    rest), ``site`` (:func:`site_of` its URL) and ``snippets`` (its item, for
    scoring). ``cache``: a folder for the flattened texts (flattening 990
    pages twice takes minutes).
    """
    items = json.loads((bench / "snippets.json").read_text(encoding="utf-8"))
    cache = cache_for(cache, source("cleaners/html/flatten.py")
                      + [inspect.getsource(f) for f in (flatten_blocks, flatten_text)])
    pages = {}
    for pid, item in sorted(items.items()):
        cached = cache / f"{pid}.json" if cache else None
        if cached and cached.exists():
            texts = json.loads(cached.read_text(encoding="utf-8"))
        else:
            raw = gzip.decompress((bench / "html" / f"{pid}.html.gz").read_bytes())
            texts = {"text-blocks": flatten_blocks(raw), "text": flatten_text(raw)}
            if cached:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_text(json.dumps(texts), encoding="utf-8")
        for flat in FLATTENINGS:
            page, lines = _page("s:" + pid, flat, texts[flat], site_of(item.get("url", pid)))
            y, labelled = snippet_labels(lines, item)
            page.update(y=y, w=labelled * float(weight), snippets=item)
            pages[(flat, "s:" + pid)] = page
    return pages


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float, w: np.ndarray | None = None) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y, sample_weight=w)
    return Logistic(mean, scale, clf.coef_[0], float(clf.intercept_[0]))


def _fit(xs: list[np.ndarray], pages: list[dict], c: float) -> Logistic:
    """Fit on the labelled lines only (a page without ``w`` is fully labelled with weight 1)."""
    x, y = np.vstack(xs), np.concatenate([p["y"] for p in pages])
    w = np.concatenate([p.get("w", np.ones(len(p["y"]))) for p in pages])
    keep = w > 0
    return fit_logistic(x[keep], y[keep], c, w[keep])


def train(pages: list[dict], c: float, inner_folds: int = 4) -> LineModel:
    """Stage 1 on the features; stage 2 on features plus stage 1's out-of-fold scores in context.

    The inner folds group a page's flattenings together: a stage-1 score made
    by a model that saw the same page in another flattening would be too good,
    and stage 2 would learn to trust stage 1 more than it deserves. Stage-1
    scores are made on every line of a page (stage 2 needs the whole page as
    context), labels are used only where a page has them.
    """
    ids = sorted({p["id"] for p in pages})
    order = np.random.RandomState(SEED + 1).permutation(len(ids))
    oof: dict[int, np.ndarray] = {}
    for fold in np.array_split(order, inner_folds):
        held = {ids[i] for i in fold}
        fit = [p for p in pages if p["id"] not in held]
        model = _fit([p["x"] for p in fit], fit, c)
        for i, p in enumerate(pages):
            if p["id"] in held:
                oof[i] = model.proba(p["x"])
    stage1 = _fit([p["x"] for p in pages], pages, c)
    stage2 = _fit([np.hstack([p["x"], stack_features(oof[i])]) for i, p in enumerate(pages)], pages, c)
    return LineModel(stage1, stage2, {})


def train_set(pages: list[dict], c: float, meta: dict | None = None,
              threshold: float = FRAGMENT_THRESHOLD) -> LineModels:
    """Both models, each on the pages of its flattening (dev pages, and snippet pages if given)."""
    by_kind = {KIND[flat]: train([p for p in pages if p["flat"] == flat], c) for flat in FLATTENINGS}
    return LineModels(by_kind["blocks"], by_kind["fragments"], threshold, meta or {})


def site_folds(pages: dict[tuple[str, str], dict], folds: int, by: str = "site", seed: int = SEED) -> list[set[str]]:
    """The held-out groups (sites, or page ids with ``by="page"``) of each of ``folds`` folds.

    Dev sites are dealt out first, then the sites only snippet pages have, so
    every fold holds about 1/folds of each set; a site is in one fold only.
    """
    key = "site" if by == "site" else "id"
    dev = sorted({p[key] for p in pages.values() if "w" not in p})
    extra = sorted({p[key] for p in pages.values() if "w" in p} - set(dev))
    out: list[set[str]] = [set() for _ in range(folds)]
    for offset, groups in enumerate((dev, extra)):
        order = np.random.RandomState(seed + 1000 * offset).permutation(len(groups))
        for i, fold in enumerate(np.array_split(order, folds)):
            out[i] |= {groups[j] for j in fold}
    return out


def train_fold(pages: dict[tuple[str, str], dict], held: set[str], c: float, by: str = "site",
               threshold: float = FRAGMENT_THRESHOLD) -> LineModels:
    """Models trained on every page whose group (site, or id) is not in ``held``: scores for the held
    pages are then free of leakage. ``pages``: :func:`load`'s, optionally with :func:`load_snippets`'s."""
    key = "site" if by == "site" else "id"
    return train_set([p for _, p in sorted(pages.items()) if p[key] not in held], c, threshold=threshold)


def main_text(page_text: str, source: str, models: LineModels, config: CleanConfig) -> str:
    page = Page(source, None, page_text, hashlib.sha256(page_text.encode()).hexdigest())
    mains = [a.text for a in clean_page(page, config, models).articles if a.segment == "main"]
    return max(mains, key=len, default="")


def snippet_counts(item: dict, prediction: str) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of one page, as the snippet benchmark's score.py counts them."""
    pred = norm(prediction)
    found_with = sum(norm(s) in pred for s in item.get("with", []))
    found_without = sum(norm(s) in pred for s in item.get("without", []))
    return (found_with, found_without, len(item.get("with", [])) - found_with,
            len(item.get("without", [])) - found_without)


def cross_validate(pages: dict[tuple[str, str], dict], folds: int, c: float, config: CleanConfig,
                   by: str = "site", threshold: float = FRAGMENT_THRESHOLD, worst: int = 3,
                   repeats: int = 1) -> dict:
    """F1 of the text stage on held-out groups (dev pages; snippet pages' counts when loaded).

    ``repeats`` > 1 repeats the whole CV with other fold draws and pools the
    held-out predictions (F1 over all of them): with 83 pages one draw moves
    the figure by about 0.01.
    """
    key = "site" if by == "site" else "id"
    pairs: dict[str, list[tuple[str, str, str]]] = {flat: [] for flat in FLATTENINGS}
    counts = {flat: np.zeros(4, dtype=int) for flat in FLATTENINGS}
    draws = [held for r in range(repeats) for held in site_folds(pages, folds, by, SEED + r)]
    for held in draws:
        models = train_fold(pages, held, c, by, threshold)
        for (flat, pid), p in sorted(pages.items()):
            if p[key] not in held:
                continue
            text = main_text(p["text"], pid, models, config)
            if "w" in p:
                counts[flat] += snippet_counts(p["snippets"], text)
            else:
                pairs[flat].append((pid, p["truth"], text))
    out: dict = {}
    for flat in FLATTENINGS:
        prf = precision_recall_f1([(t, m) for _, t, m in pairs[flat]])
        out[flat] = dict(zip(("precision", "recall", "f1"), (round(v, 4) for v in prf)))
        per_page: dict[str, list[float]] = {}
        for pid, t, m in pairs[flat]:
            per_page.setdefault(pid[:12], []).append(text_f1(t, m))
        out[flat]["worst"] = sorted((round(float(np.mean(v)), 3), pid) for pid, v in per_page.items())[:worst]
        if counts[flat].any():
            tp, fp, fn, tn = (int(v) for v in counts[flat])
            out[flat]["snippets"] = {"precision": round(tp / max(tp + fp, 1), 4),
                                     "recall": round(tp / max(tp + fn, 1), 4),
                                     "f1": round(2 * tp / max(2 * tp + fp + fn, 1), 4), "tp_fp_fn_tn": [tp, fp, fn, tn]}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", type=Path, help="the extraction bench folder (text-blocks/, text/, ground-truth.json)")
    parser.add_argument("--cv", type=int, default=0, help="report K-fold cross-validated F1 instead of training")
    parser.add_argument("--by", choices=("site", "page"), default="site", help="what a CV fold holds out")
    parser.add_argument("--c", type=float, default=0.05,
                        help="inverse L2 regularisation strength (0.05 cross-validated best of 0.05, 0.3, 1, 3)")
    parser.add_argument("--snippets", type=Path, help="the snippet bench folder, to train (and cross-validate) on too")
    parser.add_argument("--snippet-weight", type=float, default=SNIPPET_WEIGHT)
    parser.add_argument("--cache", type=Path, help="folder for the snippet pages' flattened texts")
    parser.add_argument("--repeats", type=int, default=1, help="CV repeats with other fold draws, pooled")
    parser.add_argument("--threshold", type=float, default=FRAGMENT_THRESHOLD, help="fragmentation threshold")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the model")
    args = parser.parse_args()
    config = CleanConfig()
    pages = load(args.bench, config)
    if args.snippets:
        pages.update(load_snippets(args.snippets, config, args.cache, args.snippet_weight))
    if args.cv:
        print(json.dumps(cross_validate(pages, args.cv, args.c, config, args.by, args.threshold,
                                        repeats=args.repeats), indent=1))
        return 0
    ordered = [p for _, p in sorted(pages.items())]
    dev = [p for p in ordered if "w" not in p]
    meta = {"trained": datetime.date.today().isoformat(), "pages": len({p["id"] for p in dev}),
            "flattenings": list(FLATTENINGS), "lines": int(sum(len(p["y"]) for p in dev)),
            "body_lines": int(sum(p["y"].sum() for p in dev)), "c": args.c,
            "script": "benchmarks/train_line_model.py"}
    if args.snippets:
        extra = [p for p in ordered if "w" in p]
        meta["snippet_pages"] = len({p["id"] for p in extra})
        meta["snippet_labelled_lines"] = int(sum((p["w"] > 0).sum() for p in extra))
        meta["snippet_weight"] = args.snippet_weight
    args.out.write_text(train_set(ordered, args.c, meta, args.threshold).to_json() + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({meta['lines']} lines, {meta['body_lines']} body)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
