"""Lines a site repeats on most of its pages are chrome; syndicated prose is not."""
from __future__ import annotations

from cleaners.config import CleanConfig
from cleaners.model import Page
from cleaners.text.boilerplate import repeated_lines, site_key
from cleaners.text.page import clean_page
from tests.conftest import make_page

STORY = ("The harbour authority said on Tuesday that the ferry service would resume next month after repairs "
         "to the main pier, which was damaged in a storm in January.")


def site_pages(n: int) -> list[Page]:
    pages = []
    for i in range(n):
        body = f"Story {i} headline about the town\n{STORY.replace('Tuesday', f'day {i}')} Item {i}.\n"
        pages.append(make_page("Harbour Gazette Weekly Edition\n" + body + "Our Partners And Friends\n",
                               source=f"gazette/{i}.txt"))
    return pages


def test_site_key_is_the_url_host_else_the_folder() -> None:
    assert site_key(Page("a/b.txt", None, "", "0", url="https://www.example.org/x")) == "example.org"
    assert site_key(Page("crawl/site1/p.txt", None, "", "0")) == "crawl/site1"


def test_short_lines_on_most_pages_of_a_site_are_found() -> None:
    found = repeated_lines(site_pages(6), min_pages=5, min_share=0.5, max_words=15)
    assert found["gazette"] == {"harbour gazette weekly edition", "our partners and friends"}


def test_few_pages_or_long_lines_never_count() -> None:
    assert repeated_lines(site_pages(4), min_pages=5, min_share=0.5, max_words=15) == {}
    syndicated = [make_page(f"Title {i}\n{STORY}\n", source=f"wire/{i}.txt") for i in range(8)]
    assert repeated_lines(syndicated, min_pages=5, min_share=0.5, max_words=15)["wire"] == frozenset()


def test_clean_page_removes_site_lines_with_their_reason() -> None:
    pages = site_pages(6)
    found = repeated_lines(pages, 5, 0.5, 15)["gazette"]
    result = clean_page(pages[0], CleanConfig(), site_lines=found)
    reasons = {r.text: r.reason for r in result.removed}
    assert reasons["Harbour Gazette Weekly Edition"] == "site_boilerplate"
    assert reasons["Our Partners And Friends"] == "site_boilerplate"
    assert "Our Partners" not in result.articles[0].text
