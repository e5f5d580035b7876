"""A lenient HTML parse: the page's text ends up where a browser shows it, in ``<body>``.

trafilatura's loader (:func:`trafilatura.load_html`) is the first try on every
page: on a ``str`` it decodes nothing (our reader did that), strips characters
XML forbids and a one-line doctype, then parses with lxml's HTML parser
(libxml2), falling back on UTF-8 bytes when the string carries an encoding
declaration lxml refuses in a ``str``; and it returns ``None`` for a page that
does not say ``html`` in its first 50 characters and parses to fewer than two
elements (plain text, a lone fragment, a page behind 50 characters of blank
lines). libxml2 (2.14) then files some text where the rest of the stage does
not look for it or drops it. Each repair below is a small named step for one
such breakage; on a healthy page every step is a no-op and the loader's tree
is returned unchanged.

Source repairs (a, d, g), before or after the first parse:

(a) :func:`repair_prologue`: a doctype or XML declaration cut before its ``>``
    swallows the page up to the next ``>`` (all of it when no ``>`` follows).
(g) :func:`reopen_after_end_tags`: libxml2 drops everything after ``</html>``
    and leaves elements after ``</body>`` outside the body; browsers put both
    into the body.
(g) :func:`empty_unbalanced_noscript`: a ``<noscript>`` that opens a tag it
    never closes takes the rest of the page with it (libxml2 parses as a
    browser with scripting off); browsers with scripting on read its content
    as raw text up to ``</noscript>`` and show none of it.
(d) :func:`close_unclosed_tags`: thousands of start tags never closed
    (``<div>``, ``<font><b>``) nest past libxml2's 255 levels, where it stops
    parsing and everything after is lost. Chosen over
    ``HTMLParser(huge_tree=True)``, which only moves that wall to 2048 levels
    (measured on libxml2 2.14.6) and hands the rest of the stage a tree that
    deep. Runs only when the tree nests at least ``max_depth`` deep: each
    element the page never closes is closed right after its start tag, so its
    text stays and the nesting goes. Nesting the page writes out with its end
    tags stays, and is still ``too_deep`` (:mod:`.page`); the cost is one
    linear scan and a second parse of a page within ``max_page_bytes``.

Tree repairs, after the parse:

(e) :func:`as_document`: no ``<html>``/``<body>`` (a fragment, text after a
    comment or BOM, plain text without a tag) becomes a full document, so the
    rest of the stage always gets ``html``/``body``.
(c) :func:`unfold_frameset`: a frameset page shows its ``<noframes>`` content
    to a reader without frames (libxml2 keeps it as raw markup text): parsed
    and made the body.
(f) :func:`strip_namespaces`: tags in a namespace (``{ns}p``) or with a prefix
    bound to XHTML (``<h:p>``) lose it; the stage matches bare tag names.
(b) :func:`move_head_content_to_body`: libxml2 keeps HTML5 and unknown
    elements (``article``, ``main``, ``section``, ``header``...) inside
    ``<head>`` when they come before ``</head>``; browsers close the head at
    the first element that does not belong there. Moved into the body, in
    document order; the head's own elements (title, meta...) stay for the
    metadata.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from html.parser import HTMLParser as _StdlibParser

import lxml.html
import trafilatura
from lxml import etree

from .flatten import BLOCK_TAGS, PRE_TAGS, block_lines, visible

#: lxml settings trafilatura's loader parses with, for the parses it does not do itself.
_PARSER = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                               remove_comments=True, remove_pis=True)
#: Default nesting at which :func:`close_unclosed_tags` runs (``max_html_depth``'s default).
DEFAULT_MAX_DEPTH = 200
_XHTML = "http://www.w3.org/1999/xhtml"

#: Elements that belong in ``<head>``; any other element there opens the body in a browser.
HEAD_TAGS = frozenset(["title", "meta", "link", "style", "script", "base", "noscript", "template",
                       "basefont", "bgsound"])
#: Elements without end tags, and elements whose end tag the parser implies (a new ``<p>`` closes the open
#: one): never "unclosed" in the sense of :func:`close_unclosed_tags`.
_NO_END_TAG = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
                         "param", "source", "track", "wbr", "frame", "basefont", "bgsound", "image", "isindex"])
_IMPLIED_END = frozenset(["p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option",
                          "optgroup", "rb", "rt", "rtc", "rp", "colgroup", "caption", "html", "head", "body"])
_NOT_COUNTED = _NO_END_TAG | _IMPLIED_END
#: Elements whose content the tokenizer reads as text up to their end tag.
_RAW_TEXT = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")
_RAW_END = {name: re.compile(rf"</{name}[\s/>]", re.IGNORECASE) for name in _RAW_TEXT}
#: A comment opening, or a start or end tag (attributes stop at the next ``<`` so a scan stays linear).
_TAG = re.compile(r"<!--|<(/?)([A-Za-z][^\s/<>]*)([^<>]*)>")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ANY_MARKUP = re.compile(r"<[A-Za-z/!?]")
#: A declaration at the start of the page: a doctype or an XML declaration, whole or cut.
_DECLARATION = re.compile(r"<!doctype|<\?xml", re.IGNORECASE)
_PROLOGUE_GAP = re.compile(r"[\s\ufeff]*")
_LATE_END = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
_NOSCRIPT_START = re.compile(r"<noscript\b[^<>]*>", re.IGNORECASE)
_NOSCRIPT_END = re.compile(r"</noscript\s*>", re.IGNORECASE)
_WORD = re.compile(r"\w")
_PREFIXED_TAG = re.compile(r"<[A-Za-z][^\s/<>:]*:")
#: The element stray text becomes when it moves (a block: it was a run of text of its own).
_STRAY_TEXT = "p"


def parse_html(html: str, max_depth: int = DEFAULT_MAX_DEPTH) -> etree._Element | None:
    """The page's tree, ``html`` at its root with the visible text in ``body``.

    None for a blank page, or one lxml builds nothing from (only comments or declarations).

    ``max_depth``: nesting from which tags the page never closes are closed
    (:func:`close_unclosed_tags`), so that only nesting the page writes out
    counts against ``max_html_depth``.
    """
    if not html.strip():
        return None
    source = empty_unbalanced_noscript(reopen_after_end_tags(repair_prologue(html)))
    if not _ANY_MARKUP.search(source):
        return text_document(source)
    tree = as_document(_load(source), source)
    if tree is not None and nesting_reaches(tree, max_depth):
        closed = close_unclosed_tags(source)
        if closed != source:
            tree = as_document(_load(closed), closed)
    if tree is None:
        return None
    unfold_frameset(tree)
    if _PREFIXED_TAG.search(source):
        strip_namespaces(tree)
    move_head_content_to_body(tree)
    return tree


def visible_lines(html: str, max_depth: int = DEFAULT_MAX_DEPTH) -> list[str]:
    """The page's visible text, one line per block, from the lenient tree or, when lxml parses
    nothing, from Python's own tokenizer (which never gives up on markup)."""
    try:
        tree = parse_html(html, max_depth)
    except (ValueError, etree.LxmlError):
        tree = None
    if tree is not None:
        return block_lines(tree)
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return [line for line in (" ".join(chunk.split()) for chunk in "".join(collector.parts).split("\n")) if line]


