"""The learned per-block combiner: which blocks of an HTML page are its article body.

Every extractor we have is right on some pages and wrong on others:
trafilatura in recall mode keeps link lists and layout-table chrome, in
precision mode drops short paragraphs, readability takes one container
(and misses a body split across two), the text stage's line model reads
prose well but takes long reader comments. Instead of a fixed rule between
them, every block (line of the block flattening, :mod:`.blocks`) gets one row
of evidence:

* DOM: tag, link density, list/table/heading context, ``<article>``/``<main>``
  and the readability-style container, the chrome intent of the nearest named
  ancestor (whether or not chrome removal took it), class/id words, position;
* for each opinion (trafilatura modes, readability), the share of the
  block's word 3-grams found in that extractor's body (short blocks: its words
  in order);
* the text stage's line model, run on the page's block lines: its stage-2
  probability and a few of its own features;
* the page's title and summary (``<meta name=description>``) from the
  metadata, as shares too: headlines and standfirsts sit next to the body,
  look like it, and are not body;
* context: where each extractor's body starts and ends, and its share of the
  page's words; the neighbouring blocks' scores come in stage 2.

Two stacked stages score the rows (numpy only at run time): a logistic
regression (the text stage's :class:`~cleaners.text.line_model.Logistic`),
then, on the rows plus its scores in context
(:func:`~cleaners.text.line_model.stack_features`), a blend of boosted trees
(:mod:`.trees`, 0.7) and a second logistic regression (0.3). Trees alone
did not beat the logistic stage (an earlier CV: dev F1 0.969 against 0.971
with a region); the blend does (cross-validated dev 0.968 to 0.971, snippets
level), because trees can weigh one signal by another (prose only
readability takes, where the line model agrees) while the logistic part
keeps the vote steady where trees would fit a few sites (README, "HTML pages").
The body is then one dense region of high scores
(:func:`cleaners.text.body.locate_body`) plus any block scored ``outside`` or
more elsewhere (``neighbour`` or more next to a kept block), or a plain threshold, as the model file says (chosen by
cross-validation). Weights live in ``combine_model.json`` beside this file,
written by ``benchmarks/train_html_model.py``.
"""
from __future__ import annotations

import copy
import itertools
import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from lxml import etree

from ..text.body import locate_body
from ..text.chrome import mark_chrome
from ..text.features import COLUMNS as LINE_COLUMNS
from ..text.line_model import LineModels, Logistic, stack_features, stacked_proba
from ..text.lines import split_lines
from ..text.page import page_features
from .blocks import DOM_COLUMNS, Block, dom_features, mark_removed, page_blocks
from .chrome import RemovedElement, remove_chrome
from .extract import Extraction, extract, extract_text
from .flatten import block_lines
from .trees import BoostedTrees

MODEL_PATH = Path(__file__).with_name("combine_model.json")
#: The extractors whose bodies are evidence: trafilatura's modes (:data:`.extract.MODES`) and readability.
OPINIONS = ("default", "precision", "recall", "readability")
#: The page's metadata whose text is evidence (:class:`.extract.Extraction` fields): shares as for an opinion.
META = ("title", "description")
#: The line model's own columns kept as block evidence, next to its probability.
LINE_KEEP = ["log_words", "ends_sentence", "stopword_share", "chrome_rule", "in_dense_region"]
# No per-signal window means over neighbouring blocks: with stage 2's trees they cost dev F1
# (cross-validated with the columns zeroed: 0.9752 against 0.9725); the stage-1 score's own windows
# (:func:`~cleaners.text.line_model.stack_features`) carry the context.

_TOKEN = re.compile(r"\w+")

logging.getLogger("trafilatura.readability_lxml").setLevel(logging.ERROR)


def columns(opinions: tuple[str, ...] = OPINIONS) -> list[str]:
    """The model's feature columns in order (the model file records them)."""
    own = DOM_COLUMNS + [f"in_{o}" for o in opinions] + ["line_p"] + [f"line_{c}" for c in LINE_KEEP]
    return own + [f"{kind}_{o}" for o in opinions for kind in ("span", "page")] + [f"in_{m}" for m in META]


