"""The lenient parse (:mod:`cleaners.html.parse`) and the text floor of :func:`clean_html_page`.

Every page of :mod:`.broken_pages` with prose a reader sees must give an
article holding that prose; pages with nothing to read are rejected with a
reason that says so. Healthy pages come out of the parse exactly as
trafilatura's loader builds them.
"""
from __future__ import annotations

import time

import pytest
import trafilatura
from lxml import etree

import cleaners.html.parse as parse_module
from cleaners.config import CleanConfig
from cleaners.html import page as page_module
from cleaners.html.extract import Extraction
from cleaners.html.flatten import block_lines
from cleaners.html.page import clean_html_page
from cleaners.html.parse import HEAD_TAGS, markup_depth, parse_html, visible_lines
from cleaners.model import Page

from .broken_pages import BUERGERBUS, LIGHTHOUSE, MERCADO, Broken, pages
from .pages import PARAGRAPHS, article_page

CONFIG = CleanConfig()
READABLE = [p for p in pages() if p.prose]
UNREADABLE = [p for p in pages() if p.reason]


def _page(html: str) -> Page:
    return Page("broken.html", None, "", "sha", url="https://news.example/story", html=html)


@pytest.mark.parametrize("broken", READABLE, ids=lambda b: b.name)
def test_a_page_with_visible_prose_becomes_an_article_holding_it(broken: Broken) -> None:
    result = clean_html_page(_page(broken.html), CONFIG)
    assert result.rejection is None, result.rejection
    lines = {line for article in result.articles for line in article.text.split("\n")}
    assert [p for p in broken.prose if p not in lines] == []  # each paragraph whole, on a line of its own


@pytest.mark.parametrize("broken", UNREADABLE, ids=lambda b: b.name)
def test_a_page_with_nothing_to_read_is_rejected_and_says_why(broken: Broken) -> None:
    result = clean_html_page(_page(broken.html), CONFIG)
    assert not result.articles and result.rejection is not None
    assert result.rejection.reason == broken.reason
    assert "empty" in result.rejection.detail or "no visible text" in result.rejection.detail


@pytest.mark.parametrize("broken", READABLE, ids=lambda b: b.name)
def test_the_tree_is_a_document_with_its_text_in_the_body(broken: Broken) -> None:
    tree = parse_html(broken.html)
    assert tree is not None and tree.tag == "html"
    assert [el.tag for el in tree if el.tag == "body"] == ["body"]
    for head in tree.iter("head"):
        assert {el.tag for el in head} <= HEAD_TAGS and not (head.text or "").strip()
        assert not any((el.tail or "").strip() for el in head)
    tags = {el.tag for el in tree.iter() if isinstance(el.tag, str)}
    assert not [t for t in tags if "}" in t or t.startswith("h:")]  # namespace-free, as the stage matches names
    assert markup_depth(tree) < CONFIG.max_html_depth
    text = "\n".join(block_lines(tree))
    assert all(p in text for p in broken.prose)


def test_a_healthy_page_is_exactly_what_trafilaturas_loader_builds() -> None:
    for html in (article_page(), article_page(extra_body="<noscript><img src='t.gif'></noscript>"),
                 "<!DOCTYPE html>\n" + article_page()):
        assert etree.tostring(parse_html(html)) == etree.tostring(trafilatura.load_html(html))


def test_repairs_keep_source_line_numbers() -> None:
    """Removed-element audit rows cite ``sourceline``: a repair must not shift it."""
    cut = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0\n\n<html><body>\n<noscript><div>\nx\n</noscript>\n<p id="x">y</p>'
    tree = parse_html(cut)
    assert tree is not None and next(el for el in tree.iter("p") if el.get("id") == "x").sourceline == 7


def test_nesting_the_page_never_closes_does_not_count_against_the_limit() -> None:
    """Deep only because tags stay open: an article. Deep because the page writes it out: too_deep."""
    story = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    unclosed = f"<html><body>{'<div>' * 60}{story}</body></html>"
    closed = f"<html><body>{'<div>' * 60}{story}{'</div>' * 60}</body></html>"
    strict = CleanConfig(max_html_depth=50)
    result = clean_html_page(_page(unclosed), strict)
    assert result.rejection is None and result.articles[0].text.split("\n") == PARAGRAPHS
    rejected = clean_html_page(_page(closed), strict).rejection
    assert rejected is not None and rejected.reason == "too_deep"
    assert clean_html_page(_page(closed), CONFIG).rejection is None  # within the default limit


