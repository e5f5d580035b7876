#!/usr/bin/env python3
"""A labelled near-duplicate corpus of news-length documents made of real text, at any size, in flat memory.

    python benchmarks/make_dedup_corpus.py OUT_DIR --docs 100000 \\
        --sources ../shared/bench/dedup ../shared/bench/extraction --meta OUT_META.jsonl

Writes ``OUT_DIR/news-NNN.jsonl`` (``id``, ``url``, ``title``, ``text``,
``cluster``: what ``flows.clean`` reads; ``cluster`` is the gold label, same
source story = same cluster) and ``--meta`` (outside OUT_DIR, so the cleaner
never reads it): per document ``kind``, ``story``, ``copy_of``, and for hard
negatives ``borrows_from`` / ``boilerplate`` / ``wire_paragraph``. For
``benchmarks/dedup_scale.py``; the texts are never copied into the repo.

Text: paragraphs of real articles, read from the folders given to
``--sources``: the ``original`` documents of the dedup benchmark
(``docs.jsonl`` + ``docs_meta.jsonl``, those without chrome, title line
dropped) and the ``articleBody`` of the extraction benchmark's
``ground-truth.json``; English paragraphs of 8+ words only. A few thousand
paragraphs cannot make a million distinct stories: used verbatim, each would
recur in ~1,000 stories, which no real corpus does (and which is the
"chance sharing" a scale benchmark must keep at a realistic rate). So each
story re-words its content words (``--rewrite``): every word that is not a
function word is swapped, consistently within the story, for another pool
word of the same shape (capitalised, numeric, trailing punctuation) with that
probability. Function-word runs ("one of the", "said that the") stay shared
between stories, as in real news.

Every document is a pure function of ``--seed`` and its index: a copy
regenerates its original from the story number; nothing but a few numpy
arrays of one byte or int per document is held, so 1M documents take the
same memory as 10k (1M: 4.8 GB of JSONL in 18 min, ~70 MB resident, on
this shared 2-core machine). Document ids are ``n<index>``, clusters ``s<story>``.

Knobs, and the real-world pattern each models:

- ``--dup-share`` (0.30): share of documents that are copies of an earlier
  story. Copies per story follow a geometric tail (1-8 copies, half as likely
  each step): most stories are published once, a few are syndicated widely.
- ``--wire`` / ``--edited`` / ``--teaser`` (0.35 / 0.40 / 0.25): the copy
  kinds. **wire**: the agency story reprinted by a client site: same body,
  a dateline ("LAGOS (Reuters) - "), the client site's own chrome lines.
  **edited**: a re-publication edited by the desk: ``--edit-rate`` (up to
  8%) of words replaced, dropped or inserted (typo fixes, house style,
  synonyms), and with probabilities ``--add-paragraph`` (an "update" paragraph),
  ``--drop-paragraph`` (one paragraph cut for length) and ``--cut-tail`` (the
  last 10-30% of paragraphs cut: the print-length version). **teaser**: a
  front-page or newsletter excerpt: the first 30-60% of the body's words, cut
  at a sentence end, with a "Read more" line.
- ``--followup`` (0.04): share of stories that are follow-ups re-using one
  background paragraph verbatim from a recent earlier story (the "what we
  know so far" paragraph). NOT duplicates: labelled with their own story;
  ``borrows_from`` names the story they quote.
- ``--boilerplate`` (0.06) over ``--blocks`` (12) blocks: stories carrying a
  shared block (investment disclaimer, helpline note, corrections policy,
  affiliate notice). NOT duplicates. Each block recurs in share/blocks of
  the corpus, so its count grows with the corpus, as a site's disclaimer
  does.
- ``--wire-paragraph`` (0.08) / ``--wire-reuse`` (2.0): share of stories
  that carry one paragraph of agency copy that other, distinct stories also
  carry (two papers building different stories on the same wire paragraph);
  each such paragraph appears in ``--wire-reuse`` stories on average whatever
  the corpus size: chance sharing at a constant per-story rate. NOT
  duplicates.
- ``--rewrite`` (0.85) / ``--lead-run`` (40): how much real text stories share by chance.
  ``--rewrite 0 --lead-run 1`` gives stories of verbatim pool paragraphs
  drawn at random: every pool paragraph then recurs in (stories x 11 /
  pool paragraphs) stories, a sharing rate that grows with the corpus (the
  stress case: it reproduces issue 19's collapse, see dedup_scale.py).
- ``--paragraphs`` (median 11, lognormal sigma 0.55, 3-40): story length; with
  the pool's sentence lengths, about 4.4 KB median per document.
- ``--chrome`` (0.5): share of documents with 1-2 header and 1-2 footer lines
  of their site's chrome (the cleaner's job to remove; they make wire copies
  differ as real reprints do).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FUNCTION_WORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "even", "ever", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "last", "least", "less", "many", "may", "me", "might", "more", "most", "much", "must", "my", "myself", "next", "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours", "out", "over", "own", "per", "said", "same", "says", "she", "should", "since", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "though", "through", "to", "too", "two", "under", "until", "up", "upon", "us", "very", "was", "we", "were", "what", "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet", "you", "your"])
_SENTENCE = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")
_CORE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)

BOILERPLATE = (
    ("This article is for information only and is not investment advice. The value of investments can fall as "
    "well as rise and you may get back less than you invest. Past performance is not a guide to future returns. "
    "Speak to a regulated financial adviser before making any decision."),
    ("If you have been affected by any of the issues raised in this story, help and support is available. You "
    "can call the confidential helpline free of charge at any time of the day or night, or visit the support "
    "pages on our website for a list of organisations that can help."),
    ("This story contains forward-looking statements that involve risks and uncertainties. Actual results may "
    "differ materially from those expressed or implied. The company undertakes no obligation to update any "
    "forward-looking statement, whether as a result of new information, future events or otherwise."),
    ("We are committed to accuracy. If you believe a story contains a factual error, please contact the "
    "standards editor using the form on our corrections page. Corrections are published as soon as they are "
    "verified and are noted at the foot of the original article."),
    ("Some of the links in this article are affiliate links. If you click on one and make a purchase we may earn "
    "a small commission at no extra cost to you. Our journalists choose products independently and this never "
    "affects what we write or recommend."),
    ("Anyone with information about the incident is asked to contact police on the non-emergency number quoting "
    "the reference number, or to call the independent crime charity anonymously. In an emergency always dial "
    "the emergency number."),
    ("Our coverage of this election is impartial. Candidates are listed in alphabetical order and every party "
    "standing in the constituency was offered the same opportunity to respond. Results will be updated as "
    "each count is declared overnight."),
    ("Reporting was supported by a grant from an independent foundation that had no say over the content. The "
    "newsroom retains full editorial control of everything it publishes, and our funding sources are listed "
    "in full on the about us page."),
    ("This content was produced with the help of automated translation and reviewed by our editors before "
    "publication. Quotes originally given in another language have been translated and may have been "
    "shortened for clarity."),
    ("Subscribers can listen to an audio version of this article, read by an automated voice, in the app. The "
    "audio may contain small errors in pronunciation of names and places, which we are working to improve."),
    ("Prices were correct at the time of publication but may change. Offers are subject to availability and to "
    "the retailer's terms and conditions, which you should read before buying. Delivery charges may apply."),
    ("Tickets and information about the event are available from the venue box office and online. Booking fees "
    "may apply. Please check the organiser's website for the latest accessibility information before you "
    "travel."),
)
CITIES = ("LONDON", "PARIS", "NEW YORK", "LAGOS", "TOKYO", "NAIROBI", "SYDNEY", "BERLIN", "MUMBAI", "TORONTO")
AGENCIES = ("Reuters", "AP", "AFP", "Bloomberg", "PA")
HEADER = ("{site} | News", "Home > News > {section}", "{site} - Latest {section} news", "Skip to main content",
          "Menu Search {site}", "Advertisement")
FOOTER = ("© 2026 {site}. All rights reserved.", "Share this story on Facebook, X and WhatsApp",
          "Sign up for the {site} daily newsletter", "Follow {site} on social media", "Most read in {section}",
          "Comments are closed for this article")
SECTIONS = ("World", "Business", "Politics", "Technology", "Sport", "Health", "Science", "Local")
READ_MORE = ("Read more", "Continue reading", "Read the full story", "Full story at {site}")


def _english(paragraph: str) -> bool:
    words = paragraph.lower().split()
    return len(words) >= 8 and sum(w.strip(".,;:\"'“”‘’") in FUNCTION_WORDS for w in words) >= 0.2 * len(words)


def read_sources(folders: list[Path]) -> list[list[str]]:
    """The source articles as lists of English paragraphs: dedup-benchmark originals without chrome (title
    line dropped), extraction-benchmark article bodies."""
    articles: list[list[str]] = []
    for folder in folders:
        docs, meta, truth = folder / "docs.jsonl", folder / "docs_meta.jsonl", folder / "ground-truth.json"
        if docs.exists() and meta.exists():
            with docs.open(encoding="utf-8") as fd, meta.open(encoding="utf-8") as fm:
                for dline, mline in zip(fd, fm):
                    m = json.loads(mline)
                    if m.get("kind") == "original" and m.get("chrome") == "none":
                        articles.append(json.loads(dline)["text"].split("\n")[1:])
        elif truth.exists():
            articles.extend(v["articleBody"].split("\n") for v in json.loads(truth.read_text("utf-8")).values())
        else:
            raise SystemExit(f"{folder}: neither docs.jsonl + docs_meta.jsonl nor ground-truth.json")
    cleaned = [[" ".join(p.split()) for p in a if _english(p)] for a in articles]
    return [a for a in cleaned if a]


@dataclass
class Pool:
    """Every source sentence as token ids into one vocabulary, and the shape classes rewriting draws from."""

    vocab: np.ndarray          # object[str]: distinct whitespace tokens
    tokens: np.ndarray         # int32: all sentences' tokens, concatenated
    sentence_start: np.ndarray  # int64[sentences + 1]
    paragraph_start: np.ndarray  # int64[paragraphs + 1]: first sentence of each paragraph
    article_start: np.ndarray  # int64[articles + 1]: first paragraph of each article
    content: np.ndarray        # bool[vocab]: rewritable (not a function word, has letters or digits)
    klass: np.ndarray          # int32[vocab]: shape class
    members: np.ndarray        # int32: content token ids sorted by class
    class_start: np.ndarray    # int64[classes]
    class_size: np.ndarray     # int64[classes]

    @staticmethod
    def build(articles: list[list[str]]) -> Pool:
        ids: dict[str, int] = {}
        tokens: list[int] = []
        sentence_start, paragraph_start, article_start = [0], [0], [0]
        for article in articles:
            for paragraph in article:
                for sentence in _SENTENCE.split(paragraph):
                    words = sentence.split()
                    if words:
                        tokens.extend(ids.setdefault(w, len(ids)) for w in words)
                        sentence_start.append(len(tokens))
                paragraph_start.append(len(sentence_start) - 1)
            article_start.append(len(paragraph_start) - 1)
        vocab = np.empty(len(ids), dtype=object)
        for w, i in ids.items():
            vocab[i] = w
        shapes: dict[tuple[str, str, str], int] = {}
        klass = np.zeros(len(vocab), dtype=np.int32)
        content = np.zeros(len(vocab), dtype=bool)
        for i, w in enumerate(vocab):
            m = _CORE.match(w)
            lead, core, trail = (m.group(1), m.group(2), m.group(3)) if m else ("", w, "")
            if not core or core.lower() in FUNCTION_WORDS or not any(c.isalnum() for c in core):
                continue
            shape = "9" if core[0].isdigit() else "A" if core[0].isupper() else "a"
            content[i] = True
            klass[i] = shapes.setdefault((lead, shape, trail), len(shapes))
        order = np.flatnonzero(content)
        order = order[np.argsort(klass[order], kind="stable")].astype(np.int32)
        class_size = np.bincount(klass[order], minlength=len(shapes)).astype(np.int64)
        class_start = np.concatenate([[0], np.cumsum(class_size)[:-1]]).astype(np.int64)
        content &= class_size[klass] >= 20  # rare shapes (odd punctuation) stay as they are
        return Pool(vocab, np.asarray(tokens, dtype=np.int32), np.asarray(sentence_start, dtype=np.int64),
                    np.asarray(paragraph_start, dtype=np.int64), np.asarray(article_start, dtype=np.int64),
                    content, klass, order, class_start, class_size)

    @property
    def paragraphs(self) -> int:
        return len(self.paragraph_start) - 1

    def paragraph(self, p: int) -> list[np.ndarray]:
        s0, s1 = self.paragraph_start[p], self.paragraph_start[p + 1]
        return [self.tokens[self.sentence_start[s]:self.sentence_start[s + 1]] for s in range(s0, s1)]


_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray, key: int) -> np.ndarray:
    """splitmix64 of ``x`` under ``key``: the per-story choice for each token id, the same wherever it recurs."""
    with np.errstate(over="ignore"):
        h = x.astype(np.uint64) ^ np.uint64(key & 0xFFFFFFFFFFFFFFFF)
        h = (h ^ (h >> np.uint64(30))) * _M1
        h = (h ^ (h >> np.uint64(27))) * _M2
        return h ^ (h >> np.uint64(31))


Paragraph = list[np.ndarray]  # sentences of token ids


@dataclass(frozen=True)
class Knobs:
    dup_share: float = 0.30
    wire: float = 0.35
    edited: float = 0.40
    teaser: float = 0.25
    edit_rate: float = 0.08
    add_paragraph: float = 0.3
    drop_paragraph: float = 0.3
    cut_tail: float = 0.2
    followup: float = 0.04
    boilerplate: float = 0.06
    blocks: int = 12
    wire_paragraph: float = 0.08
    wire_reuse: float = 2.0
    paragraphs: float = 11.0
    rewrite: float = 0.85
    lead_run: int = 40
    chrome: float = 0.5
    sites: int = 300


class Corpus:
    """Document ``d`` of a corpus of ``n`` documents, regenerated from ``(seed, d)`` on demand."""

    def __init__(self, pool: Pool, n: int, seed: int, knobs: Knobs) -> None:
        self.pool, self.n, self.seed, self.k = pool, n, seed, knobs
        weights = 0.5 ** np.arange(1, 9)
        weights /= weights.sum()
        mean_copies = knobs.dup_share / (1 - knobs.dup_share)
        p_copy = min(1.0, mean_copies / float((np.arange(1, 9) * weights).sum()))
        probs = np.concatenate([[1 - p_copy], p_copy * weights])
        copies = np.random.default_rng([seed, 9]).choice(9, size=n, p=probs).astype(np.int8)
        ends = np.cumsum(copies.astype(np.int64) + 1)
        self.stories = int(np.searchsorted(ends, n) + 1)
        self.story_end = ends[:self.stories]  # first document of story s+1
        self.n_wire = max(1, int(self.stories * knobs.wire_paragraph / knobs.wire_reuse))
        self.kinds = np.cumsum([knobs.wire, knobs.edited, knobs.teaser]) / (knobs.wire + knobs.edited + knobs.teaser)
        self.content_ids = np.flatnonzero(pool.content).astype(np.int32)

    def _rng(self, *salt: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, *salt])

    def locate(self, d: int) -> tuple[int, int]:
        """(story, copy number; 0 = the original) of document ``d``."""
        s = int(np.searchsorted(self.story_end, d, side="right"))
        first = int(self.story_end[s - 1]) if s else 0
        return s, d - first

    def first_doc(self, s: int) -> int:
        return int(self.story_end[s - 1]) if s else 0

    # -- stories -------------------------------------------------------------------------------------------------
    def _rewrite(self, paragraphs: list[Paragraph], key: int) -> list[Paragraph]:
        """Content words swapped for same-shape pool words, the same swap for the same word within the story."""
        if not paragraphs:
            return paragraphs
        flat = np.concatenate([s for p in paragraphs for s in p])
        h = _mix(flat, key)
        pool = self.pool
        swap = pool.content[flat] & ((h & np.uint64(0xFFFF)) < np.uint64(int(self.k.rewrite * 65536)))
        cls = pool.klass[flat[swap]]
        pick = (h[swap] >> np.uint64(16)) % pool.class_size[cls].astype(np.uint64)
        flat = flat.copy()
        flat[swap] = pool.members[pool.class_start[cls] + pick.astype(np.int64)]
        out: list[Paragraph] = []
        pos = 0
        for p in paragraphs:
            sentences = []
            for s in p:
                sentences.append(flat[pos:pos + len(s)])
                pos += len(s)
            out.append(sentences)
        return out

    def base(self, s: int) -> tuple[list[int], list[Paragraph]]:
        """Title tokens and the story's own paragraphs: a run of one source article, then paragraphs of others,
        all re-worded under the story's key."""
        rng = self._rng(1, s)
        pool = self.pool
        n_par = int(np.clip(round(rng.lognormal(np.log(self.k.paragraphs), 0.55)), 3, 40))
        articles = len(pool.article_start) - 1
        a = int(rng.integers(articles))
        run = list(range(int(pool.article_start[a]), int(pool.article_start[a + 1])))[:min(n_par, self.k.lead_run)]
        chosen = run + [int(x) for x in rng.integers(pool.paragraphs, size=n_par - len(run))]
        paragraphs = self._rewrite([pool.paragraph(p) for p in chosen], int(rng.integers(2**63)))
        title = [int(t) for t in paragraphs[0][0][:int(rng.integers(6, 11))]]
        return title, paragraphs

    def wire_paragraph(self, w: int) -> Paragraph:
        rng = self._rng(2, w)
        return self._rewrite([self.pool.paragraph(int(rng.integers(self.pool.paragraphs)))],
                             int(rng.integers(2**63)))[0]

    def story(self, s: int) -> tuple[list[int], list[Paragraph], dict[str, object]]:
        """The full original: its own paragraphs plus the extras (wire paragraph, borrowed paragraph,
        boilerplate block) that make hard negatives."""
        title, paragraphs = self.base(s)
        rng = self._rng(3, s)
        info: dict[str, object] = {}
        paragraphs = list(paragraphs)
        if rng.random() < self.k.wire_paragraph:
            w = int(rng.integers(self.n_wire))
            paragraphs.insert(int(rng.integers(1, len(paragraphs) + 1)), self.wire_paragraph(w))
            info["wire_paragraph"] = w
        if s > 0 and rng.random() < self.k.followup:
            other = max(0, s - int(rng.integers(1, 2000)))
            if other != s:
                theirs = self.base(other)[1]
                lo = int(len(theirs) * 0.4)
                borrowed = theirs[int(rng.integers(lo, len(theirs)))] if len(theirs) > 1 else theirs[0]
                paragraphs.insert(int(rng.integers(1, len(paragraphs) + 1)), borrowed)
                info["borrows_from"] = f"s{other:07d}"
        if rng.random() < self.k.boilerplate:
            b = int(rng.integers(min(self.k.blocks, len(BOILERPLATE))))
            info["boilerplate"] = b
            paragraphs.append([np.array([-1 - b], dtype=np.int32)])  # rendered as the block's text
        return title, paragraphs, info

    # -- copies ----------------------------------------------------------------------------------------------------
    def _edit(self, paragraphs: list[Paragraph], rng: np.random.Generator) -> list[Paragraph]:
        rate = rng.uniform(0.01, self.k.edit_rate)
        out: list[Paragraph] = []
        for p in paragraphs:
            if p and p[0].size and p[0][0] < 0:  # a boilerplate block stays as it is
                out.append(p)
                continue
            sentences = []
            for sent in p:
                r = rng.random(len(sent))
                keep = r >= rate / 3  # dropped words
                new = sent.copy()
                swap = (r >= rate / 3) & (r < 2 * rate / 3)
                new[swap] = self.content_ids[rng.integers(len(self.content_ids), size=int(swap.sum()))]
                insert = np.flatnonzero((r >= 2 * rate / 3) & (r < rate))
                new = self._insert(new, keep, insert, rng)
                if new.size:
                    sentences.append(new)
            if sentences:
                out.append(sentences)
        if rng.random() < self.k.drop_paragraph and len(out) > 3:
            del out[int(rng.integers(1, len(out)))]
        if rng.random() < self.k.cut_tail and len(out) > 3:
            out = out[:max(2, round(len(out) * (1 - rng.uniform(0.1, 0.3))))]
        if rng.random() < self.k.add_paragraph:
            extra = self._rewrite([self.pool.paragraph(int(rng.integers(self.pool.paragraphs)))],
                                  int(rng.integers(2**63)))[0]
            out.insert(int(rng.integers(1, len(out) + 1)), extra)
        return out

    def _insert(self, sent: np.ndarray, keep: np.ndarray, insert: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``sent`` without the dropped words and with a random content word after each word in ``insert``."""
        if insert.size == 0:
            return sent[keep]
        words = self.content_ids[rng.integers(len(self.content_ids), size=insert.size)]
        pieces, last = [], 0
        for pos, w in zip(insert, words):
            pieces.append(sent[last:pos + 1][keep[last:pos + 1]])
            pieces.append(np.array([w], dtype=np.int32))
            last = pos + 1
        pieces.append(sent[last:][keep[last:]])
        return np.concatenate(pieces)

    def _teaser(self, paragraphs: list[Paragraph], rng: np.random.Generator) -> list[Paragraph]:
        own = [p for p in paragraphs if not (p and p[0].size and p[0][0] < 0)]
        total = sum(len(s) for p in own for s in p)
        goal = total * rng.uniform(0.3, 0.6)
        out: list[Paragraph] = []
        count = 0
        for p in own:
            taken = []
            for s in p:
                taken.append(s)
                count += len(s)
                if count >= goal:
                    break
            out.append(taken)
            if count >= goal:
                break
        return out

    # -- rendering ---------------------------------------------------------------------------------------------------
    def _text(self, tokens: np.ndarray) -> str:
        if tokens.size == 1 and tokens[0] < 0:
            return BOILERPLATE[-1 - int(tokens[0])]
        return " ".join(self.pool.vocab[tokens])

    def _chrome(self, rng: np.random.Generator, site: str) -> tuple[list[str], list[str]]:
        if rng.random() >= self.k.chrome:
            return [], []
        section = SECTIONS[int(rng.integers(len(SECTIONS)))]
        head = [HEADER[int(i)].format(site=site, section=section)
                for i in rng.choice(len(HEADER), int(rng.integers(1, 3)), replace=False)]
        foot = [FOOTER[int(i)].format(site=site, section=section)
                for i in rng.choice(len(FOOTER), int(rng.integers(1, 3)), replace=False)]
        return head, foot

    def _site(self, rng: np.random.Generator) -> str:
        i = int(rng.integers(self.k.sites))
        word = str(self.pool.vocab[self.content_ids[(i * 7919) % len(self.content_ids)]]).strip(".,;:!?()'\"")
        return f"The {('Daily', 'Evening', 'Weekly', 'Morning', 'Sunday')[i % 5]} {word.title()} {i}"

    def document(self, d: int) -> tuple[dict[str, str], dict[str, object]]:
        s, c = self.locate(d)
        title, paragraphs, info = self.story(s)
        rng = self._rng(4, d)
        site = self._site(rng)
        kind = "original"
        meta: dict[str, object] = {"story": s}
        if c == 0:
            if "borrows_from" in info:
                kind = "followup"
            elif "boilerplate" in info:
                kind = "boilerplate"
        else:
            kind = ("wire", "edited", "teaser")[int(np.searchsorted(self.kinds, rng.random(), side="right"))]
            meta["copy_of"] = f"n{self.first_doc(s):07d}"
            if kind == "edited":
                paragraphs = self._edit(paragraphs, rng)
            elif kind == "teaser":
                paragraphs = self._teaser(paragraphs, rng)
        meta.update(info)
        lines = [" ".join(self._text(sent) for sent in p) for p in paragraphs]
        if kind == "wire":
            lines[0] = f"{CITIES[int(rng.integers(len(CITIES)))]} ({AGENCIES[int(rng.integers(len(AGENCIES)))]}) - {lines[0]}"
        if kind == "teaser":
            lines.append(READ_MORE[int(rng.integers(len(READ_MORE)))].format(site=site))
        title_text = self._text(np.asarray(title, dtype=np.int32)).rstrip(".,;:")
        head, foot = self._chrome(rng, site)
        show_title = [title_text] if c == 0 or rng.random() < 0.6 else []
        text = "\n".join(head + show_title + lines + foot)
        slug = f"{s:x}-{c}"
        doc = {"id": f"n{d:07d}", "url": f"https://site{zlib.crc32(site.encode()) % 10**6}.example/news/{slug}",
               "title": title_text, "text": text, "cluster": f"s{s:07d}"}
        meta = {"id": doc["id"], "cluster": doc["cluster"], "kind": kind, **meta}
        return doc, meta

    def order(self) -> np.ndarray:
        """The writing order: a fixed shuffle, so copies are not next to their originals in a shard."""
        return np.random.default_rng([self.seed, 5]).permutation(self.n).astype(np.int64)


def documents(corpus: Corpus, indices: np.ndarray) -> Iterator[tuple[dict[str, str], dict[str, object]]]:
    for d in indices:
        yield corpus.document(int(d))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="output folder of JSONL shards (created)")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--sources", type=Path, nargs="+", required=True,
                        help="benchmark folders: the dedup bench (docs.jsonl + docs_meta.jsonl) and/or the "
                        "extraction bench (ground-truth.json)")
    parser.add_argument("--meta", type=Path, required=True, help="per-document labels JSONL (keep it outside OUT)")
    parser.add_argument("--files", type=int, default=0, help="shards (default: one per 10,000 documents)")
    parser.add_argument("--seed", type=int, default=0)
    for field, default in Knobs.__dataclass_fields__.items():
        parser.add_argument(f"--{field.replace('_', '-')}", type=type(default.default), default=default.default)
    args = parser.parse_args(argv)
    knobs = Knobs(**{f: getattr(args, f) for f in Knobs.__dataclass_fields__})
    start = time.perf_counter()
    pool = Pool.build(read_sources(args.sources))
    corpus = Corpus(pool, args.docs, args.seed, knobs)
    print(f"pool: {len(pool.article_start) - 1} articles, {pool.paragraphs} paragraphs, "
          f"{len(pool.sentence_start) - 1} sentences, {len(pool.vocab)} token types; "
          f"{corpus.stories} stories, {corpus.n_wire} wire paragraphs", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    files = args.files or max(1, -(-args.docs // 10_000))
    order = corpus.order()
    per_file = -(-args.docs // files)
    kinds: dict[str, int] = {}
    nbytes = 0
    with args.meta.open("w", encoding="utf-8") as meta_out:
        for f in range(files):
            path = args.out / f"news-{f:03d}.jsonl"
            tmp = path.with_suffix(".tmp")
            with tmp.open("w", encoding="utf-8") as fh:
                for doc, meta in documents(corpus, order[f * per_file:(f + 1) * per_file]):
                    line = json.dumps(doc, ensure_ascii=False)
                    nbytes += len(doc["text"].encode("utf-8"))
                    fh.write(line + "\n")
                    meta_out.write(json.dumps(meta) + "\n")
                    kinds[str(meta["kind"])] = kinds.get(str(meta["kind"]), 0) + 1
            tmp.replace(path)
            print(f"{path}  ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    copies = sum(kinds.get(k, 0) for k in ("wire", "edited", "teaser"))
    print(f"{args.docs} documents in {corpus.stories} stories, {copies} copies ({copies / max(args.docs, 1):.1%}), "
          f"kinds {dict(sorted(kinds.items()))}, mean text {nbytes / max(args.docs, 1):.0f} bytes, {files} files "
          f"in {args.out}, {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
