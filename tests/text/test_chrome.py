from __future__ import annotations

import pytest

from cleaners.text.chrome import mark_chrome, split_glued_promo
from cleaners.text.lines import split_lines


@pytest.mark.parametrize("paragraph, kept, promo", [
    ("The vote passed 51-49. Subscribe now for unlimited access to our reporting.",
     "The vote passed 51-49.", "Subscribe now for unlimited access to our reporting."),
    ("Rates were held at 5%. Support independent journalism. Try the Herald free for 30 days.",
     "Rates were held at 5%.", "Support independent journalism. Try the Herald free for 30 days."),
    ("He left on Friday. Download the app to get alerts on breaking news.",
     "He left on Friday.", "Download the app to get alerts on breaking news."),
    ("'We will rebuild,' she said. Follow us on Twitter for live updates.",
     "'We will rebuild,' she said.", "Follow us on Twitter for live updates."),
])
def test_promos_glued_to_a_paragraph_end_are_cut(paragraph: str, kept: str, promo: str) -> None:
    assert split_glued_promo(paragraph) == (kept, promo)


@pytest.mark.parametrize("paragraph", [
    "Subscribers can sign up today, the firm said, but few have. The offer ends in May.",
    "Fans who want tickets should sign up now, the club said, because the ground holds only 9,000.",
    "Trains resume on Monday. Passengers can download the app or buy tickets at the station.",
    "The paper asked readers to subscribe now. Circulation fell anyway, and the owners sold it.",
    "A plain paragraph with no promotion in it at all, ending normally.",
])
def test_promo_words_mid_paragraph_are_left(paragraph: str) -> None:
    assert split_glued_promo(paragraph) == (paragraph, "")


def test_mark_chrome_records_reasons_and_block_headers() -> None:
    lines = split_lines("Storm hits coast\nWinds of 120 km/h were recorded overnight.\nShare\n"
                        "Related Stories\nAnother story")
    headers = mark_chrome(lines)
    assert [line.reason for line in lines] == [None, None, "share_prompt", "related_block", None]
    assert [(h.index, h.kind) for h in headers] == [(3, "related")]


def test_a_zero_comment_count_is_chrome_but_opens_no_block() -> None:
    """'No comments' under a headline announces no thread: the article below it stays open."""
    lines = split_lines("Harbour reopens\nNo Comments\nThe harbour reopened on Monday after repairs.\n"
                        "3 Comments\nGreat news for the town.")
    headers = mark_chrome(lines)
    assert lines[1].reason == "comments" and lines[3].reason == "comments"
    assert [(h.index, h.kind) for h in headers] == [(3, "comments")]


def test_line_rules_judge_what_is_left_after_a_glued_promo() -> None:
    lines = split_lines("We use cookies to improve your experience. Click here to learn more.")
    mark_chrome(lines)
    assert lines[0].reason == "cookie_notice"


def test_a_line_that_is_only_promotion_is_removed_and_a_glued_tail_is_remembered() -> None:
    lines = split_lines("Try the Herald free for 30 days with unlimited access.\n"
                        "The vote passed 51-49. Subscribe now for unlimited access to our reporting.")
    mark_chrome(lines)
    assert lines[0].reason == "promo"
    assert lines[1].reason is None and lines[1].promo_tail == "Subscribe now for unlimited access to our reporting."
