"""The report's two pictures, as inline SVG written directly (no files, no network, no plotting library).

Where a picture says more than a table: how far verified copies are from
the thresholds that merged them (a pile-up just above a threshold says it
is the threshold doing the work), and which sites are mostly chrome.

Both are a handful of rectangles, lines and labels, so they are written as
SVG text here rather than drawn with matplotlib: its import alone took
0.35-0.4 s of every run's wall time (about a tenth of the seeds command on
the fast path, measured in turns with and without it), and every run writes
a report. Every label is XML-escaped and passes
:func:`cleaners.report.bidi.neutral`: site names are scraped, hostile input.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from html import escape

from ..config import CleanConfig
from .bidi import neutral
from .data import SiteFigures

_FONT = 'font-family="DejaVu Sans, Verdana, sans-serif"'
#: Average advance of a 9 px sans-serif character, to leave room for labels.
_CHAR_WIDTH = 5.4
_BINS = 40
_AXIS = "#444"


def similarity_plot(similarities: list[float], containments: list[float], config: CleanConfig) -> str | None:
    """Histogram of the collapsed copies' Jaccard and containment to their kept copy, thresholds marked."""
    if not similarities:
        return None
    width, height = 700, 290
    left, right, top, bottom = 48, 14, 96, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    series = [(_histogram(similarities), "#3b6ea8", 0.75, "estimated Jaccard to the kept copy"),
              (_histogram(containments), "#d08c2a", 0.45, "containment in the kept copy")]
    ticks = _ticks(max(max(counts) for counts, *_ in series), whole=True)
    y_max = ticks[-1]

    def x(value: float) -> float:
        return left + plot_w * min(max(value, 0.0), 1.0)

    def y(count: float) -> float:
        return top + plot_h * (1 - count / y_max)

    parts = [_open(width, height, "similarity of each collapsed copy to its kept copy")]
    for tick in ticks:
        parts.append(_text(left - 5, y(tick) + 3, _number(tick), anchor="end"))
        parts.append(_line(left - 3, y(tick), left, y(tick)))
    for i in range(6):
        parts.append(_text(x(i / 5), top + plot_h + 14, f"{i / 5:.1f}", anchor="middle"))
        parts.append(_line(x(i / 5), top + plot_h, x(i / 5), top + plot_h + 3))
    for counts, color, opacity, _ in series:
        bar = plot_w / _BINS
        parts.extend(f'<rect x="{left + n * bar:.1f}" y="{y(c):.1f}" width="{bar:.1f}" height="{top + plot_h - y(c):.1f}" '
                     f'fill="{color}" fill-opacity="{opacity}"/>' for n, c in enumerate(counts) if c)
    thresholds = [(config.jaccard_threshold, "Jaccard threshold", ""),
                  (config.kept_jaccard_floor, "kept-copy floor", ' stroke-dasharray="1.5 2"'),
                  (config.containment_threshold, "containment threshold", ' stroke-dasharray="5 3"')]
    parts.extend(f'<line x1="{x(v):.1f}" y1="{top}" x2="{x(v):.1f}" y2="{top + plot_h}" stroke="#a33" '
                 f'stroke-width="1.2"{dash}/>' for v, _, dash in thresholds)
    parts.append(_axes(left, top, plot_w, plot_h))
    parts.append(_text(left + plot_w / 2, height - 8, "similarity of each collapsed copy", anchor="middle"))
    parts.append(f'<text transform="translate(12 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
                 f'font-size="9" {_FONT}>copies</text>')
    legend = [(f'<rect x="{left}" y="{{y}}" width="16" height="7" fill="{color}" fill-opacity="{opacity}"/>', label)
              for _, color, opacity, label in series]
    legend += [(f'<line x1="{left}" y1="{{mid}}" x2="{left + 16}" y2="{{mid}}" stroke="#a33" stroke-width="1.2"{dash}/>',
                f"{label} {value:g}") for value, label, dash in thresholds]
    for n, (mark, label) in enumerate(legend):
        row = 8 + 14 * n
        parts.append(mark.format(y=row, mid=row + 3.5))
        parts.append(_text(left + 22, row + 7, label, size=8))
    return "".join(parts) + "</svg>"


