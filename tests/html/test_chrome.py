from __future__ import annotations

import lxml.html
import pytest

from cleaners.html.chrome import intent_of, remove_chrome
from cleaners.html.flatten import block_lines

from .pages import PARAGRAPHS, article_page


@pytest.mark.parametrize("tag, attrs, reason", [
    ("div", {"class": "ad-slot"}, "html_ad"),
    ("ins", {"class": "adsbygoogle"}, "html_ad"),
    ("div", {"id": "div-gpt-ad-123"}, "html_ad"),
    ("section", {"class": "relatedArticles"}, "html_related"),
    ("div", {"class": "you-may-also-like"}, "html_related"),
    ("div", {"class": "OUTBRAIN"}, "html_ad"),
    ("div", {"id": "disqus_thread"}, "html_comments"),
    ("div", {"class": "newsletter-signup"}, "html_newsletter"),
    ("div", {"id": "onetrust-banner-sdk"}, "html_consent"),
    ("div", {"class": "social-share"}, "html_share"),
    ("ol", {"class": "breadcrumb"}, "html_navigation"),
    ("div", {"role": "navigation"}, "html_navigation"),
    ("div", {"aria-label": "Advertisement"}, "html_ad"),
    ("nav", {}, "html_navigation"),
    ("aside", {}, "html_footer"),
])
def test_intents_from_tag_role_and_names(tag: str, attrs: dict[str, str], reason: str) -> None:
    assert intent_of(tag, attrs) == reason


@pytest.mark.parametrize("attrs", [{"class": "header"}, {"class": "shadow-box"}, {"class": "article-body"},
                                   {"id": "loaded"}, {"class": "headline"}, {"class": "download-link"}])
def test_words_must_match_whole_so_lookalikes_stay(attrs: dict[str, str]) -> None:
    assert intent_of("div", attrs) is None


def test_chrome_goes_and_the_article_stays_even_when_its_names_say_comments() -> None:
    root = lxml.html.fromstring(article_page())
    removed = remove_chrome(root)
    reasons = {r.reason for r in removed}
    assert {"html_navigation", "html_consent", "html_share", "html_ad", "html_related", "html_comments",
            "html_footer"} <= reasons
    text = "\n".join(block_lines(root))
    assert all(p in text for p in PARAGRAPHS)
    assert "Ferry terminal opening delayed to spring" in text  # the article's own <header> stays
    for chrome in ("Share on Facebook", "We use cookies", "Related Articles", "Great article", "All rights"):
        assert chrome not in text
    assert all(r.text for r in removed) and all(r.sourceline > 0 for r in removed)


def test_an_element_with_most_of_the_text_is_never_removed() -> None:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    root = lxml.html.fromstring(f"<html><body><div class='content-sidebar-wrap'>{body}</div>"
                                f"<div class='sidebar'>Popular now</div></body></html>")
    removed = remove_chrome(root)
    assert [r.text for r in removed] == ["Popular now"]
    assert PARAGRAPHS[0] in "\n".join(block_lines(root))
