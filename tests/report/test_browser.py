"""The seeds run's report, opened in headless Chromium: what a user sees is what the run did.

Real browser (Debian's ``chromium`` and ``chromium-driver``, installed by
``.ci/run``), driven by Selenium; the checks read the *rendered* text and
computed styles, not the HTML source. A full-page screenshot is kept as a
test artifact in ``test-artifacts/`` (or ``$NEWSCLEAN_TEST_ARTIFACTS``).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cleaners.pipeline import run
from cleaners.report.pageview import page_id_of
from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("NEWSCLEAN_TEST_ARTIFACTS", ROOT / "test-artifacts"))


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201 (selenium's driver type is only importable when selenium is)
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("NEWSCLEAN_REQUIRE_SERVERS"):
            pytest.fail("chromium and chromedriver are required (apt-get install chromium chromium-driver)")
        pytest.skip("chromium/chromedriver not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def seeds_report(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("report") / "out"
    summary = run([seeds_dir], out)
    return out, summary


def test_the_seeds_report_renders_its_numbers_the_collapsed_pair_and_struck_chrome(
        browser, seeds_report: tuple[Path, dict]) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    out, summary = seeds_report
    report = out / "runs" / f"{summary.run_id}.html"
    browser.get(report.as_uri())
    text = browser.find_element(By.TAG_NAME, "body").text

    c = summary.counts
    for key, label in (("articles_kept", "articles kept"), ("duplicates", "duplicates"),
                       ("chrome_lines_removed", "chrome lines removed"), ("pages", "pages")):
        card = browser.find_element(By.ID, f"count-{key}").text
        assert card.split("\n") == [str(getattr(c, key)), label], card
    assert c.articles_kept == 11 and c.duplicates == 1

    cluster = browser.find_element(By.ID, "clusters").text
    assert cluster.count("Germany asking US for Europe troop withdrawal") == 2  # the kept article and its copy
    assert "related" in cluster and "1.00" in cluster

    seed_000 = page_id_of(out, _main_article_of(out, "000_"))
    page = browser.find_element(By.ID, f"page-{seed_000}")
    struck = page.find_elements(By.CSS_SELECTOR, "del.removed")
    assert struck, "no struck-through lines in seed 000's view"
    assert all("line-through" in d.value_of_css_property("text-decoration-line") for d in struck)
    shown = {d.text for d in struck}
    assert {"Try Our AI Features", "No comments yet...", "Related Articles"} <= shown
    assert "Try Our AI Features\npromo" in page.text or "Try Our AI Features promo" in page.text
    assert "Germany asking US for Europe troop withdrawal" in text

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height), 16000))
    shot = ARTIFACTS / "seeds-report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_a_document_view_strikes_the_removed_lines(browser, seeds_report: tuple[Path, dict],
                                                   tmp_path: Path) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    from flows.report import main

    out, _ = seeds_report
    article = _main_article_of(out, "001_")
    assert main([str(out), "--doc", article, "--html", str(tmp_path / "doc.html")]) == 0
    browser.get((tmp_path / "doc.html").as_uri())
    struck = browser.find_elements(By.CSS_SELECTOR, "del.removed")
    rules = {d.get_attribute("data-rule") for d in struck}
    assert "breadcrumb" in rules and "comments" in rules
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "seed-001-page.png"))


def _main_article_of(out: Path, prefix: str) -> str:
    import pyarrow.dataset as ds

    rows = ds.dataset(out / "articles", partitioning="hive").to_table(
        columns=["article_id", "source", "segment"]).to_pylist()
    return next(r["article_id"] for r in rows if r["source"].startswith(prefix) and r["segment"] == "main")
