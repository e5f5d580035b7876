"""Every reason a record can end in ``rejected/``, what it means, and what kind of cause it is.

One table, so that the README, the run summary, ``--strict`` and the tests
agree (a test checks that every reason the code can emit is listed here).
The kind says who should act: ``input`` — the data is broken or not a page
the pipeline reads; ``limit`` — a configured limit stopped it (raise the
option to take it); ``fault`` — something failed while cleaning it (ours or
the machine's, retried next run where said); ``skipped`` — not read, by
design; ``content`` — read and cleaned, but no article was in it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["input", "limit", "fault", "skipped", "content"]


@dataclass(frozen=True, slots=True)
class Reason:
    kind: Kind
    meaning: str


REJECTIONS: dict[str, Reason] = {
    # the data
    "decode_error": Reason("input", "no character encoding decodes the bytes (BOM, UTF-8, declared, detected)"),
    "not_text": Reason("input", "a .txt file holds binary data (an image, a PDF, an archive, control bytes)"),
    "not_html": Reason("input", "an HTML file or WARC response holds something else (image, PDF, JSON...)"),
    "not_json": Reason("input", "a JSONL line is not a JSON object (half-written, cut, or another type)"),
    "no_text": Reason("input", "a JSONL/Parquet record has no non-empty `text` or `html` field"),
    "truncated": Reason("input", "the file ends mid-stream (cut gzip, cut WARC); the records before the cut "
                                 "were read"),
    "unreadable": Reason("input", "the operating system refused to read the file (permissions, vanished)"),
    "read_error": Reason("input", "the file's format library could not read it (a broken Parquet footer...)"),
    "html_parse_error": Reason("input", "no HTML document could be parsed from the markup"),
    "unsupported_format": Reason("input", "no reader for the file's suffix"),
    "not_found": Reason("input", "an INPUT path that does not exist"),
    "broken_link": Reason("input", "a symlink whose target does not exist, or a loop of symlinks"),
    "length_mismatch": Reason("input", "a WARC record's Content-Length is no byte count, or does not end where its "
                                       "block ends (the record is not kept; the records after it are read)"),
    "no_records": Reason("input", "the file holds no record: empty, only blank lines, zero rows, or no "
                                  "response record"),
    # the limits (options)
    "too_large": Reason("limit", "the record is over max_page_bytes (never read whole into memory)"),
    "too_many_lines": Reason("limit", "a flattened page has more lines than max_page_lines (checked before "
                                      "cleaning, which holds about 1.5 KB a line)"),
    "too_deep": Reason("limit", "HTML elements nest deeper than max_html_depth"),
    "timeout": Reason("limit", "HTML extraction took longer than html_timeout seconds (the worker is killed)"),
    # failures while cleaning
    "cleaning_error": Reason("fault", "the cleaner raised on this page (a bug: please report it with the page)"),
    "extraction_crash": Reason("fault", "the HTML extraction process died on this page (parser crash, out of "
                                        "memory)"),
    "shard_failed": Reason("fault", "the cleaning task holding this file failed after its retries; nothing of "
                                    "the file was kept and the next run retries it"),
    # by design
    "hidden_file": Reason("skipped", "a dot-file inside an INPUT folder (pass it as INPUT to read it)"),
    "hidden_directory": Reason("skipped", "a dot-folder inside an INPUT folder"),
    "duplicate_input": Reason("skipped", "the same bytes under the same name twice (or a folder linked twice)"),
    "outside_input": Reason("skipped", "a symlink in an INPUT folder that leads out of every INPUT (follow_links "
                                       "all reads it)"),
    "not_regular_file": Reason("skipped", "a FIFO, socket or device (a link to /dev/zero...): it has no end, so "
                                          "it is not read"),
    "own_output": Reason("skipped", "the run's own output folder (or, when OUTPUT is an INPUT, the tool's own "
                                    "entries in it): never read back as input"),
    "http_status": Reason("skipped", "a WARC response with a non-2xx HTTP status (error pages, redirects)"),
    # the content
    "empty_after_cleaning": Reason("content", "no article of min_article_words words was left after chrome "
                                              "removal"),
}

#: Kinds that ``--strict`` fails a run for: something that should have been read was not.
STRICT_KINDS = frozenset({"input", "limit", "fault"})

#: The option behind each ``limit`` reason: a run with another value reads again the files these rows came
#: from, and replaces the rows (:mod:`cleaners.io.ledger`).
LIMIT_OPTIONS: dict[str, str] = {"too_large": "max_page_bytes", "too_many_lines": "max_page_lines",
                                 "too_deep": "max_html_depth",
                                 "timeout": "html_timeout"}


def kind_of(reason: str) -> Kind:
    """The kind of a reason; an unknown one counts as a fault (it is a bug that it is not listed)."""
    entry = REJECTIONS.get(reason)
    return entry.kind if entry else "fault"


def strict_failures(rejected_by_reason: dict[str, int]) -> dict[str, int]:
    """The counts ``--strict`` fails on."""
    return {r: n for r, n in rejected_by_reason.items() if kind_of(r) in STRICT_KINDS and n}


# --------------------------------------------------------------------- removals
#: What a removed line (a row of ``removed/``) was: page ``chrome`` (dropped), ``metadata``
#: (moved into an article column: title, author, published, site/section) or a ``repeat``
#: (collapsed inside an article, its first occurrence kept).
RemovalKind = Literal["chrome", "metadata", "repeat"]


@dataclass(frozen=True, slots=True)
class Removal:
    kind: RemovalKind
    meaning: str
    #: The row holds text cut from inside a kept line, not a whole line (``glued_promo``): it is
    #: chrome, but counted apart from chrome lines ("glued promos cut" in the run summary).
    partial: bool = False


#: Every reason a line can leave the text with (``removed/``, ``removed_by_reason``, the
#: report). A test checks that every reason the text and HTML stages can emit is listed, and
#: that the README's table "What was removed, and why" lists exactly these.
REMOVALS: dict[str, Removal] = {
    # chrome: line rules (cleaners/text/rules.py LINE_RULES) and the blocks their headers open
    "comments": Removal("chrome", "a comment widget or form line, or a line in the comments block below one"),
    "adblock_notice": Removal("chrome", "an ad-blocker notice"),
    "cookie_notice": Removal("chrome", "a cookie or consent notice"),
    "related_block": Removal("chrome", "a related/recommended header, or a line in the block below one"),
    "related_link": Removal("chrome", 'a "Related: …" link'),
    "read_more": Removal("chrome", 'a bare "Read more" link label'),
    "listing_header": Removal("chrome", "a feed header (\"Latest news\")"),
    "listing_block": Removal("chrome", "a line inside a feed block, below its header"),
    "breadcrumb": Removal("chrome", '"Home » News » …"'),
    "navigation": Removal("chrome", "a menu or skip label"),
    "footer": Removal("chrome", '"© 2024 …", "All rights reserved", legal links; what follows them'),
    "share_prompt": Removal("chrome", "a share or follow bar"),
    "newsletter_prompt": Removal("chrome", "a newsletter or sign-up prompt"),
    "hashtags": Removal("chrome", "a line of hashtags"),
    "promo": Removal("chrome", "a feature or app promotion (a whole line of promotion sentences)"),
    "advertisement": Removal("chrome", "an ad slot label"),
    "image_caption": Removal("chrome", 'a photo caption ending in its credit ("(Image: Getty)", "Photo: AP")'),
    "template_residue": Removal("chrome", "unrendered comments, template tags, shortcodes, bare markup"),
    # chrome: the site, the body region, the page's structure
    "site_boilerplate": Removal("chrome", "a short line the same site repeats on most of its pages"),
    "outside_body": Removal("chrome", "outside the page's dense body region"),
    "low_body_score": Removal("chrome", "inside the body region, but scored as chrome by the line model"),
    "outside_article": Removal("chrome", "outside the page's article (or the head and body of one too short "
                                         "to keep)"),
    "teaser_entry": Removal("chrome", "a feed or related entry too short to be an article"),
    "glued_promo": Removal("chrome", "a promotion cut from the end of a paragraph (the row holds only the cut "
                                     "text)", partial=True),
    # chrome: HTML elements removed by intent before extraction (cleaners/html/chrome.py)
    "html_ad": Removal("chrome", "an ad slot, ad network or sponsored element"),
    "html_related": Removal("chrome", "a related, recommended or popular-stories element (whole articles in it "
                                      "are kept as related articles)"),
    "html_comments": Removal("chrome", "a reader comments element"),
    "html_newsletter": Removal("chrome", "a newsletter, subscription or paywall element, or a form"),
    "html_consent": Removal("chrome", "a cookie or consent banner or dialog"),
    "html_share": Removal("chrome", "a share or follow bar"),
    "html_navigation": Removal("chrome", "navigation, breadcrumbs, menus, skip links, the masthead"),
    "html_footer": Removal("chrome", "the page footer, a sidebar or an aside"),
    # chrome: a block of an HTML page the learned combiner judged not body (cleaners/html/combine.py)
    "html_not_body": Removal("chrome", "a block of an HTML page the combiner of extractors scored as not "
                                       "article body"),
    # repeats collapsed inside an article
    "repeated_line": Removal("repeat", "a line repeated word for word inside an article"),
    "repeated_paragraph": Removal("repeat", "a paragraph nearly repeating an earlier one of the article"),
    "title_repeat": Removal("repeat", "the headline repeated in the article's body"),
    # moved into an article column
    "title": Removal("metadata", "the headline, moved into `title`"),
    "byline": Removal("metadata", "a byline, moved into `author`"),
    "dateline": Removal("metadata", "a date line, moved into `published`"),
    "entry_meta": Removal("metadata", "a feed entry's site, date and tag lines, moved into `site`/`section`/"
                                      "`published`"),
}

#: The reason of a promotion cut from the end of a paragraph (the one ``partial`` removal).
GLUED_PROMO = "glued_promo"


def _reasons_where(kind: RemovalKind | None = None, partial: bool | None = None) -> frozenset[str]:
    return frozenset(r for r, e in REMOVALS.items()
                     if (kind is None or e.kind == kind) and (partial is None or e.partial == partial))


#: Lines moved into metadata columns rather than dropped.
METADATA_REMOVALS = _reasons_where("metadata")
#: Text that repeated text kept elsewhere in its article.
REPEAT_REMOVALS = _reasons_where("repeat")
#: All chrome, whole lines and cut tails.
CHROME_REMOVALS = _reasons_where("chrome")
#: Removals that are part of a kept line, not a whole line.
PARTIAL_REMOVALS = _reasons_where(partial=True)
#: Reasons that are not whole chrome lines: what the chrome counts of the summary and report leave out.
NOT_CHROME_LINES = METADATA_REMOVALS | REPEAT_REMOVALS | PARTIAL_REMOVALS


def removal_kind(reason: str) -> RemovalKind:
    """The kind of a removal reason; an unknown one counts as chrome (as it always has)."""
    entry = REMOVALS.get(reason)
    return entry.kind if entry else "chrome"


def is_chrome_line(reason: str) -> bool:
    """A whole line removed as chrome: not moved into a column, not a repeat, not a cut tail."""
    return reason not in NOT_CHROME_LINES
