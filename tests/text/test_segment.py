"""Structure of pages that are not the seeds: feeds, related blocks, teasers."""
from __future__ import annotations

from datetime import date

from cleaners.config import CleanConfig
from cleaners.text.chrome import mark_chrome
from cleaners.text.lines import split_lines
from cleaners.text.page import clean_page
from cleaners.text.segment import find_entries
from tests.conftest import make_page

BODY_A = ("Lawmakers in the lower house voted on Wednesday to extend the emergency water rules for another "
          "year, after a summer in which reservoirs across the south fell to their lowest levels on record. "
          "The measure, which limits irrigation and bans filling private pools, passed with a large majority. "
          "Farmers' groups said they would challenge parts of it in court.")
BODY_B = ("A freight train derailed near the northern border early on Tuesday, spilling grain across both "
          "tracks and halting passenger services for most of the day. No one was hurt, the rail operator "
          "said, and crews expected to reopen the line by the evening rush hour after clearing the wagons. "
          "An inquiry into the cause has been opened.")
BODY_C = ("The city's oldest bookshop will close at the end of the month after 140 years of trading, its "
          "owners announced, blaming rising rents and falling footfall in the old town. Regular customers "
          "have started a petition to save it, and the council said it was looking at ways to help small "
          "shops stay in the historic centre.")


def test_a_feed_page_becomes_one_listing_article_per_entry() -> None:
    text = "\n".join([
        "Top stories tagged #infrastructure", "",
        "Daily Courier", "2 hours ago", "- Politics", "- Daily Courier",
        "Water rules extended for another year", BODY_A,
        "Northern Star", "14/09/2024", "- Transport",
        "Grain train derails near border", BODY_B, "",
        "Old Town Gazette", "September 12, 2024", "- Local", "- Old Town Gazette",
        "Historic bookshop to close", BODY_C,
    ])
    result = clean_page(make_page(text), CleanConfig())
    got = [(a.segment, a.position, a.title, a.site, a.section, a.published, a.published_raw)
           for a in result.articles]
    assert got == [
        ("listing", 0, "Water rules extended for another year", "Daily Courier", "Politics", None, "2 hours ago"),
        ("listing", 1, "Grain train derails near border", "Northern Star", "Transport", date(2024, 9, 14),
         "14/09/2024"),
        ("listing", 2, "Historic bookshop to close", "Old Town Gazette", "Local", date(2024, 9, 12),
         "September 12, 2024"),
    ]
    assert [a.text for a in result.articles] == [BODY_A, BODY_B, BODY_C]
    assert result.rejection is None


def test_related_block_is_cut_and_full_entries_salvaged_teasers_dropped() -> None:
    text = "\n".join([
        "Water rules extended for another year",
        "By Ana Ruiz",
        BODY_A,
        "Share this article",
        "You may also like",
        "Northern Star", "3 days ago", "- Northern Star",
        "Grain train derails near border", BODY_B,
        "Old Town Gazette", "5 days ago", "- Old Town Gazette",
        "Historic bookshop to close", "Regular customers have started a petition.",
    ])
    result = clean_page(make_page(text), CleanConfig())
    main, related = result.articles
    assert (main.segment, main.title, main.author, main.text) == (
        "main", "Water rules extended for another year", "Ana Ruiz", BODY_A)
    assert (related.segment, related.position, related.title, related.site, related.text) == (
        "related", 1, "Grain train derails near border", "Northern Star", BODY_B)
    reasons = {r.text: r.reason for r in result.removed}
    assert reasons["You may also like"] == "related_block"
    assert reasons["Regular customers have started a petition."] == "teaser_entry"
    assert reasons["By Ana Ruiz"] == "byline"


def no_entries(text: str) -> bool:
    lines = split_lines(text)
    headers = mark_chrome(lines)  # as segment_page sees them: chrome first, then the kept lines
    return find_entries(lines, [i for i, line in enumerate(lines) if line.kept], headers, "dmy") == []


def test_a_dated_heading_inside_an_article_is_not_an_entry() -> None:
    """Live blogs date their updates; without a site and tag line that is not a feed."""
    text = "\n".join(["Storm live updates", BODY_A, "14/09/2024", "Rail line reopens", BODY_B])
    assert no_entries(text)
    assert [a.segment for a in clean_page(make_page(text), CleanConfig()).articles] == ["main"]


def test_block_header_above_the_body_does_not_end_the_article() -> None:
    text = "\n".join(["Related Stories", "Water rules extended for another year", BODY_A, "3 Comments",
                      "I disagree with this, the rules are far too lax for the farmers in the valley."])
    (main,) = clean_page(make_page(text), CleanConfig()).articles
    assert main.title == "Water rules extended for another year"
    assert main.text == BODY_A  # the comments block after the body is cut


def test_the_article_is_the_section_with_the_most_prose_not_the_first() -> None:
    """A menu with a block header and a short teaser above the article must not end it early."""
    text = "\n".join(["Menu", "Trending Now", "Storm warning issued for the coast tonight, forecasters say today.",
                      "See also", "Water rules extended for another year", BODY_A, "Related Stories",
                      "Grain train derails near border"])
    (main,) = clean_page(make_page(text), CleanConfig()).articles
    assert (main.title, main.text) == ("Water rules extended for another year", BODY_A)


