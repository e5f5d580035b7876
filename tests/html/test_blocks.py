from __future__ import annotations

import numpy as np
import trafilatura

from cleaners.html.blocks import DOM_COLUMNS, dom_features, mark_removed, page_blocks
from cleaners.html.chrome import remove_chrome
from cleaners.html.flatten import block_lines

from .pages import PARAGRAPHS, article_page


def _col(rows: np.ndarray, i: int, name: str) -> float:
    return float(rows[i, DOM_COLUMNS.index(name)])


def test_blocks_are_the_flattened_lines_tied_to_their_elements() -> None:
    tree = trafilatura.load_html(article_page())
    blocks = page_blocks(tree)
    assert [b.text for b in blocks] == block_lines(tree)
    para = next(b for b in blocks if b.text == PARAGRAPHS[0])
    assert para.element.tag == "p" and para.link_chars == 0
    share = next(b for b in blocks if b.text.startswith("Share on"))
    assert share.element.get("class") == "share-bar" and share.link_chars == len(share.text) - 1  # one space


def test_text_after_a_nested_block_belongs_to_the_outer_block() -> None:
    tree = trafilatura.load_html("<html><body><div>before<p>inner <a>link</a></p>after <b>bold</b></div>"
                                 "</body></html>")
    blocks = page_blocks(tree)
    assert [(b.text, b.element.tag, b.link_chars) for b in blocks] == [
        ("before", "div", 0), ("inner link", "p", 4), ("after bold", "div", 0)]


def test_dom_features_say_where_a_block_sits_and_what_its_ancestors_declare() -> None:
    html = article_page(related="<ul><li><a href='/x'>Storm damages pier again this week</a></li></ul>")
    tree = trafilatura.load_html(html)
    blocks = page_blocks(tree)
    rows = dom_features(tree, blocks)
    texts = [b.text for b in blocks]
    body = texts.index(PARAGRAPHS[1])
    teaser = texts.index("Storm damages pier again this week")
    comment = next(i for i, t in enumerate(texts) if t.startswith("Great article"))
    assert _col(rows, body, "tag_p") == 1 and _col(rows, body, "in_article") == 1
    assert _col(rows, body, "in_container") == 1 and _col(rows, body, "link_density") == 0
    assert _col(rows, teaser, "intent_related") == 1 and _col(rows, teaser, "in_li") == 1
    assert _col(rows, teaser, "link_density") == 1 and _col(rows, teaser, "in_container") == 0
    assert _col(rows, comment, "intent_comments") == 1
    heading = texts.index("Ferry terminal opening delayed to spring")
    assert _col(rows, heading, "tag_heading") == 1
    # chrome removal has not run yet: nothing is flagged; afterwards the removed blocks are
    assert rows[:, DOM_COLUMNS.index("chrome_removed")].sum() == 0
    remove_chrome(tree)
    gone = mark_removed(tree, blocks, rows)
    assert gone[teaser] and gone[comment] and not gone[body]
    assert _col(rows, comment, "chrome_removed") == 1


def test_source_newlines_inside_a_paragraph_do_not_split_its_block() -> None:
    tree = trafilatura.load_html("<html><body><p>Shares of\n  <a href='/q/HD'>Home Depot</a>\n  fell.</p>"
                                 "<pre>a\nb</pre></body></html>")
    blocks = page_blocks(tree)
    assert [(b.text, b.element.tag, b.link_chars) for b in blocks] == [
        ("Shares of Home Depot fell.", "p", 10), ("a", "pre", 0), ("b", "pre", 0)]
    assert [b.text for b in blocks] == block_lines(tree)