def test_explicit_deep_nesting_is_still_too_deep_with_the_parsers_wall_named() -> None:
    deep = "<div>" * 3000 + "".join(f"<p>{p}</p>" for p in LIGHTHOUSE) + "</div>" * 3000
    rejected = clean_html_page(_page(f"<html><body>{deep}</body></html>"), CONFIG).rejection
    assert rejected is not None and rejected.reason == "too_deep" and "parser stops at 255" in rejected.detail


@pytest.mark.parametrize("hostile", [
    "<html><body>" + "<div>x " * 200_000 + "</body></html>",  # 200,000 unclosed divs
    "<a" * 1_500_000,  # a tag that never ends, a million times
    "<html><body>" + "<noscript><div>" * 150_000 + "</body></html>",  # noscripts that never close
    "<html><body><p>a</p></body></html>" + "<script>" * 300_000,  # scripts that never end after </html>
], ids=["unclosed_divs", "endless_tag", "open_noscripts", "open_scripts_after_html"])
def test_hostile_markup_costs_linear_time(hostile: str) -> None:
    started = time.monotonic()
    tree = parse_html(hostile)
    assert tree is not None and markup_depth(tree) < 255
    assert time.monotonic() - started < 10  # ~0.5 s here; a quadratic scan takes minutes


def test_a_parse_that_fails_entirely_falls_back_on_pythons_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    """lxml giving up must not lose a page with prose: the stdlib tokenizer reads its text."""
    def broken_parse(html: str, max_depth: int = 200) -> None:
        raise ValueError("lxml gave up")

    monkeypatch.setattr(parse_module, "parse_html", broken_parse)
    monkeypatch.setattr(page_module, "parse_html", lambda html, max_depth=200: None)
    html = f"<html><head><title>Mercado</title><script>var x = '<p>no</p>';</script></head><body>" \
           f"{''.join(f'<p>{p}</p>' for p in MERCADO)}</body></html>"
    assert visible_lines(html) == list(MERCADO)
    result = clean_html_page(_page(html), CONFIG)
    assert result.rejection is None and result.articles[0].text.split("\n") == list(MERCADO)


def test_the_text_floor_takes_the_text_stages_article_from_the_unpruned_page() -> None:
    html = f"<html><head><title>Bürgerbus</title></head><body>{''.join(f'<p>{p}</p>' for p in BUERGERBUS)}" \
           "</body></html>"
    found = Extraction("", title="Bürgerbus fährt samstags", author="Eva Lind")
    result = page_module._text_floor(_page(html), html, CONFIG, None, found, "nothing from the HTML path")
    assert result.rejection is None
    main = result.articles[0]
    assert main.text.split("\n") == list(BUERGERBUS)
    assert main.title == "Bürgerbus fährt samstags" and main.author == "Eva Lind"  # the HTML's metadata wins
    nothing = "<html><body><div><img src='a.png'></div></body></html>"
    rejected = page_module._text_floor(_page(nothing), nothing, CONFIG, None, found, "why").rejection
    assert rejected is not None and rejected.reason == "empty_after_cleaning"
    assert rejected.detail == "why; the page holds no visible text"


def test_plain_text_with_control_characters_and_lone_surrogates_is_cleaned_and_cites_its_lines() -> None:
    lines = [f"{p}\x01" if i % 2 else f"{p}\ud800" for i, p in enumerate(PARAGRAPHS)]
    result = clean_html_page(_page("\n\n".join(lines)), CleanConfig())
    assert result.rejection is None and result.articles
    assert result.articles[0].text.split("\n") == PARAGRAPHS
    tree = parse_html("Home | News\n" + "\n".join(PARAGRAPHS))
    assert tree is not None
    assert [p.sourceline for p in tree.iter("p")] == list(range(1, len(PARAGRAPHS) + 2))