@dataclass(slots=True)
class PageSignals:
    """What the extractors said about one page, before any model is applied."""

    blocks: list[Block]
    dom: np.ndarray
    removed: np.ndarray  # bool per block: inside an element chrome removal took out
    chrome: list[RemovedElement]
    found: Extraction  # trafilatura (recall mode) with the page's metadata
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        return [b.text for b in self.blocks]


def page_signals(tree: etree._Element, url: str | None, opinions: tuple[str, ...] = OPINIONS) -> PageSignals:
    """Blocks and DOM features, every extractor on the whole page, then chrome removal (in place).

    The extractors see the page as published, not the tree our chrome
    removal pruned: where removal is wrong (a forum post in a ``comments``
    element, a story in a ``share`` wrapper) they still find the body, and the
    combiner weighs their word against the element's intent. Cross-validated,
    opinions on the whole page beat opinions on the pruned one on both sets.
    """
    blocks = page_blocks(tree)
    dom = dom_features(tree, blocks)
    found = extract(tree, url)
    outputs = {"recall": found.text}
    for name in opinions:
        if name == "readability":
            outputs[name] = readability_text(tree, url)
        elif name not in outputs:
            outputs[name] = extract_text(tree, name, url)
    chrome = remove_chrome(tree)
    removed = mark_removed(tree, blocks, dom)
    return PageSignals(blocks, dom, removed, chrome, found, outputs)


def readability_text(tree: etree._Element, url: str | None = None) -> str:
    """readability's article as block lines ("" when it fails); the tree is not changed.

    trafilatura's port of readability-lxml (the one its fallback uses), not
    readability-lxml itself: the same algorithm without lxml's HTML cleaner
    pass, three times faster here, and as good an opinion cross-validated
    (README, "HTML pages"). ``url`` is unused (links are not made absolute).
    """
    from trafilatura.readability_lxml import Document

    try:
        summary = Document(copy.deepcopy(tree)).summary()
        return "\n".join(block_lines(etree.fromstring(summary, etree.HTMLParser()))) if summary.strip() else ""
    except Exception:  # noqa: BLE001 - odd pages: no opinion, not a failure (trafilatura wraps it the same way)
        return ""


def membership(texts: list[str] | list[list[str]], output: str) -> np.ndarray:
    """Per block, the share of its word 3-grams found in ``output`` (short blocks: its words in order).

    ``texts`` may be the blocks' :func:`tokens` already (a page is matched against several outputs).
    """
    gold = tokens(output)
    if not gold:
        return np.zeros(len(texts))
    trigrams = set(zip(gold, gold[1:], gold[2:]))
    # a block of one or two words is in the output when that word or word pair is: a set lookup, not
    # a substring search of the whole output per block (which made a page of 50,000 short blocks quadratic)
    short: set[object] = set(gold) | set(itertools.pairwise(gold))
    out = np.zeros(len(texts))
    for i, text in enumerate(texts):
        toks = tokens(text) if isinstance(text, str) else text
        if len(toks) >= 3:
            grams = list(zip(toks, toks[1:], toks[2:]))
            out[i] = sum(g in trigrams for g in grams) / len(grams)
        elif toks:
            out[i] = float((toks[0] if len(toks) == 1 else (toks[0], toks[1])) in short)
    return out


def tokens(text: str) -> list[str]:
    """The casefolded words :func:`membership` matches."""
    return [t.casefold() for t in _TOKEN.findall(text)]


