"""The report's plots: well-formed SVG, what they draw, and hostile site names kept as text."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from cleaners.config import CleanConfig
from cleaners.report.data import SiteFigures
from cleaners.report.plots import _histogram, _ticks, chrome_share_plot, similarity_plot

SVG = "{http://www.w3.org/2000/svg}"


def site(name: str, share: float) -> SiteFigures:
    return SiteFigures(name, pages=2, articles=2, duplicates=0, rejected=0, removed_lines=3, chrome_share=share)


def bars(svg: str) -> list[ET.Element]:
    return [e for e in ET.fromstring(svg).iter(f"{SVG}rect")]


def texts(svg: str) -> list[str]:
    return [e.text or "" for e in ET.fromstring(svg).iter(f"{SVG}text")]


def test_histogram_bins_are_half_open_and_the_last_takes_one() -> None:
    counts = _histogram([0.0, 0.024, 0.025, 0.5, 0.975, 0.99, 1.0, 1.5, -0.1])
    assert len(counts) == 40 and sum(counts) == 7  # out-of-range values are not drawn
    assert counts[0] == 2 and counts[1] == 1 and counts[20] == 1 and counts[39] == 3


def test_ticks_are_round_start_at_zero_and_reach_the_top() -> None:
    for top in (0.3, 1, 3, 7, 13, 40, 99.5, 100, 1234, 98765):
        ticks = _ticks(top)
        assert ticks[0] == 0 and ticks[-1] >= top and ticks[-2] < max(top, 1) and len(ticks) <= 8
    assert _ticks(3, whole=True) == [0, 1, 2, 3]  # counts: no half copies


def test_similarity_plot_draws_each_copy_and_marks_the_thresholds() -> None:
    config = CleanConfig(jaccard_threshold=0.6, containment_threshold=0.85, kept_jaccard_floor=0.4)
    svg = similarity_plot([0.61, 0.62, 0.9], [0.86, 0.95, 1.0], config)
    assert svg is not None and svg.startswith("<svg")
    labels = texts(svg)
    assert {"Jaccard threshold 0.6", "containment threshold 0.85", "kept-copy floor 0.4"} <= set(labels)
    drawn = [b for b in bars(svg) if b.get("height") and float(b.get("height", 0)) > 0 and b.get("width") != "16"]
    assert len(drawn) == 5  # 0.61 and 0.62 share a bin; each other value has its own bar
    marks = sorted(float(e.get("x1", 0)) for e in ET.fromstring(svg).iter(f"{SVG}line")
                   if e.get("stroke") == "#a33" and e.get("y1") != e.get("y2"))  # the legend's samples are level
    axis = [float(e.get("x", 0)) for e in ET.fromstring(svg).iter(f"{SVG}text") if e.text in ("0.0", "1.0")]
    assert [round((x - axis[0]) / (axis[1] - axis[0]), 2) for x in marks] == [0.4, 0.6, 0.85]
    assert similarity_plot([], [], config) is None


def test_chrome_share_plot_orders_sites_and_sizes_bars_by_share() -> None:
    svg = chrome_share_plot([site("a.example", 0.1), site("b.example", 0.5), site("c.example", 0.25)])
    assert svg is not None
    labels = [t for t in texts(svg) if t.endswith(".example")]
    assert labels == ["b.example", "c.example", "a.example"]
    widths = [float(b.get("width", 0)) for b in bars(svg)]
    assert widths[0] > widths[1] > widths[2] > 0 and abs(widths[0] / widths[2] - 5) < 0.01
    assert "50.0%" in texts(svg) and chrome_share_plot([]) is None


def test_at_most_twenty_sites_are_drawn_and_long_names_are_cut() -> None:
    svg = chrome_share_plot([site(f"s{n}.example", n / 100) for n in range(30)] + [site("x" * 80, 0.9)])
    assert svg is not None
    assert len(bars(svg)) == 20 and ("x" * 37 + "...") in texts(svg)


def test_site_names_are_text_whatever_they_hold() -> None:
    hostile = ['<script>alert("x")</script>', "a & b ]]> <!--", "ctl\x00\x07\x1b\x9bname", "r\u202el\u2066x",
               "not\uffffxml\ufffe", "lone\ud800half"]
    svg = chrome_share_plot([site(name, 0.2 + n / 10) for n, name in enumerate(hostile)])
    assert svg is not None
    svg.encode("utf-8")  # as the report writes it
    root = ET.fromstring(svg)  # well-formed XML: nothing a name holds broke out of its element
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    labels = texts(svg)
    assert '<script>alert("x")</script>' in labels and "a & b ]]> <!--" in labels and "ctlname" in labels
    assert "notxml" in labels and "lonehalf" in labels
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", svg) and any("[U+202E]" in t for t in labels)
