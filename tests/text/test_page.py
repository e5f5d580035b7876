"""The text stage on whole pages: clean articles pass untouched, chrome leaves a trace."""
from __future__ import annotations

from pathlib import Path

import pytest

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
    assert {no for no, line in enumerate(text.splitlines()) if line.strip()} <= accounted(text, result)


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



def accounted(page_text: str, result) -> set[int]:
    """Line numbers that are in an article's text, title or metadata, or in the audit."""
    lines = page_text.splitlines()
    kept_text = "\n".join(a.text for a in result.articles)
    found = {r.line_no for r in result.removed}
    for no, line in enumerate(lines):
        if line.strip() and line.strip() in kept_text:
            found.add(no)
    return found


@pytest.mark.parametrize("text", [
    "Home » News\nFloods close schools\nBy Mei Tan\n" + "Heavy rain closed schools on Monday across "
    "the capital region, officials said, and more storms are forecast.\n" * 3 + "Advertisement\nLeave a Reply\nOk",
    "Menu\nSport\n" + "\n".join(f"Story {i} teaser line" for i in range(20)),
    "市議会は月曜日に新しい橋を発表した。\n" * 4,
    "",
    "\n\n\n",
    "Just one line of text here.",
])
def test_every_non_blank_line_ends_in_an_article_or_in_the_audit(text: str) -> None:
    result = clean_page(make_page(text), CleanConfig())
    expected = {no for no, line in enumerate(text.splitlines()) if line.strip()}
    assert expected <= accounted(text, result)
    assert result.articles or result.rejection is not None or not expected


def test_ad_labels_between_paragraphs_do_not_split_the_body() -> None:
    paragraphs = [
        "The regional council approved the new transport budget on Thursday after a debate that lasted "
        "more than six hours and ended with a narrow vote in favour.",
        "Opposition members said the plan would raise fares for commuters in the outer districts, where "
        "bus services were already cut back during the last two years.",
        "The mayor rejected that claim and promised that fares would be frozen until the end of next year "
        "at the latest, whatever the final cost of the programme.",
    ]
    for label in ("Advertisement", "Story continues below advertisement"):
        text = "Council passes transport budget\n" + f"\n{label}\n".join(paragraphs)
        (article,) = clean_page(make_page(text), CleanConfig()).articles
        assert article.text.splitlines() == paragraphs, label


def test_the_title_is_never_taken_from_a_feed_entry_above_the_body() -> None:
    teaser = ("Officials said the new line would open next year, and that trains would run every ten "
              "minutes at peak times, with fares set by the regional authority.")
    body = ("The harbour authority said on Tuesday that the ferry service would resume next month after "
            "repairs to the main pier, which was damaged in a storm in January this year.")
    text = "\n".join(["Daily Courier", "2 hours ago", "- Transport", "- Daily Courier",
                      "Read the full story here", teaser, "Northern Star", "3 hours ago", "- Local",
                      "- Northern Star", "New tram line approved", teaser.replace("line", "route"),
                      body, body.replace("Tuesday", "Monday")])
    result = clean_page(make_page(text), CleanConfig())
    titles = [a.title for a in result.articles]
    assert "Read the full story here" not in [a.title for a in result.articles if a.segment == "main"]
    assert titles


def test_a_dropped_teaser_entry_leaves_no_repeat_counted() -> None:
    text = "\n".join(["Water rules extended for another year",
                      "Lawmakers voted on Wednesday to extend the emergency water rules for another year, "
                      "after a summer in which reservoirs fell to record lows across the south.",
                      "Related Articles", "Northern Star", "3 days ago", "- Northern Star",
                      "Grain train derails", "A freight train derailed.", "A freight train derailed."])
    result = clean_page(make_page(text), CleanConfig())
    assert not [r for r in result.removed if r.reason in ("repeated_line", "repeated_paragraph")
                and r.article_id is None]


