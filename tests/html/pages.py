"""Small HTML pages built for the tests (none from the benchmark), and worker functions for the guard."""
from __future__ import annotations

import os
import time

from cleaners.config import CleanConfig
from cleaners.model import Page, PageResult

PARAGRAPHS = [
    "The harbour authority said on Tuesday that the new ferry terminal would open in the spring, "
    "two years later than first planned, after a dispute over the cost of dredging the channel.",
    "Engineers found that the seabed under the old pier was softer than the surveys had shown, "
    "which forced the contractor to redesign the foundations and order longer steel piles.",
    "Local businesses, which had hoped the terminal would bring more visitors this summer, "
    "said the delay would cost them another season, and some asked the council for rate relief.",
    "A spokesperson for the authority said the final budget would be published next month and "
    "that the opening date depended on the weather during the last phase of construction.",
]

RELATED_FULL = (
    "The council voted on Monday to extend the cycle lane along the seafront by another two miles, "
    "after a consultation in which most of the residents who replied supported the plan, although "
    "shop owners on the promenade warned that losing parking spaces would hurt their trade."
)


def article_page(extra_body: str = "", related: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!doctype html><html lang="en"><head>
<title>Ferry terminal opening delayed to spring | Coastal Herald</title>
<meta property="og:title" content="Ferry terminal opening delayed to spring">
<meta name="author" content="Jane Marlow">
<meta property="article:published_time" content="2024-03-05T09:00:00Z">
</head><body>
<header class="site-header"><nav class="main-nav"><a href="/">Home</a> <a href="/news">News</a>
<a href="/sport">Sport</a></nav></header>
<div id="cookie-consent">We use cookies to improve your experience. <button>Accept</button></div>
<main><article class="post has-comments">
<header><h1>Ferry terminal opening delayed to spring</h1><p class="byline">By Jane Marlow</p></header>
<div class="share-bar"><a>Share on Facebook</a> <a>Share on X</a></div>
<div class="article-body">{body}{extra_body}
<div class="ad-slot">Advertisement</div>
</div>
</article></main>
<aside class="related-articles"><h2>Related Articles</h2>{related}
<ul><li><a href="/a">Council approves seafront budget</a></li><li><a href="/b">Storm damages pier</a></li></ul>
</aside>
<section id="comments"><h3>3 Comments</h3><p>Great article, I have been waiting for this ferry for ages and
it is a shame that it is late again, the council should do better.</p></section>
<footer class="site-footer">© 2024 Coastal Herald. All rights reserved.</footer>
</body></html>"""


def sleepy(page: Page, config: CleanConfig) -> PageResult:
    """A page that takes far longer than any limit the tests set."""
    time.sleep(60)
    return PageResult()


def dies(page: Page, config: CleanConfig) -> PageResult:
    """A page that kills its process, as a parser crash or the OOM killer would."""
    if "crash" in (page.html or ""):
        os._exit(3)
    return PageResult()


def stuck(page: Page, config: CleanConfig) -> PageResult:
    """A page stuck in C code that holds the GIL (catastrophic backtracking), as a bad regex would be."""
    import re

    re.match(r"(a+)+$", "a" * 64 + "b")
    return PageResult()
