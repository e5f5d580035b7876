from __future__ import annotations

from datetime import date

from cleaners.config import CleanConfig
from cleaners.html.page import clean_html_page
from cleaners.model import Page

from .pages import PARAGRAPHS, RELATED_FULL, article_page

CONFIG = CleanConfig()


def _page(html: str, url: str | None = "https://coastal.example/news/ferry") -> Page:
    return Page("ferry.html", None, "", "sha", url=url, html=html)


def test_body_and_metadata_come_out_clean() -> None:
    result = clean_html_page(_page(article_page()), CONFIG)
    assert result.rejection is None
    main = [a for a in result.articles if a.segment == "main"]
    assert len(main) == 1
    art = main[0]
    assert art.text.split("\n") == PARAGRAPHS
    assert art.title == "Ferry terminal opening delayed to spring"
    assert art.author == "Jane Marlow"
    assert art.published == date(2024, 3, 5)
    assert art.url == "https://coastal.example/news/ferry"
    assert art.language == "en"
    reasons = {r.reason for r in result.removed}
    assert {"html_comments", "html_related", "html_consent"} <= reasons


def test_in_body_residue_is_removed_from_trafilatura_output() -> None:
    extra = ("<p>Advertisement</p><p>Sign up for our newsletter</p>"
             f"<p>{PARAGRAPHS[1]}</p>")  # an ad label, a prompt and a repeated paragraph inside the body
    result = clean_html_page(_page(article_page(extra_body=extra)), CONFIG)
    art = result.articles[0]
    assert "Advertisement" not in art.text and "newsletter" not in art.text
    assert art.text.count(PARAGRAPHS[1]) == 1
    # the repeat is the in-body cleanups' (the combiner keeps both copies: each is body-like); the ad label and
    # the prompt each get an audit row, from the combiner (not body) or from the in-body cleanups
    reasons = {r.text: r.reason for r in result.removed if r.reason != "html_ad"}
    assert reasons.get(PARAGRAPHS[1]) == "repeated_line"
    assert reasons.get("Advertisement") in ("html_not_body", "advertisement")
    assert reasons.get("Sign up for our newsletter") in ("html_not_body", "newsletter_prompt")


def test_full_articles_in_related_blocks_are_salvaged_and_teasers_dropped() -> None:
    related = f"<article><h3>Seafront cycle lane to grow</h3><p>{RELATED_FULL}</p></article>"
    result = clean_html_page(_page(article_page(related=related)), CONFIG)
    salvaged = [a for a in result.articles if a.segment == "related"]
    assert len(salvaged) == 1
    assert salvaged[0].title == "Seafront cycle lane to grow" and salvaged[0].text == RELATED_FULL
    # the teaser list in the same block ("Council approves seafront budget") is not an article
    assert all("Council approves" not in a.text for a in result.articles)


def test_pages_without_an_article_or_over_the_limit_are_rejected() -> None:
    nav_only = "<html><body><nav><a>Home</a><a>News</a></nav><p>Subscribe</p></body></html>"
    assert clean_html_page(_page(nav_only), CONFIG).rejection.reason == "empty_after_cleaning"
    assert clean_html_page(_page("   "), CONFIG).rejection.reason == "html_parse_error"
    small = CleanConfig(max_page_bytes=1_000)
    rejected = clean_html_page(_page(article_page()), small).rejection
    assert rejected.reason == "too_large" and "1000" in rejected.detail


def test_markup_nested_past_the_limit_is_rejected_not_silently_cut() -> None:
    deep = "<div>" * 5000 + " ".join(PARAGRAPHS) + "</div>" * 5000
    result = clean_html_page(_page(f"<html><body>{deep}</body></html>"), CONFIG)
    assert result.rejection is not None and result.rejection.reason == "too_deep"
    assert "parser stops at 255" in result.rejection.detail


def test_a_page_nested_within_the_limit_is_cleaned_and_the_limit_is_an_option() -> None:
    nested = "<div>" * 60 + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div>" * 60
    page = _page(f"<html><body>{nested}</body></html>")
    result = clean_html_page(page, CONFIG)
    assert result.rejection is None
    assert result.articles[0].text.split("\n") == PARAGRAPHS
    strict = clean_html_page(page, CleanConfig(max_html_depth=50))
    assert strict.rejection is not None and strict.rejection.reason == "too_deep"
    assert "nested 63 deep, limit 50" in strict.rejection.detail and "parser stops" not in strict.rejection.detail