COMMENTS = [
    "I have lived in the valley for thirty years and I have never seen the river this low in August, "
    "so frankly these rules are long overdue and should have come in a decade ago.",
    "The farmers are being made to pay for the mistakes of the water companies, who still lose a "
    "quarter of what they pump through leaking pipes and have faced no fines at all for it.",
    "Pools are hardly the problem here. Golf courses and the new data centres use far more water "
    "than every garden in the county put together, and nobody in parliament ever mentions them.",
    "My neighbour got a warning letter for washing his car on the drive last week, while the hotel "
    "down the road was watering its lawns at noon, which tells you everything about who these are for.",
]


def _thread(header: str, name_lines: bool) -> list[str]:
    """A comment thread after ``header``: a post header per comment, the style of many sites."""
    out = [header]
    for n, comment in enumerate(COMMENTS * 2):
        out += ([f"reader{n}", "says:"] if name_lines else [f"reader{n} says:"]) + \
               ["November 19, 2019 at 6:34 am", comment]
    return out


def test_a_comment_thread_with_more_prose_than_the_article_is_not_the_article() -> None:
    """Readers' comments are prose: a long thread must not take the place of the page's own text,
    whether the post headers are one line ("jane says:") or two, as a text-node flattening gives."""
    for header in ("34 responses to “Water rules extended for another year”", "12 Comments", "Comments (8)"):
        for name_lines in (True, False):
            text = "\n".join(["Water rules extended for another year", BODY_A, BODY_C, "Share this:",
                              *_thread(header, name_lines)])
            main = clean_page(make_page(text), CleanConfig()).articles[0]
            assert main.text.split("\n") == [BODY_A, BODY_C], (header, name_lines)


TEASERS = ["A freight train derailed near the northern border early on Tuesday, spilling grain across both "
           "tracks and halting passenger services for most of the day, the rail operator said.",
           "The city's oldest bookshop will close at the end of the month after 140 years of trading, its "
           "owners announced on Monday, blaming rising rents and falling footfall in the old town."]


def test_a_comment_count_under_the_headline_does_not_hide_the_article() -> None:
    """'12 Comments' linked under a byline is a comments header that opens the article's own section:
    it is still the page's text whatever stands above it (a standfirst, a long lead) or below (related
    stories with prose summaries)."""
    standfirst = "Reservoirs across the south are at their lowest levels since records began in 1890."
    lead = BODY_B + " " + BODY_B.replace("freight", "coal")
    for above in (standfirst, lead):
        text = "\n".join(["Menu", "Water rules extended for another year", above, "By Jane Doe", "12 Comments",
                          BODY_A, BODY_C, "Related Stories", *TEASERS])
        main = clean_page(make_page(text), CleanConfig()).articles[0]
        assert [p for p in main.text.split("\n") if p in (BODY_A, BODY_C)] == [BODY_A, BODY_C], above
        assert not any(t in main.text for t in TEASERS), above


def test_a_lone_tagged_entry_is_the_pages_own_article() -> None:
    text = "\n".join(["Northern Star", "3 days ago", "- Transport", "- Northern Star",
                      "Grain train derails near border", BODY_B])
    (main,) = clean_page(make_page(text), CleanConfig()).articles
    assert (main.segment, main.title, main.site, main.section, main.text) == (
        "main", "Grain train derails near border", "Northern Star", "Transport", BODY_B)


def test_a_byline_and_date_above_a_headline_are_not_a_feed_entry() -> None:
    text = "\n".join(["By Ana Ruiz", "September 12, 2024", "Water rules extended for another year", BODY_A])
    (main,) = clean_page(make_page(text), CleanConfig()).articles
    assert (main.segment, main.title, main.author, main.text) == (
        "main", "Water rules extended for another year", "Ana Ruiz", BODY_A)
    assert main.published.isoformat() == "2024-09-12"


def test_a_short_label_above_the_headline_is_not_the_title() -> None:
    for label in ("World", "Daily Courier"):
        text = "\n".join([label, "Water rules extended for another year", BODY_A])
        (main,) = clean_page(make_page(text), CleanConfig()).articles
        assert (main.title, main.text) == ("Water rules extended for another year", BODY_A)


def test_a_related_entry_ends_at_the_next_block_header() -> None:
    """Comments and the footer after a related block are not part of its last entry."""
    text = "\n".join([
        "Water rules extended for another year", BODY_A, "Related Articles",
        "Northern Star", "3 days ago", "- Northern Star", "Grain train derails near border", BODY_B,
        "3 Comments", "I think the rail company should pay for all of this, honestly, it is a disgrace.",
        "© 2024 Northern Star Media. All rights reserved.",
    ])
    result = clean_page(make_page(text), CleanConfig())
    assert [a.text for a in result.articles] == [BODY_A, BODY_B]
    reasons = {r.text[:10]: r.reason for r in result.removed}
    assert reasons["I think th"] == "comments" and reasons["© 2024 Nor"] == "footer"


def test_a_dated_timeline_of_bullets_stays_in_the_article() -> None:
    text = "\n".join(["Water rules extended for another year", BODY_A, "Timeline",
                      "March 3, 2024", "- Reservoirs fall", "Emergency rules announced by ministers", BODY_C])
    assert no_entries(text)
    result = clean_page(make_page(text), CleanConfig())
    assert [a.segment for a in result.articles] == ["main"]
    assert "entry_meta" not in {r.reason for r in result.removed}