def chrome_share_plot(sites: list[SiteFigures]) -> str | None:
    """Horizontal bars: the share of each site's text that was removed as chrome."""
    shown = sorted(sites, key=lambda s: -s.chrome_share)[:20]
    if not shown:
        return None
    labels = [_label(s.site) for s in shown]
    left = 12 + _CHAR_WIDTH * max(len(label) for label in labels)
    row, top, bottom, right = 20, 8, 38, 52
    width = max(700, round(left + 360 + right))
    plot_w, plot_h = width - left - right, row * len(shown)
    height = top + plot_h + bottom
    ticks = _ticks(max(100 * s.chrome_share for s in shown), steps=(1, 2, 2.5, 5, 10), most=6)
    x_max = ticks[-1]

    def x(percent: float) -> float:
        return left + plot_w * max(percent, 0.0) / x_max

    parts = [_open(width, height, "share of each site's characters removed as chrome")]
    for tick in ticks:
        parts.append(_text(x(tick), top + plot_h + 14, _number(tick), anchor="middle"))
        parts.append(_line(x(tick), top + plot_h, x(tick), top + plot_h + 3))
    for n, (site, label) in enumerate(zip(shown, labels)):
        share = 100 * site.chrome_share
        mid = top + row * n + row / 2
        parts.append(f'<rect x="{left:.1f}" y="{mid - row * 0.4:.1f}" width="{x(share) - left:.1f}" '
                     f'height="{row * 0.8:.1f}" fill="#8a5a9e"/>')
        parts.append(_text(left - 5, mid + 3, label, anchor="end"))
        parts.append(_text(x(share) + 3, mid + 3, f"{share:.1f}%", size=8))
    parts.append(_axes(left, top, plot_w, plot_h))
    parts.append(_text(left + plot_w / 2, height - 8, "chrome removed, percent of the site's characters",
                       anchor="middle"))
    return "".join(parts) + "</svg>"


def _label(site: str) -> str:
    """A site name as a tick label: control characters dropped, bidirectional controls made visible
    (:func:`cleaners.report.bidi.neutral`), at most 40 characters."""
    text = neutral(_CONTROL_CHARS.sub("", site))
    return text if len(text) <= 40 else text[:37] + "..."


#: C0 and C1 control characters (a tab, NUL, ESC), lone surrogates and the noncharacters U+FFFE and
#: U+FFFF: nothing a label shows, and none of them may stand in an XML document.
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _histogram(values: Iterable[float]) -> list[int]:
    """Counts in :data:`_BINS` equal bins over [0, 1], the last one closed (as numpy's and matplotlib's)."""
    counts = [0] * _BINS
    for value in values:
        if 0.0 <= value <= 1.0:
            counts[min(int(value * _BINS), _BINS - 1)] += 1
    return counts


def _ticks(top: float, steps: Sequence[float] = (1, 2, 5, 10), most: int = 6, whole: bool = False) -> list[float]:
    """Round tick values from 0 up to the first one at or above ``top``, at most ``most`` + 1 of them
    (``whole``: steps of at least 1, for counts)."""
    top = max(top, 1.0)
    scale = 10 ** math.floor(math.log10(top / most))
    step = next(s * scale for s in steps if s * scale * most >= top)
    step = max(step, 1.0) if whole else step
    return [n * step for n in range(math.ceil(top / step - 1e-9) + 1)]


def _number(value: float) -> str:
    return f"{value:g}"


def _open(width: float, height: float, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>')


def _axes(left: float, top: float, width: float, height: float) -> str:
    """The left and bottom spines (no box: the top and right ones say nothing)."""
    return (f'<path d="M{left:.1f} {top:.1f}V{top + height:.1f}H{left + width:.1f}" fill="none" '
            f'stroke="{_AXIS}" stroke-width="0.8"/>')


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{_AXIS}" stroke-width="0.8"/>'


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 9) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" {_FONT}>'
            f"{escape(text)}</text>")
