"""The report's two pictures, as inline SVG made with matplotlib (no files, no network).

Where a picture says more than a table: how far verified copies are from
the thresholds that merged them (a pile-up just above a threshold says it
is the threshold doing the work), and which sites are mostly chrome.
"""
from __future__ import annotations

import io
import re
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display here, and none wanted: the figures become text
import matplotlib.pyplot as plt

from ..config import CleanConfig
from .bidi import neutral
from .data import SiteFigures

_STYLE: dict[Any, Any] = {"svg.hashsalt": "newsclean", "svg.fonttype": "none", "font.size": 9,
          "axes.spines.top": False, "axes.spines.right": False}


def similarity_plot(similarities: list[float], containments: list[float], config: CleanConfig) -> str | None:
    """Histogram of the collapsed copies' Jaccard and containment to their kept copy, thresholds marked."""
    if not similarities:
        return None
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(7.0, 2.8))
        bins = [i / 40 for i in range(41)]
        ax.hist(similarities, bins=bins, alpha=0.75, label="estimated Jaccard to the kept copy", color="#3b6ea8")
        ax.hist(containments, bins=bins, alpha=0.45, label="containment in the kept copy", color="#d08c2a")
        for x, label, style in ((config.jaccard_threshold, "Jaccard threshold", "-"),
                                (config.kept_jaccard_floor, "kept-copy floor", ":"),
                                (config.containment_threshold, "containment threshold", "--")):
            ax.axvline(x, color="#a33", linestyle=style, linewidth=1.2, label=f"{label} {x:g}")
        ax.set_xlim(0, 1.0)
        ax.set_xlabel("similarity of each collapsed copy")
        ax.set_ylabel("copies")
        ax.legend(loc="upper left", fontsize=7, frameon=False)
        return _svg(fig)


def chrome_share_plot(sites: list[SiteFigures]) -> str | None:
    """Horizontal bars: the share of each site's text that was removed as chrome."""
    shown = sorted(sites, key=lambda s: -s.chrome_share)[:20]
    if not shown:
        return None
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(7.0, 0.8 + 0.28 * len(shown)))
        labels = [_label(s.site) for s in shown]
        ax.barh(range(len(shown)), [100 * s.chrome_share for s in shown], color="#8a5a9e")
        ax.set_yticks(range(len(shown)), labels, parse_math=False)  # a "$...$" host is a name, not TeX
        ax.invert_yaxis()
        ax.set_xlabel("chrome removed, percent of the site's characters")
        for i, s in enumerate(shown):
            ax.text(100 * s.chrome_share, i, f" {100 * s.chrome_share:.1f}%", va="center", fontsize=7)
        return _svg(fig)


def _label(site: str) -> str:
    """A site name as a tick label: control characters dropped, bidirectional controls made visible
    (:func:`cleaners.report.bidi.neutral`), at most 40 characters."""
    text = neutral(_CONTROL_CHARS.sub("", site))
    return text if len(text) <= 40 else text[:37] + "..."


#: C0 and C1 control characters (a tab, NUL, ESC): nothing a label shows.
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f]")


def _svg(fig: plt.Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return re.sub(r"^.*?(?=<svg)", "", buffer.getvalue(), flags=re.DOTALL)  # inline: no XML prolog or doctype
