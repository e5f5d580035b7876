"""The page's blocks (the lines of :func:`.flatten.block_lines`) tied to their elements, with DOM features.

The combiner (:mod:`.combine`) judges a page block by block; what the markup
says about a block is the part of its evidence no text-only method sees:
whether it is a heading, a list item or a table cell, how much of it is link
text, which chrome intent (:func:`.chrome.intent_of`) its nearest named
ancestor declares, whether it sits inside ``<article>``/``<main>`` or the
readability-style text container, what its ancestors' class/id words say,
and where it sits on the page. Lines are the same as :func:`.flatten.block_lines`
gives (a test holds them equal), so the text stage's line model can score them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from lxml import etree

from .chrome import _measure, intent_of
from .flatten import BLOCK_TAGS, PRE_TAGS, SKIP_TAGS, visible

#: Chrome intents, in the order of their one-hot columns.
INTENTS = ["html_ad", "html_related", "html_comments", "html_newsletter", "html_consent", "html_share",
           "html_navigation", "html_footer"]
#: Block tags grouped into the one-hot columns; anything else is "other".
_TAG_GROUPS = {"p": "p", "div": "div", "li": "li", "td": "cell", "th": "cell", "dd": "dl", "dt": "dl",
               "h1": "heading", "h2": "heading", "h3": "heading", "h4": "heading", "h5": "heading",
               "h6": "heading", "blockquote": "quote", "pre": "quote", "figcaption": "caption",
               "caption": "caption", "section": "div", "article": "div"}
_GROUPS = ["p", "div", "li", "cell", "dl", "heading", "quote", "caption"]
#: class/id words of containers that hold articles, and of ones that hold everything around them.
_CONTENT_NAMES = re.compile(r"content|article|body|post|entry|story|text|main|blog|news|beitrag|artikel|inhalt")
_META_NAMES = re.compile(r"caption|credit|meta|byline|author|date|time|tags?|categor|label|hidden|modal|popup|"
                         r"teaser|card|thumb|widget|promo|title|heading|headline")

DOM_COLUMNS = (
    [f"tag_{g}" for g in _GROUPS]
    + ["link_density", "in_li", "in_list", "in_table", "in_cell", "in_article", "in_container",
       "container_child", "in_heading", "in_form"]
    + [f"intent_{i.removeprefix('html_')}" for i in INTENTS]
    + ["chrome_removed", "content_name", "meta_name", "relative_position", "log_depth", "depth_to_container"]
)


@dataclass(slots=True)
class Block:
    """One line of the block flattening and the block element it belongs to."""

    text: str
    element: etree._Element
    link_chars: int


def page_blocks(root: etree._Element) -> list[Block]:
    """The page's blocks in reading order, one per :func:`.flatten.block_lines` line."""
    pieces: list[tuple[str, etree._Element | None, bool]] = []  # (text, owner, in a link); text "\n" breaks
    # (node, closing, owner, in a link, in <pre>); when closing, the last three are the parent's, for the tail
    stack: list[tuple[etree._Element, bool, etree._Element, bool, bool]] = [(root, False, root, False, False)]
    while stack:
        node, closing, owner, in_link, in_pre = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        name = tag.rsplit("}", 1)[-1].lower()
        if closing:
            if name in BLOCK_TAGS:
                pieces.append(("\n", None, False))
            if node.tail:
                pieces.append((visible(node.tail, in_pre), owner, in_link))
            continue
        if not tag or name in SKIP_TAGS:
            if node.tail:
                pieces.append((visible(node.tail, in_pre), owner, in_link))
            continue
        inner_owner = node if name in BLOCK_TAGS or name in ("td", "th") else owner
        inner_link = in_link or name == "a"
        inner_pre = in_pre or name in PRE_TAGS
        if name in BLOCK_TAGS:
            pieces.append(("\n", None, False))
        elif name in ("td", "th"):
            pieces.append((" ", None, False))
        if node.text:
            pieces.append((visible(node.text, inner_pre), inner_owner, inner_link))
        stack.append((node, True, owner, in_link, in_pre))
        stack.extend((child, False, inner_owner, inner_link, inner_pre) for child in reversed(node))
    return _join(pieces)


