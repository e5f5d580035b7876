from __future__ import annotations

import time

from cleaners.config import CleanConfig
from cleaners.html.guard import BoundedExtractor
from cleaners.model import Page

from .pages import article_page, dies, sleepy

CONFIG = CleanConfig()


def _page(html: str, name: str = "p.html") -> Page:
    return Page(name, None, "", "sha", html=html)


def test_pages_are_cleaned_in_the_worker_process() -> None:
    with BoundedExtractor(timeout=60) as guard:
        result = guard.clean(_page(article_page()), CONFIG)
    assert result.rejection is None and result.articles[0].title == "Ferry terminal opening delayed to spring"


def test_a_page_over_the_time_limit_is_rejected_and_the_next_one_is_cleaned() -> None:
    with BoundedExtractor(timeout=1.0, work=sleepy) as guard:
        start = time.monotonic()
        result = guard.clean(_page("<p>x</p>"), CONFIG)
        assert time.monotonic() - start < 30
    assert result.rejection.reason == "timeout" and "1 s" in result.rejection.detail


def test_a_worker_that_dies_costs_only_its_page() -> None:
    with BoundedExtractor(timeout=60, work=dies) as guard:
        crashed = guard.clean(_page("<p>crash</p>", "a.html"), CONFIG)
        fine = guard.clean(_page("<p>fine</p>", "b.html"), CONFIG)
    assert crashed.rejection.reason == "extraction_crash" and crashed.rejection.source == "a.html"
    assert fine.rejection is None