def line_inputs(texts: list[str]) -> np.ndarray:
    """The text stage's line features of the block lines, one row per block.

    Block texts hold no line breaks, so line i is block i. A block of nothing but invisible
    characters (a ``<p>&#8203;</p>`` spacer) is a blank line to the text stage: it gets a row of
    zeros, and the other blocks keep their rows (the features are the text stage's, computed
    over its non-blank lines).
    """
    lines = split_lines("\n".join(texts))
    mark_chrome(lines)
    nonblank, x = page_features(lines)
    if len(nonblank) == len(texts):
        return x
    out = np.zeros((len(texts), x.shape[1]))
    out[nonblank] = x
    return out


def line_signals(texts: list[str], models: LineModels, x: np.ndarray | None = None) -> np.ndarray:
    """The line model's stage-2 probability and :data:`LINE_KEEP` columns for each block."""
    out = np.zeros((len(texts), 1 + len(LINE_KEEP)))
    if not texts:
        return out
    x = line_inputs(texts) if x is None else x
    out[:, 0] = models.for_page(x).proba(x)
    out[:, 1:] = x[:, [LINE_COLUMNS.index(c) for c in LINE_KEEP]]
    return out


def feature_matrix(dom: np.ndarray, shares: dict[str, np.ndarray], line: np.ndarray,
                   opinions: tuple[str, ...] = OPINIONS) -> np.ndarray:
    """:func:`columns` for a page's blocks (``shares`` also holds :data:`META`'s; missing ones are 0)."""
    own = np.column_stack([dom] + [shares[o] for o in opinions] + [line]) if len(dom) else \
        np.zeros((0, len(DOM_COLUMNS) + len(opinions) + line.shape[1]))
    names = DOM_COLUMNS + [f"in_{o}" for o in opinions] + ["line_p"] + [f"line_{c}" for c in LINE_KEEP]
    idx = {c: i for i, c in enumerate(names)}
    if not len(own):
        return np.zeros((0, len(columns(opinions))))
    context: list[np.ndarray] = []
    words = np.expm1(own[:, idx["line_log_words"]])
    for o in opinions:  # the extractor's body as a whole: where it starts and ends, how much of the page
        kept = np.flatnonzero(shares[o] >= 0.5)
        span = np.zeros(len(own))
        if len(kept):
            span[kept[0]:kept[-1] + 1] = 1.0
        context += [span, np.full(len(own), float((shares[o] * words).sum() / max(words.sum(), 1e-9)))]
    context += [shares.get(m, np.zeros(len(own))) for m in META]
    return np.column_stack([own] + context)


_TREE_ARRAY = "\0%s\0"  # placeholder of a tree array in to_json's text


def _runs_touching(keep: np.ndarray, grow: np.ndarray) -> np.ndarray:
    """The ``grow`` blocks in an unbroken run of ``keep | grow`` blocks that holds a kept one (one pass)."""
    joined = keep | grow
    run = np.cumsum(~joined)  # blocks of one run share a number; a block outside every run starts a new one
    has_kept = np.zeros(run[-1] + 1 if len(run) else 1, dtype=bool)
    has_kept[run[keep]] = True
    return grow & has_kept[run]


