"""Block-flattened text of an HTML tree: one line per block element, like a browser's innerText.

The text stage (:mod:`cleaners.text`) was built and trained on such text, so
flattening a page this way lets the same line model judge HTML pages, and it
is the fallback when trafilatura finds too little. Written on lxml directly
(not ``soup.get_text``): inline elements must join into one line while block
elements break, which ``get_text("\\n")`` does not do (it splits at every link).
"""
from __future__ import annotations

from lxml import etree

#: Elements that start and end a line of their own.
BLOCK_TAGS = frozenset(["address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"])
#: Elements whose text is never page text.
SKIP_TAGS = frozenset(["script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object", "embed", "canvas", "select", "option", "textarea", "input"])


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
    stack: list[tuple[etree._Element, bool]] = [(element, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        name = tag.rsplit("}", 1)[-1].lower()
        if closing:
            if name in BLOCK_TAGS:
                parts.append("\n")
            if node.tail:
                parts.append(node.tail)
            continue
        if not tag or name in SKIP_TAGS:  # comments, processing instructions, scripts
            if node.tail:
                parts.append(node.tail)
            continue
        if name in BLOCK_TAGS:
            parts.append("\n")
        elif name in ("td", "th"):
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
