from __future__ import annotations

import lxml.html

from cleaners.html.flatten import block_lines


def test_inline_elements_join_and_block_elements_break() -> None:
    root = lxml.html.fromstring(
        "<html><body><h1>Title here</h1><p>A sentence with <a href='#'>a link</a> and <b>bold</b> text.</p>"
        "<ul><li>One</li><li>Two</li></ul><div>Line one<br>Line two</div></body></html>")
    assert block_lines(root) == ["Title here", "A sentence with a link and bold text.", "One", "Two",
                                 "Line one", "Line two"]


def test_scripts_styles_and_comments_are_not_text() -> None:
    root = lxml.html.fromstring(
        "<html><head><style>p{color:red}</style></head><body><script>var x = 1;</script><!-- note -->"
        "<p>Visible</p><noscript>Enable JavaScript</noscript>tail text</body></html>")
    assert block_lines(root) == ["Visible", "tail text"]


def test_deep_nesting_does_not_exhaust_recursion() -> None:
    from lxml import etree

    root = node = etree.Element("div")
    for _ in range(3000):  # built by hand: the HTML parser itself stops at depth 256
        node = etree.SubElement(node, "div")
    node.text = "deep"
    assert block_lines(root) == ["deep"]


def test_source_newlines_are_spaces_except_in_pre() -> None:
    # pretty-printed markup breaks a paragraph's source lines around its links; a browser shows one line
    root = lxml.html.fromstring(
        "<html><body><p>Still, the stock has slid, and peer\n      <a href='/q/LOW'>Lowe's</a>\n"
        "      (LOW) is off too.</p><pre>line one\nline two</pre><p>after</p></body></html>")
    assert block_lines(root) == ["Still, the stock has slid, and peer Lowe's (LOW) is off too.",
                                 "line one", "line two", "after"]


def test_the_last_resort_tokenizer_treats_newlines_alike() -> None:
    from cleaners.html.parse import _TextCollector

    collector = _TextCollector()
    collector.feed("<p>one\n<a>two</a>\nthree</p><pre>a\nb</pre>")
    collector.close()
    lines = [" ".join(c.split()) for c in "".join(collector.parts).split("\n")]
    assert [line for line in lines if line] == ["one two three", "a", "b"]