def _join(pieces: list[tuple[str, etree._Element | None, bool]]) -> list[Block]:
    blocks: list[Block] = []
    parts: list[str] = []
    owner: etree._Element | None = None
    link = 0

    def close() -> None:
        text = " ".join("".join(parts).split())
        if text and owner is not None:
            blocks.append(Block(text, owner, min(link, len(text))))

    for text, element, in_link in pieces:
        if element is None and text == "\n":
            close()
            parts, owner, link = [], None, 0
            continue
        for k, chunk in enumerate(text.split("\n")):  # a newline left in text (inside <pre>) breaks the line
            if k:
                close()
                parts, owner, link = [], None, 0
            parts.append(chunk)
            if chunk.strip():
                if owner is None and element is not None:
                    owner = element
                if in_link:
                    link += len(" ".join(chunk.split()))
    close()
    return blocks


def dom_features(root: etree._Element, blocks: list[Block]) -> np.ndarray:
    """:data:`DOM_COLUMNS` per block, from one top-down pass over the tree (before chrome removal).

    ``chrome_removed`` is 0 here; :func:`mark_removed` sets it once chrome removal has run.
    """
    _, container = _measure(root)
    props: dict[etree._Element, tuple] = {}
    gone: set[etree._Element] = set()
    container_depth = 0
    for el in root.iter(etree.Element):
        parent = el.getparent()
        tag = el.tag.rsplit("}", 1)[-1].lower() if isinstance(el.tag, str) else ""
        base = props.get(parent) if parent is not None else None
        if base is None:
            base = (0, False, False, False, False, False, False, False, False, None, False, False, False, False)
        depth, in_li, in_list, in_table, in_cell, in_article, in_container, cont_child, in_heading, intent, \
            is_removed, content, meta, in_form = base
        names = " ".join(el.get(a, "") for a in ("id", "class")).lower()
        own_intent = intent_of(tag, el.attrib) if tag not in ("html", "body") else None
        props[el] = (
            depth + 1, in_li or tag == "li", in_list or tag in ("ul", "ol", "dl"), in_table or tag == "table",
            in_cell or tag in ("td", "th"), in_article or tag in ("article", "main"),
            in_container or el is container, cont_child or parent is container,
            in_heading or tag in ("h1", "h2", "h3", "h4", "h5", "h6"), own_intent or intent,
            is_removed or el in gone, content or bool(names and _CONTENT_NAMES.search(names)),
            meta or bool(names and _META_NAMES.search(names)), in_form or tag == "form",
        )
        if el is container:
            container_depth = depth + 1
    n = len(blocks)
    rows = np.zeros((n, len(DOM_COLUMNS)))
    for i, block in enumerate(blocks):
        p = props.get(block.element)
        if p is None:
            continue
        depth, in_li, in_list, in_table, in_cell, in_article, in_container, cont_child, in_heading, intent, \
            is_removed, content, meta, in_form = p
        tag = block.element.tag.rsplit("}", 1)[-1].lower() if isinstance(block.element.tag, str) else ""
        group = _TAG_GROUPS.get(tag)
        onehot = [float(group == g) for g in _GROUPS]
        intents = [float(intent == name) for name in INTENTS]
        rows[i] = onehot + [
            block.link_chars / max(len(block.text), 1), in_li, in_list, in_table, in_cell, in_article,
            in_container, cont_child, in_heading, in_form,
        ] + intents + [is_removed, content, meta, i / max(n - 1, 1), np.log1p(depth),
                       np.tanh((depth - container_depth) / 4.0) if container_depth else 0.0]
    return rows


def mark_removed(root: etree._Element, blocks: list[Block], rows: np.ndarray) -> np.ndarray:
    """Flag the blocks chrome removal took out: their element no longer hangs under ``root``."""
    col = DOM_COLUMNS.index("chrome_removed")
    tops: dict[etree._Element, bool] = {}
    out = np.zeros(len(blocks), dtype=bool)
    for i, block in enumerate(blocks):
        el = block.element
        if el not in tops:
            top = el
            for top in el.iterancestors():
                pass
            tops[el] = top is not root and el is not root
        out[i] = tops[el]
    rows[:, col] = out
    return out