def nesting_reaches(tree: etree._Element, depth: int) -> bool:
    """Whether elements nest ``depth`` deep (an XPath of that many steps, run in C: 5x faster than a walk)."""
    return bool(_depth_probe(depth)(tree))


@functools.lru_cache(maxsize=8)
def _depth_probe(depth: int) -> etree.XPath:
    return etree.XPath("boolean(/" + "/".join(["*"] * max(depth, 1)) + ")")


def markup_depth(tree: etree._Element) -> int:
    """How deep elements nest (iteratively: a recursive walk would hit Python's limit first)."""
    depth = deepest = 0
    for event, _ in etree.iterwalk(tree, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


# ------------------------------------------------------------------ parsing


def _load(source: str) -> etree._Element | None:
    try:
        return trafilatura.load_html(source)
    except (ValueError, TypeError, etree.LxmlError):
        return None


def _document(source: str) -> etree._Element | None:
    """A full document whatever the markup (lxml adds ``html`` and ``body``), None for no content."""
    source = _NOT_XML.sub("", source)  # lxml refuses them in a str (the loader strips them too)
    try:
        try:
            return lxml.html.document_fromstring(source, parser=_PARSER)
        except ValueError:  # a str with an encoding declaration: lxml wants bytes (our text is Unicode)
            return lxml.html.document_fromstring(source.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (ValueError, etree.LxmlError):  # ParserError "Document is empty": only comments or declarations
        return None


def as_document(tree: etree._Element | None, source: str) -> etree._Element | None:
    """(e) The loader's tree when it is a document; else the page parsed as one.

    The loader returns a fragment's own root (a ``div`` or ``span`` lxml made
    up, or a lone ``p``) when the page neither starts with ``<html`` or a
    doctype nor has a ``<head>`` (a BOM or a comment first, a page with no
    ``<html>``), and None for plain text or a page whose first 50 characters
    do not say ``html``.
    """
    if tree is not None and isinstance(tree.tag, str) and tree.tag.lower() == "html":
        return tree
    document = _document(source)
    return document if document is not None else tree


def text_document(source: str) -> etree._Element:
    """(e) A page without a single tag: its lines become paragraphs (lxml would make one ``<p>`` of all)."""
    root = _PARSER.makeelement("html")  # lxml.html's element class, as every other tree here
    body = etree.SubElement(root, "body")
    for number, line in enumerate(source.splitlines(), 1):
        if line.strip():
            paragraph = etree.SubElement(body, "p")
            paragraph.text = _NOT_XML.sub("", line.strip())  # lxml refuses control characters and lone surrogates
            paragraph.sourceline = number  # audit rows cite the page's own line
    return root


# ------------------------------------------------------------------ source repairs


def repair_prologue(source: str) -> str:
    """(a) Drop byte-order marks, and any doctype or XML declaration at the start that is cut short.

    A declaration runs to its ``>``: when a ``<`` comes first (the page goes on
    after the cut) or no ``>`` follows at all, the parser swallows the page's
    first tag, or all of it. A cut declaration is dropped up to the next ``<``
    (to the end of its line when no tag follows); whole ones are kept. Line
    breaks stay, so that elements keep their source lines (audit rows cite them).
    """
    pieces: list[str] = []
    pos = 0
    while True:
        gap = _PROLOGUE_GAP.match(source, pos)
        assert gap is not None  # the pattern matches the empty string
        pieces.append(gap.group().replace("\ufeff", ""))
        pos = gap.end()
        declaration = _DECLARATION.match(source, pos)
        if declaration is None:
            break
        close, cut = source.find(">", declaration.end()), source.find("<", declaration.end())
        if cut < 0:  # no tag follows: what comes after the declaration's line is text
            cut = source.find("\n", declaration.end())
            cut = len(source) if cut < 0 else cut
        if 0 <= close < cut:
            pieces.append(source[pos:close + 1])
            pos = close + 1
        else:
            pieces.append("\n" * source.count("\n", pos, cut))
            pos = cut
    return "".join(pieces) + source[pos:] if pos else source


def reopen_after_end_tags(source: str) -> str:
    """(g) Content after ``</body>`` or ``</html>``: drop those end tags so it lands in the body.

    libxml2 drops all that follows ``</html>`` (a second document pasted after
    the first, a CMS that closes the page early) and files elements after
    ``</body>`` outside it; browsers ignore both end tags. Only when visible
    text follows (scripts and comments after ``</html>`` are common and harmless).
    """
    end = _LATE_END.search(source)
    if end is None or not _has_text(source[end.end():]):
        return source
    return _LATE_END.sub("", source)


def empty_unbalanced_noscript(source: str) -> str:
    """(g) Empty every ``<noscript>`` whose content opens an element it does not close.

    Browsers run scripts, so they read a ``<noscript>`` as raw text up to
    ``</noscript>`` and show nothing of it; libxml2 parses it as markup, and an
    element left open inside it (``<noscript><div id="nojs"></noscript>``)
    keeps the noscript open to the end of the page, whose text then counts as
    hidden. Balanced ones are kept as they are (their text is the page's
    business); a match that crosses a script is left alone (the ``<noscript>``
    may sit in a script's string).
    """
    pieces: list[str] = []
    pos = 0
    while (start := _NOSCRIPT_START.search(source, pos)) is not None:
        end = _NOSCRIPT_END.search(source, start.end())
        if end is None:
            break  # the first end tag ends a noscript: none follows, so none ends a later one either
        content = source[start.end():end.start()]
        lowered = content.lower()
        if "<script" in lowered or "</script" in lowered or _balanced(content):
            pieces.append(source[pos:end.end()])
        else:
            pieces += [source[pos:start.end()], "\n" * content.count("\n"), end.group()]  # line numbers stay
        pos = end.end()
    return "".join(pieces) + source[pos:] if pieces else source


def _balanced(content: str) -> bool:
    open_count: dict[str, int] = {}
    for closing, name, _, _ in _tags(content):
        if name not in _NOT_COUNTED:
            open_count[name] = open_count.get(name, 0) + (-1 if closing else 1)
    return not any(open_count.values())


def close_unclosed_tags(source: str) -> str:
    """(d) Close each element the page never closes right after its start tag.

    Start and end tags are paired by name, last opened first closed (the
    parser's own rule for well-nested markup); a start tag left over at the end
    is an element the parser would keep open to the end of the page, nesting
    everything after it one level deeper. Closing it at once keeps its
    attributes and its place (a ``div`` still breaks a line) and lets the text
    after it stand at the level it was written at. Void elements and elements
    whose end the parser implies (``p``, ``li``, ``td``...) are left alone.
    """
    stacks: dict[str, list[int]] = {}
    for closing, name, _, end in _tags(source):
        if name in _NOT_COUNTED:
            continue
        if closing:
            if stacks.get(name):
                stacks[name].pop()
        else:
            stacks.setdefault(name, []).append(end)
    unclosed = sorted((end, name) for name, ends in stacks.items() for end in ends)
    if not unclosed:
        return source
    parts, last = [], 0
    for end, name in unclosed:
        parts += [source[last:end], f"</{name}>"]
        last = end
    parts.append(source[last:])
    return "".join(parts)


def _tags(source: str) -> Iterator[tuple[bool, str, int, int]]:
    """(closing, name, start, end) of each tag outside comments and raw-text elements (scripts...)."""
    for kind, name, start, end in _tokens(source):
        if kind in ("start", "end"):
            yield kind == "end", name, start, end


def _has_text(source: str) -> bool:
    """Whether a word character stands outside tags, comments and raw-text elements (scripts, styles...)."""
    last = 0
    for _, _, start, end in _tokens(source):
        if _WORD.search(source, last, start):
            return True
        last = end
    return _WORD.search(source, last) is not None


def _tokens(source: str) -> Iterator[tuple[str, str, int, int]]:
    """(kind, name, start, end) of each start tag, end tag, comment and raw-text content, in a single pass.

    As a browser's tokenizer reads them, simplified: an unclosed comment or raw-text element runs to the
    end of the page. Every character is looked at a bounded number of times (a tag's attributes end at
    the next ``<``), so a hostile page costs linear time.
    """
    pos = 0
    while (found := _TAG.search(source, pos)) is not None:
        if found.group(0) == "<!--":
            close = source.find("-->", found.end())
            end = len(source) if close < 0 else close + 3
            yield "comment", "", found.start(), end
            pos = end
            continue
        closing, name = found.group(1) == "/", found.group(2).lower()
        yield "end" if closing else "start", name, found.start(), found.end()
        pos = found.end()
        if not closing and (name in _RAW_END or name == "plaintext"):  # "<script/>" opens a script too
            raw_end = _RAW_END[name].search(source, pos) if name in _RAW_END else None
            end = len(source) if raw_end is None else raw_end.start()
            yield "raw", name, pos, end
            pos = end


# ------------------------------------------------------------------ tree repairs


def unfold_frameset(tree: etree._Element) -> None:
    """(c) A frameset page's ``<noframes>`` content becomes its body; the frames go (they hold no text).

    libxml2 reads ``<noframes>`` as raw text, as a browser that shows frames
    does; a reader without frames sees that content, and so does the article.
    """
    framesets = [el for el in tree if _name(el) == "frameset"]
    if not framesets:
        return
    content: list[etree._Element] = []
    for noframes in list(tree.iter("noframes")):
        if len(noframes):  # a parser that built elements inside
            content.extend(noframes)
        elif noframes.text and noframes.text.strip():
            inner = _document(noframes.text) if _ANY_MARKUP.search(noframes.text) else None
            body = inner.find("body") if inner is not None else None
            if body is not None:
                if body.text and body.text.strip():
                    content.append(_paragraph(body.text))
                content.extend(body)
            else:
                content.append(_paragraph(noframes.text))
    body = _body(tree)
    body.extend(content)
    for frameset in framesets:
        tree.remove(frameset)


def strip_namespaces(tree: etree._Element) -> None:
    """(f) ``{ns}p`` and ``h:p`` (``h`` bound to XHTML) become ``p``; other prefixed tags are left alone.

    lxml's HTML parser ignores ``xmlns`` (a wrong or bogus default namespace
    changes nothing) but keeps a prefix in the tag's name.
    """
    named = _NAMESPACED(tree)
    if not named:
        return
    prefixes = {name.split(":", 1)[1] for node in tree.iter() if isinstance(node.tag, str)
                for name, value in node.attrib.items() if name.startswith("xmlns:") and value.strip() == _XHTML}
    for el in named:
        if el.tag.startswith("{"):
            el.tag = el.tag.rsplit("}", 1)[1]
        elif ":" in el.tag and el.tag.split(":", 1)[0] in prefixes:
            el.tag = el.tag.split(":", 1)[1]
        if el.tag in ("html", "body") and el.getparent() is not None and isinstance(el, lxml.html.HtmlElement):
            el.drop_tag()  # <h:html><h:body> inside the html and body the parser made: one of each


_NAMESPACED = etree.XPath("//*[namespace-uri() != '' or contains(name(), ':')]")


def move_head_content_to_body(tree: etree._Element) -> None:
    """(b) Elements and text inside ``<head>`` that do not belong there move to the body's start, in order."""
    moved: list[etree._Element] = []
    for head in [el for el in tree if _name(el) == "head"]:
        if head.text and head.text.strip():
            moved.append(_paragraph(head.text))
            head.text = None
        for child in list(head):
            if isinstance(child.tag, str) and _name(child) not in HEAD_TAGS:
                moved.append(child)  # its tail goes with it; inserting it in the body takes it out of the head
            elif child.tail and child.tail.strip():
                moved.append(_paragraph(child.tail))
                child.tail = None
    if not moved:
        return
    body = _body(tree)
    if body.text and body.text.strip():
        moved.append(_paragraph(body.text))
        body.text = None
    for index, element in enumerate(moved):
        body.insert(index, element)


def _body(tree: etree._Element) -> etree._Element:
    """The tree's body, made when there is none (after the head, where a browser puts it)."""
    for el in tree:
        if _name(el) == "body":
            return el
    body = tree.makeelement("body")
    heads = [i for i, el in enumerate(tree) if _name(el) == "head"]
    tree.insert(heads[-1] + 1 if heads else 0, body)
    return body


def _paragraph(text: str) -> etree._Element:
    element = _PARSER.makeelement(_STRAY_TEXT)
    element.text = text
    return element


def _name(element: etree._Element) -> str:
    return element.tag.lower() if isinstance(element.tag, str) else ""


#: Elements whose text :class:`_TextCollector` does not read (what a browser does not show).
_HIDDEN = frozenset(["script", "style", "template", "title", "noscript", "svg", "select", "textarea"])


class _TextCollector(_StdlibParser):
    """Visible text from Python's tokenizer, a line break at each block element: the last resort."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
        self._pre += tag in PRE_TAGS

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
        if tag in PRE_TAGS:
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(visible(data, self._pre > 0))


__all__ = ["markup_depth", "parse_html", "visible_lines"]