def _long_paragraph(seed: int, sentences: int) -> str:
    import random

    rng = random.Random(seed)
    subjects = ["The committee", "Local traders", "The minister", "Residents", "The company", "Researchers"]
    verbs = ["said on Monday that", "warned that", "argued that", "confirmed that", "expected that"]
    clauses = ["the new rules would take effect before the summer holidays began",
               "costs had risen sharply over the previous twelve months in most regions",
               "the decision would be reviewed again at the end of the financial year",
               "more than two hundred jobs depended on the outcome of the negotiations",
               "the plans had been delayed by a dispute over funding for the project"]
    return " ".join(f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(clauses)}."
                    for _ in range(sentences))


@pytest.mark.parametrize("header", ["Related stories", "You may also like", "More on this story",
                                    "Recommended for you"])
def test_a_body_in_two_long_lines_is_not_outweighed_by_the_summaries_of_a_related_list(header: str) -> None:
    """A page flattened one paragraph per line can hold its whole body in two lines; a related list
    below it has a prose summary under each headline. The list is other articles, never this page's."""
    body = [_long_paragraph(1, 2), _long_paragraph(2, 12)]
    related = []
    for k in range(4):
        related += [f"- Headline of another story number {k}", _long_paragraph(10 + k, 1)]
    text = "\n".join(["Northern Gazette", "By Ann Example, Staff reporter", "Published 3 May 2021",
                      *body, "Share this article", header, *related, "Comments (12)", "Sitemap | Privacy"])
    main = [a for a in clean_page(make_page(text), CleanConfig()).articles if a.segment == "main"]
    assert [a.text.splitlines() for a in main] == [body]


_FESTIVAL = [
    "The city's summer festival returns to the riverside park in July, organisers said on Monday, "
    "with more stages, longer opening hours and free entry for children under twelve.",
    "Tickets go on sale next week, and the organisers expect about forty thousand visitors over the "
    "three weekends, roughly as many as before the park was rebuilt.",
]


def test_a_list_the_body_announces_is_kept_and_the_menu_after_it_is_not() -> None:
    dates = ["July 4 -- Main Stage, Riverside Park", "July 5 -- Folk Tent, Riverside Park",
             "July 11 -- Main Stage, Riverside Park", "July 12 -- Jazz Barge, Old Harbour",
             "July 18 -- Main Stage, Riverside Park"]
    menu = ["Magazine", "Customer Service", "Jobs", "Sitemap", "Events 2024"]
    text = "\n".join(["Home", "News", "Festival returns to the river", *_FESTIVAL,
                      "The festival's dates and stages:", *dates, *menu])
    (article,) = clean_page(make_page(text), CleanConfig()).articles
    lines = article.text.splitlines()
    assert lines[-len(dates) - 1:] == ["The festival's dates and stages:", *dates]
    assert not set(menu) & set(lines)


@pytest.mark.parametrize("intro, items", [
    # the headlines a teaser list announces do not each hold a digit
    ("In case you missed it:", ["Rail fares to rise in spring", "Port strike ends after talks",
                                "New bridge opens to traffic", "Flood defences get funding"]),
    # two dated items are no list
    ("The festival's dates and stages:", ["July 4 -- Main Stage", "July 5 -- Folk Tent"]),
])
def test_headlines_and_short_runs_after_a_colon_are_no_announced_list(intro: str, items: list[str]) -> None:
    text = "\n".join(["Festival returns to the river", *_FESTIVAL, intro, *items])
    (article,) = clean_page(make_page(text), CleanConfig()).articles
    assert article.text.splitlines() == _FESTIVAL


def test_a_short_page_with_one_teaser_like_line_keeps_its_prose_floor() -> None:
    first = ("The council said on Monday that the budget was tight, and that more cuts to bus services "
             "could follow if the government did not step in...")
    result = clean_page(make_page("\n".join([first, _FESTIVAL[1]])), CleanConfig())
    assert result.rejection is None and result.articles[0].text.splitlines() == [first, _FESTIVAL[1]]


