"""The combiner on made-up pages (none from the benchmarks): what each opinion gets wrong, it must not."""
from __future__ import annotations

import numpy as np
import trafilatura

from cleaners.config import CleanConfig
from cleaners.html.blocks import DOM_COLUMNS
from cleaners.html.combine import (
    LINE_KEEP,
    Combiner,
    choose_blocks,
    columns,
    feature_matrix,
    line_inputs,
    load_combiner,
    membership,
    page_signals,
)
from cleaners.text.line_model import Logistic, load_models

from .pages import PARAGRAPHS, article_page

CONFIG = CleanConfig()

COMMENTS = [
    ("I have taken this ferry for twenty years and I can tell you that the old pier was never safe, the council "
    "knew it and did nothing until the storm last winter made it impossible to ignore any longer."),
    ("My brother works on the dredging crew and he says the real problem is that the channel silts up again "
    "every spring, so whatever they build will need constant work for as long as it stands there."),
    ("It is always the same story with this authority: promises in the newspaper, delays in real life, and the "
    "people who live on the harbour paying for it with their rates while the bosses get their bonuses."),
    ("Does anyone know whether the summer timetable will still run from the old slipway, or will we have to "
    "drive round to the industrial estate and queue there with the lorries for the next two years?"),
]


def _body(html: str, url: str = "https://coastal.example/news/ferry") -> list[str]:
    tree = trafilatura.load_html(html)
    signals = page_signals(tree, url)
    keep, _ = choose_blocks(signals, load_models(), load_combiner(), CONFIG.min_article_words)
    return [b.text for b, k in zip(signals.blocks, keep) if k]


def _page(body: str, after: str = "") -> str:
    return (f"<html lang='en'><head><title>Ferry terminal opening delayed</title></head><body>"
            f"<div class='menu'><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a></div>"
            f"<div class='story'><h1>Ferry terminal opening delayed to spring</h1>{body}</div>{after}"
            f"<div class='bottom'>© 2024 Coastal Herald. All rights reserved.</div></body></html>")


def test_the_article_is_kept_and_the_page_chrome_is_not() -> None:
    kept = _body(article_page())
    assert [t for t in kept if t in PARAGRAPHS] == PARAGRAPHS
    assert not any("cookies" in t or "Share on" in t or "All rights reserved" in t or "Great article" in t
                   for t in kept)


def test_a_long_comment_thread_is_not_taken_though_chrome_removal_had_to_keep_it() -> None:
    # prose too, and more of the page's text than the article: the 40% guard keeps chrome removal
    # from taking the element, so only the combiner's evidence (its comments intent, a list of posts
    # with names and reply links after a "Comments" heading) says it is not the story
    thread = "".join(f"<li><div class='who'>Reader{i} · 2 hours ago</div><p>{c}</p>"
                     f"<div class='act'><a href='#'>Reply</a></div></li>" for i, c in enumerate(COMMENTS))
    page = _page("".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2]),
                 after=f"<section id='comments'><h3>12 Comments</h3><ol>{thread}</ol></section>")
    signals = page_signals(trafilatura.load_html(page), "https://coastal.example/news/ferry")
    assert not any(gone for b, gone in zip(signals.blocks, signals.removed) if b.text in COMMENTS)
    kept = _body(page)
    assert PARAGRAPHS[0] in kept and PARAGRAPHS[1] in kept
    assert not any(c in kept for c in COMMENTS)


def test_an_external_links_list_and_a_layout_table_of_chrome_are_dropped() -> None:
    links = "".join(f"<li><a href='https://example.org/{i}'>Harbour authority page number {i} on the web</a></li>"
                    for i in range(8))
    table = ("<table width='100%'><tr><td><a href='/a'>Weather</a> | <a href='/b'>Tides</a> | <a href='/c'>Traffic"
             "</a></td><td><a href='/d'>Jobs</a> | <a href='/e'>Homes</a> | <a href='/f'>Cars</a></td></tr></table>")
    page = _page("".join(f"<p>{p}</p>" for p in PARAGRAPHS) + f"<h2>External links</h2><ul>{links}</ul>",
                 after=table)
    kept = _body(page)
    assert [t for t in kept if t in PARAGRAPHS] == PARAGRAPHS
    assert not any("Harbour authority page number" in t or "Weather" in t or "Jobs" in t for t in kept)


def test_a_short_article_is_kept_whole() -> None:
    kept = _body(_page(f"<p>{PARAGRAPHS[0]}</p>"))
    assert PARAGRAPHS[0] in kept


def test_membership_counts_word_trigrams_and_short_blocks_in_order() -> None:
    output = "The quick brown fox jumps over the lazy dog.\nBreaking news"
    shares = membership(["the quick brown fox", "over the lazy dog sleeps", "Breaking news", "news Breaking", ""],
                        output)
    assert np.allclose(shares, [1.0, 2 / 3, 1.0, 0.0, 0.0])
    assert membership(["anything"], "").tolist() == [0.0]


