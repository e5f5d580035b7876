"""Block-flattened text of an HTML tree: one line per block element, like a browser's innerText.

The text stage (:mod:`cleaners.text`) was built and trained on such text, so
flattening a page this way lets the same line model judge HTML pages, and it
is the fallback when trafilatura finds too little. Written on lxml directly
(not ``soup.get_text``): inline elements must join into one line while block
elements break, which ``get_text("\\n")`` does not do (it splits at every link).
A newline inside a text node is whitespace, as in a browser: pretty-printed
sources break a paragraph's source lines around its links, and those breaks
are not the page's. Only ``<pre>`` keeps them.
"""
from __future__ import annotations

from lxml import etree

#: Elements that start and end a line of their own.
BLOCK_TAGS = frozenset(["address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"])
#: Elements whose text is never page text.
SKIP_TAGS = frozenset(["script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object", "embed", "canvas", "select", "option", "textarea", "input"])
#: Elements whose newlines are line breaks (``white-space: pre``).
PRE_TAGS = frozenset(["pre", "listing", "plaintext", "xmp"])


def visible(text: str, in_pre: bool) -> str:
    """A text node as the page shows it: newlines are spaces outside ``<pre>``."""
    return text if in_pre or "\n" not in text else text.replace("\n", " ")


def block_lines(root: etree._Element) -> list[str]:
    """The page's visible text as lines, one per block element, whitespace collapsed."""
    parts: list[str] = []
    _walk(root, parts)
    lines = []
    for chunk in "".join(parts).split("\n"):
        line = " ".join(chunk.split())
        if line:
            lines.append(line)
    return lines


def _walk(element: etree._Element, parts: list[str]) -> None:
    # iterative walk: deeply nested pages would exhaust Python's recursion limit
    stack: list[tuple[etree._Element, bool, bool]] = [(element, False, False)]
    while stack:
        node, closing, in_pre = stack.pop()  # in_pre: the parent's, which is what the tail needs
        tag = node.tag if isinstance(node.tag, str) else ""
        name = tag.rsplit("}", 1)[-1].lower()
        if closing:
            if name in BLOCK_TAGS:
                parts.append("\n")
            if node.tail:
                parts.append(visible(node.tail, in_pre))
            continue
        if not tag or name in SKIP_TAGS:  # comments, processing instructions, scripts
            if node.tail:
                parts.append(visible(node.tail, in_pre))
            continue
        if name in BLOCK_TAGS:
            parts.append("\n")
        elif name in ("td", "th"):
            parts.append(" ")
        inner_pre = in_pre or name in PRE_TAGS
        if node.text:
            parts.append(visible(node.text, inner_pre))
        stack.append((node, True, in_pre))
        stack.extend((child, False, inner_pre) for child in reversed(node))
