"""The text stage on whole pages: clean articles pass untouched, chrome leaves a trace."""
from __future__ import annotations

from pathlib import Path

from cleaners.config import CleanConfig
from cleaners.evaluate import text_f1
from cleaners.text.page import clean_page
from tests.conftest import make_page


def test_a_clean_article_is_left_untouched(seeds_dir: Path, expected: dict) -> None:
    """Seed 002 has no chrome: its title line moves to ``title``; only the lines expected.json
    calls optional (the agency credit) may go; every other line stays, unchanged and in order."""
    raw = (seeds_dir / "002_7e9bd8cab8cd929b.txt").read_text(encoding="utf-8")
    gold = expected["inputs"]["002_7e9bd8cab8cd929b.txt"]["articles"][0]
    result = clean_page(make_page(raw), CleanConfig())
    (article,) = result.articles
    lines = raw.strip().splitlines()
    assert article.title == lines[0]
    assert article.text.splitlines() == [line for line in lines[1:] if line not in gold["optional_lines"]]
    assert {r.text for r in result.removed if r.reason != "title"} <= set(gold["optional_lines"])
    assert text_f1(gold["text"], article.text) >= 0.99


def test_every_removed_line_has_a_reason_and_kept_plus_removed_cover_the_page() -> None:
    text = ("Home » World » Asia\nFloods close schools in the capital\nBy Mei Tan\n"
            "Heavy rain closed more than 200 schools on Monday as rivers burst their banks across the "
            "capital region, officials said, and more storms are forecast for later in the week.\n"
            "Advertisement\nEmergency shelters opened in six districts on Monday night, and the army sent "
            "trucks to move families from the lowest streets. Sign up for our newsletter today.\n"
            "Leave a Reply\nGreat article!\n")
    result = clean_page(make_page(text), CleanConfig())
    (article,) = result.articles
    removed = {(r.line_no, r.text): r.reason for r in result.removed}
    assert removed == {
        (0, "Home » World » Asia"): "breadcrumb",
        (1, "Floods close schools in the capital"): "title",
        (2, "By Mei Tan"): "byline",
        (4, "Advertisement"): "advertisement",
        (5, "Sign up for our newsletter today."): "glued_promo",
        (6, "Leave a Reply"): "comments",
        (7, "Great article!"): "comments",
    }
    assert article.text.endswith("trucks to move families from the lowest streets.")
    assert article.author == "Mei Tan"


def test_a_page_of_only_chrome_is_rejected_with_its_reasons() -> None:
    result = clean_page(make_page("Home\nMenu\nSearch\nAccept all cookies\nFollow us on Facebook\n"), CleanConfig())
    assert result.articles == []
    assert result.rejection is not None and result.rejection.reason == "empty_after_cleaning"
    assert "navigation" in result.rejection.detail


def test_the_title_skips_datelines_credits_and_reading_times_above_the_body() -> None:
    body = ("The city council voted on Tuesday to close the old harbour bridge to cars from next spring, "
            "after engineers found cracks in two of its supporting piers during a routine inspection.\n")
    for clutter in ("Reuters Staff November 19, 2019, 9:02 AM", "Alex Wong | Getty Images", "4 min read",
                    "Photo: City archive"):
        page = make_page(f"Menu\nHarbour bridge to close to cars next spring\n{clutter}\n{body}{body}")
        (article,) = clean_page(page, CleanConfig()).articles
        assert article.title == "Harbour bridge to close to cars next spring", clutter