def test_selection_keeps_one_dense_region_and_falls_back_when_chrome_took_the_article() -> None:
    n = len(columns())
    flat = Logistic(np.zeros(n), np.ones(n), np.zeros(n), 0.0)
    model = Combiner(flat, flat, columns(), ("default",), "region", 0.3, 0.5, 0.8, {})
    proba = np.array([0.9, 0.1, 0.8, 0.7] + [0.0] * 6 + [0.6, 0.95])
    words = np.full(len(proba), 20.0)
    removed = np.zeros(len(proba), dtype=bool)
    keep = model.select(proba, words, removed, 50)
    # the region is blocks 0-3 (1 scores too low inside it); 11 is far from it but sure enough by itself
    assert np.flatnonzero(keep).tolist() == [0, 2, 3, 11]
    # when chrome removal took the article's blocks, the article still wins over what is left
    removed[[2, 3]] = True
    assert model.select(proba, words, removed, 100)[[2, 3]].all()
    assert not model.select(proba, words, removed, 10)[[2, 3]].any()


def test_outside_the_region_a_neighbour_of_a_kept_block_needs_less() -> None:
    cols = columns(("default",))
    flat = Logistic(np.zeros(len(cols)), np.ones(len(cols)), np.zeros(len(cols)), 0.0)
    proba = np.array([0.9, 0.9, 0.9] + [0.0] * 6 + [0.85, 0.78, 0.77, 0.3, 0.78])
    words = np.full(len(proba), 20.0)
    removed = np.zeros(len(proba), dtype=bool)
    plain = Combiner(flat, flat, cols, ("default",), "region", 0.5, 0.5, 0.8, {})
    assert np.flatnonzero(plain.select(proba, words, removed, 50)).tolist() == [0, 1, 2, 9]
    # 10 and 11 continue the run 9 starts; 13 is alone behind a low block, as a teaser would be
    grows = Combiner(flat, flat, cols, ("default",), "region", 0.5, 0.5, 0.8, {}, neighbour=0.75)
    assert np.flatnonzero(grows.select(proba, words, removed, 50)).tolist() == [0, 1, 2, 9, 10, 11]
    removed[11] = True  # chrome is never taken back this way
    assert np.flatnonzero(grows.select(proba, words, removed, 50)).tolist() == [0, 1, 2, 9, 10]
    assert Combiner.from_json(grows.to_json()).neighbour == 0.75


def test_the_feature_matrix_matches_the_shipped_model_columns() -> None:
    model = load_combiner()
    dom, line = np.zeros((3, len(DOM_COLUMNS))), np.zeros((3, 1 + len(LINE_KEEP)))
    line[:, 1 + LINE_KEEP.index("log_words")] = np.log1p([30, 2, 10])
    shares = {o: np.array([1.0, 0.0, 0.5]) for o in model.opinions}
    x = feature_matrix(dom, shares, line, model.opinions)
    assert x.shape == (3, len(model.columns))
    assert x[:, model.columns.index(f"span_{model.opinions[0]}")].tolist() == [1.0, 1.0, 1.0]
    # the metadata's shares (title, meta description) are columns too; missing ones are 0
    titled = feature_matrix(dom, {**shares, "title": np.array([0.0, 1.0, 0.0])}, line, model.opinions)
    assert titled[:, model.columns.index("in_title")].tolist() == [0.0, 1.0, 0.0]
    assert x[:, model.columns.index("in_title")].tolist() == [0.0, 0.0, 0.0]
    empty = feature_matrix(dom[:0], {o: np.zeros(0) for o in shares}, line[:0], model.opinions)
    assert empty.shape == (0, len(model.columns))


def test_short_blocks_are_matched_as_whole_words_and_word_pairs() -> None:
    from cleaners.html.combine import membership

    out = membership(["ferry", "terminal opening", "opening terminal", "fer", "delayed again", "spring"],
                     "The ferry terminal opening was delayed, again, to spring")
    assert out.tolist() == [1.0, 1.0, 0.0, 0.0, 1.0, 1.0]


def test_a_spacer_block_of_invisible_characters_keeps_the_line_signals_of_the_others() -> None:
    """A ``<p>&#8203;</p>`` block is a blank line to the text stage: it gets a zero row, not the page."""
    texts = ["Festival returns to the river",
             "The city's summer festival returns to the riverside park in July, organisers said on Monday.",
             "\u200b", "Tickets go on sale next week, and organisers expect forty thousand visitors."]
    x = line_inputs(texts)
    plain = line_inputs([t for t in texts if t != "\u200b"])
    assert x.shape[0] == 4
    assert not x[2].any() and (x[[0, 1, 3]] == plain).all()