def test_spacer_lines_of_zero_width_characters_do_not_split_the_body() -> None:
    caption = "The riverside park during last year's festival"
    last = ("Food stalls will again line the embankment, and the council has asked traders to bring "
            "reusable plates after complaints about litter last summer.")
    text = "\n".join(["Festival returns to the river", _FESTIVAL[0], "\u200b", caption, "\u200b",
                      _FESTIVAL[1], "\u200b", caption, "\u200b", caption, "\u200b", last])
    (article,) = clean_page(make_page(text), CleanConfig()).articles
    assert article.text.splitlines()[0] == _FESTIVAL[0] and article.text.splitlines()[-1] == last
    assert "\u200b" not in article.text


def test_a_ticker_of_teasers_cut_short_is_not_taken_for_the_body() -> None:
    teasers = [f"{head} {city}: {lead} officials said on {day} that the plan would be ..."
               for head, city, lead, day in [
                   ("Port strike ends after talks", "ROTTERDAM", "Dock workers returned to work as", "Tuesday"),
                   ("Rail fares to rise in spring", "LONDON", "Season tickets will cost more because", "Monday"),
                   ("New bridge opens to traffic", "LISBON", "The crossing opened a month early and", "Friday"),
                   ("Flood defences get funding", "HAMBURG", "The city will spend more on dykes and", "Sunday")]]
    text = "\n".join(["World News", *teasers, "Festival returns to the river", "June 3, 2024", *_FESTIVAL])
    result = clean_page(make_page(text), CleanConfig())
    main = next(a for a in result.articles if a.segment == "main")
    assert main.text.splitlines() == _FESTIVAL


_MORE = [
    "Organisers said the new stages would be placed further from the houses on the north bank, after "
    "residents complained about the noise last year.",
    "The council will also run extra night buses on the three Saturdays, paid for by the festival's "
    "sponsors, and close two streets to traffic.",
]


def test_the_article_resumes_after_a_promo_inside_it() -> None:
    promo = ["Rail fares to rise in spring", "Port strike ends after talks", "New bridge opens to traffic"]
    teasers = ["Flood defences get funding",
               "The city will spend more on dykes and pumps after the winter floods, the mayor said on Friday.",
               "Tram line approved",
               "The new line will open next year, with trams every ten minutes at peak times, officials said."]
    text = "\n".join(["Festival returns to the river", *_FESTIVAL, "Don't miss", *promo, *_MORE,
                      "Related stories", *teasers])
    result = clean_page(make_page(text), CleanConfig())
    main = next(a for a in result.articles if a.segment == "main")
    assert main.text.splitlines() == [*_FESTIVAL, *_MORE]


def test_a_related_list_of_headlines_and_summaries_is_no_resumed_article() -> None:
    teasers = ["Flood defences get funding",
               "The city will spend more on dykes and pumps after the winter floods, the mayor said on Friday.",
               "Tram line approved",
               "The new line will open next year, with trams every ten minutes at peak times, officials said."]
    text = "\n".join(["Festival returns to the river", *_FESTIVAL, "Related stories", *teasers])
    main = next(a for a in clean_page(make_page(text), CleanConfig()).articles if a.segment == "main")
    assert main.text.splitlines() == _FESTIVAL


def test_forget_lines_empties_every_line_memo_and_cleaning_is_the_same_after() -> None:
    """The memos only save work: a page cleans the same from cold, warm, and cold again."""
    from cleaners.text import features, rules
    from cleaners.text.page import forget_lines

    text = "Home | World | Sport\nShare this article\n" + "\n".join(
        f"Paragraph {n} of the story says the council met on Monday and voted on the budget again." for n in range(6))
    page = make_page(text)
    forget_lines()
    cold = clean_page(page, CleanConfig())
    assert features._ROW_MEMO and rules._short_line_rule.cache_info().currsize
    warm = clean_page(page, CleanConfig())
    forget_lines()
    assert not features._ROW_MEMO and rules._short_line_rule.cache_info().currsize == 0
    assert cold == warm == clean_page(page, CleanConfig())