def test_blocks_the_combiner_drops_are_audited_apart_from_chrome_elements() -> None:
    links = "".join(f"<li><a href='https://example.org/{i}'>Harbour page number {i} on the web</a></li>"
                    for i in range(6))
    result = clean_html_page(_page(article_page(extra_body=f"<h2>External links</h2><ul>{links}</ul>")), CONFIG)
    art = result.articles[0]
    assert art.text.split("\n") == PARAGRAPHS
    not_body = [r for r in result.removed if r.reason == "html_not_body"]
    assert any("Harbour page number 3" in r.text for r in not_body)
    assert all(r.article_id is None and r.line_no > 0 for r in not_body)
    # elements chrome removal took keep their own rows, and their blocks are not audited twice
    assert not any("Share on Facebook" in r.text for r in not_body)
    assert any(r.reason == "html_share" and "Share on Facebook" in r.text for r in result.removed)


def test_an_article_whose_paragraphs_chrome_removal_took_is_taken_back() -> None:
    # a theme that names its paragraphs "comment-text": each is removed as comments, the body is empty
    # without them, so the combiner's choice among all blocks stands and they are not chrome rows
    body = "".join(f"<p class='comment-text'>{p}</p>" for p in PARAGRAPHS)
    html = (f"<html lang='en'><head><title>Ferry terminal opening delayed</title></head><body>"
            f"<div class='menu'><a href='/'>Home</a> <a href='/news'>News</a></div>"
            f"<div class='story'><h1>Ferry terminal opening delayed to spring</h1>{body}</div>"
            f"<div class='legal'><p>© 2024 Coastal Herald. All rights reserved.</p></div></body></html>")
    result = clean_html_page(_page(html), CONFIG)
    assert result.rejection is None
    assert result.articles[0].text.split("\n") == PARAGRAPHS
    reasons = {r.reason for r in result.removed}
    assert "html_comments" not in reasons and "html_navigation" in reasons


def _every_block_accounted(result, texts: list[str]) -> None:
    """Each text is in an article or in a removed row: nothing leaves without a trace."""
    kept = "\n".join(a.text for a in result.articles)
    rows = "\n".join(r.text for r in result.removed)
    lost = [t for t in texts if t not in kept and t not in rows]
    assert not lost, lost


def test_blocks_of_a_taken_back_element_that_the_body_leaves_out_keep_a_row(monkeypatch) -> None:
    import numpy as np

    from cleaners.html import page as page_module

    def per_block(signals, models, combiner, min_words):  # a verdict that takes the paragraphs, not the link bars
        keep = np.array([len(b.text.split()) >= 10 for b in signals.blocks])
        return keep, keep.astype(float)

    monkeypatch.setattr(page_module, "choose_blocks", per_block)
    posts = "".join(f"<div class='comment-text'><p>{p}</p><p><a href='/r'>Reply</a> · <a href='/f'>Flag {i}</a></p>"
                    f"</div>" for i, p in enumerate(PARAGRAPHS))
    result = clean_html_page(_page(f"<html><body><div class='menu'><a href='/'>Home</a></div>"
                                   f"<div class='story'><h1>Ferry terminal opening delayed</h1>{posts}</div>"
                                   f"</body></html>"), CleanConfig())
    assert result.articles and result.articles[0].text.split("\n") == PARAGRAPHS
    _every_block_accounted(result, [f"Flag {i}" for i in range(len(PARAGRAPHS))])


def test_a_body_too_short_for_an_article_is_in_removed_rows_beside_a_salvaged_related_article(monkeypatch) -> None:
    import numpy as np

    from cleaners.html import page as page_module

    def only_story(signals, models, combiner, min_words):
        keep = np.array([b.text.startswith("The pier") for b in signals.blocks])
        return keep, keep.astype(float)

    monkeypatch.setattr(page_module, "choose_blocks", only_story)
    result = clean_html_page(_page(
        "<html><body><div class='story'><h1>Pier closed after storm</h1><p>The pier is closed until Friday.</p>"
        f"</div><aside class='related'><article><h3>Seafront cycle lane to grow</h3><p>{RELATED_FULL}</p>"
        "</article></aside><div class='legal'>"
        + "".join(f"<p>Clause {i}: the publisher accepts no liability for the content of external sites linked here.</p>"
                  for i in range(6)) + "</div></body></html>"), CleanConfig())  # the related block under 40% of the text
    assert [a.segment for a in result.articles] == ["related"]
    _every_block_accounted(result, ["The pier is closed until Friday."])