@dataclass(frozen=True)
class Combiner:
    """Stage 1 on the block rows, stage 2 on the rows plus stage 1 in context, then body selection."""

    stage1: Logistic
    stage2: Logistic
    columns: list[str]
    opinions: tuple[str, ...]
    #: "region": one dense region (center, min_score) plus any block scoring ``outside`` elsewhere;
    #: "threshold": every block scoring min_score
    selection: str
    center: float
    min_score: float
    outside: float
    meta: dict
    #: Stage 2's trees (:mod:`.trees`) and their share of its score; none in a model trained without them.
    trees: BoostedTrees | None = None
    trees_weight: float = 0.0
    #: "region": outside the region, a block next to a kept one is kept from this score (above 1: never).
    #: Body paragraphs come in runs; a lone high score elsewhere is as often a teaser.
    neighbour: float = 1.1

    def proba(self, x: np.ndarray) -> np.ndarray:
        if self.trees is None or len(x) == 0:
            return stacked_proba(self.stage1, self.stage2, x)
        x2 = np.hstack([x, stack_features(self.stage1.proba(x))])
        return self.trees_weight * self.trees.proba(x2) + (1.0 - self.trees_weight) * self.stage2.proba(x2)

    def select(self, proba: np.ndarray, words: np.ndarray, removed: np.ndarray, min_words: int) -> np.ndarray:
        """Which blocks are body (bool per block).

        Blocks inside removed chrome are not candidates, unless without them
        the body is under ``min_words``: then chrome removal took the article
        (a story inside a ``comments`` element) and every block competes.
        """
        keep = self._select(proba, words, ~removed)
        if removed.any() and words[keep].sum() < min_words:
            keep = self._select(proba, words, np.ones(len(proba), dtype=bool))
        return keep

    def _select(self, proba: np.ndarray, words: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        if self.selection == "threshold":
            return (proba >= self.min_score) & candidates
        body = locate_body(list(range(len(proba))), proba, words, set(np.flatnonzero(candidates).tolist()),
                           self.center, self.min_score)
        keep = (proba >= self.outside) & candidates
        keep[body.kept] = True
        if self.neighbour <= 1.0:
            keep |= _runs_touching(keep, (proba >= self.neighbour) & candidates)
        return keep

    def to_json(self) -> str:
        """Readable JSON; the trees' arrays go on one line each (thousands of numbers)."""
        trees = self.trees.to_dict() if self.trees is not None else None
        text = json.dumps({"columns": self.columns, "opinions": list(self.opinions), "selection": self.selection,
                           "center": self.center, "min_score": self.min_score, "outside": self.outside,
                           "neighbour": self.neighbour, "meta": self.meta, "trees_weight": self.trees_weight,
                           "stage1": self.stage1.to_dict(), "stage2": self.stage2.to_dict(),
                           "trees": {k: _TREE_ARRAY % k for k in trees} if trees else None}, indent=1)
        for k, v in (trees or {}).items():
            text = text.replace(json.dumps(_TREE_ARRAY % k), json.dumps(v, separators=(",", ":")))
        return text

    @classmethod
    def from_json(cls, text: str) -> Combiner:
        d = json.loads(text)
        opinions = tuple(d["opinions"])
        if d["columns"] != columns(opinions):
            raise ValueError("the HTML combiner was trained on other feature columns; retrain it with "
                             "benchmarks/train_html_model.py")
        return cls(Logistic.from_dict(d["stage1"]), Logistic.from_dict(d["stage2"]), d["columns"], opinions,
                   d["selection"], float(d["center"]), float(d["min_score"]), float(d["outside"]),
                   d.get("meta", {}), BoostedTrees.from_dict(d["trees"]) if d.get("trees") else None,
                   float(d.get("trees_weight", 0.0)), float(d.get("neighbour", 1.1)))


@lru_cache(maxsize=4)
def load_combiner(path: Path = MODEL_PATH) -> Combiner:
    return Combiner.from_json(Path(path).read_text(encoding="utf-8"))


def block_words(texts: list[str]) -> np.ndarray:
    return np.array([len(_TOKEN.findall(t)) for t in texts], dtype=float)


def choose_blocks(signals: PageSignals, models: LineModels, combiner: Combiner,
                  min_words: int) -> tuple[np.ndarray, np.ndarray]:
    """(body flag, score) per block (:meth:`Combiner.select`)."""
    texts = signals.texts
    words = [tokens(t) for t in texts]
    shares = {o: membership(words, signals.outputs.get(o, "")) for o in combiner.opinions}
    shares.update({m: membership(words, getattr(signals.found, m) or "") for m in META})
    x = feature_matrix(signals.dom, shares, line_signals(texts, models), combiner.opinions)
    proba = combiner.proba(x)
    return combiner.select(proba, block_words(texts), signals.removed, min_words), proba


__all__ = ["Combiner", "PageSignals", "choose_blocks", "columns", "feature_matrix", "line_signals",
           "load_combiner", "membership", "page_signals"]
