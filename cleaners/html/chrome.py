"""Chrome elements of an HTML page, found by intent and removed before extraction.

Every pattern says what the element is for (its reason code is the intent),
matched on the tag, the ARIA role, and the words of ``id``, ``class`` and
``aria-label``. Words are the attribute split at spaces, dashes and
underscores and at camelCase humps ("relatedArticles" -> related, articles),
so "ad" matches ``ad-slot`` but not ``header`` or ``shadow``.

Two guards protect the article, whatever its names say (``class="post
has-comments"`` or ``content-sidebar-wrap`` wrap the whole story on some
themes): the element holding the most paragraph text and its ancestors are
never removed, nor is an element holding a large share of the page's text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from .flatten import SKIP_TAGS

#: Word patterns per intent; a class/id/aria word must match one whole (re.fullmatch).
_WORDS: dict[str, str] = {
    # ad slots, ad networks and sponsored units
    "html_ad": r"ads?|adv|advert\w*|advertis\w*|adsbygoogle|adslot|adunit|adcontainer|dfp|gpt|banner-?ad|"
               r"sponsor\w*|taboola|outbrain|promoted|commercial|werbung|anzeige|pub|publicite",
    # other stories: related, recommended, popular, read next
    "html_related": r"related\w*|recommend\w*|recirc\w*|more(?:stories|news|articles)|trending|popular|"
                    r"mostread|mostpopular|readnext|upnext|youmaylike|also|suggest\w*|teasers?",
    # reader comments and their widgets
    "html_comments": r"comments?|commentlist|disqus|respond|discussion|replies|reply",
    # newsletter and subscription prompts, paywall nags
    "html_newsletter": r"newsletters?|subscribe|subscription|signup|optin|paywall|regwall|membership",
    # cookie and consent banners
    "html_consent": r"cookies?|consent|gdpr|cmp|privacy-?banner|onetrust|didomi|usercentrics",
    # share and follow bars
    "html_share": r"share|sharing|sharebar|social|sociallinks|follow|addthis|sharethis",
    # site navigation, breadcrumbs, menus, skip links
    "html_navigation": r"nav|navbar|navigation|menu|breadcrumbs?|crumbs?|skip(?:link)?|sitemap|masthead|"
                       r"topbar|toolbar|pagination|pager",
    # page footer and sidebars
    "html_footer": r"footer|colophon|sidebar|widgets?|rail|aside",
}
#: Tags that are chrome by themselves (outside the article element).
_TAGS: dict[str, str] = {"nav": "html_navigation", "footer": "html_footer", "aside": "html_footer",
                         "form": "html_newsletter"}
#: ARIA landmark roles that are chrome.
_ROLES: dict[str, str] = {"navigation": "html_navigation", "banner": "html_navigation",
                          "contentinfo": "html_footer", "complementary": "html_footer",
                          "search": "html_navigation", "dialog": "html_consent", "alertdialog": "html_consent"}
#: Never removed: the page and its main content containers.
_PROTECTED_TAGS = frozenset({"html", "body", "main", "article"})
#: An element holding more than this share of the page's text is never removed.
MAX_TEXT_SHARE = 0.4

#: One alternation with a named group per intent: a word's intent is the group that matched.
_INTENT_WORD = re.compile("|".join(f"(?P<{reason}>{words})" for reason, words in _WORDS.items()))
_SPLIT = re.compile(r"[\s_\-:./]+|(?<=[a-z])(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class RemovedElement:
    """An element taken out of the page, for the audit."""

    reason: str
    text: str
    sourceline: int
    #: the removed subtree, for salvaging full articles out of related blocks
    element: etree._Element | None = None


def intent_of(tag: str, attrs: dict[str, str]) -> str | None:
    """The chrome intent an element's tag, role and names declare, or None."""
    role = attrs.get("role", "").strip().lower()
    if role in _ROLES:
        return _ROLES[role]
    names = " ".join(attrs.get(name, "") for name in ("id", "class", "aria-label"))
    return (_names_intent(names) if names.strip() else None) or _TAGS.get(tag)


@lru_cache(maxsize=65536)  # class lists repeat on every item of a page and across a site's pages
def _names_intent(names: str) -> str | None:
    for word in _SPLIT.split(names):
        if word and (m := _INTENT_WORD.fullmatch(word.lower())):
            return m.lastgroup
    return None


def remove_chrome(root: etree._Element) -> list[RemovedElement]:
    """Remove chrome elements from the tree in place; return what went, outermost first."""
    visible, container = _measure(root)
    total = visible.get(root, 0) or 1
    protected = set()
    node = container
    while node is not None:
        protected.add(node)
        node = node.getparent()
    removed: list[RemovedElement] = []
    gone: set[etree._Element] = set()
    for element in root.iter(etree.Element):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        parent = element.getparent()
        if parent is None or parent in gone:
            if parent is not None:
                gone.add(element)  # inside a removed subtree
            continue
        if tag in _PROTECTED_TAGS or tag in SKIP_TAGS or element in protected:
            continue
        reason = intent_of(tag, element.attrib)
        if reason is None:
            continue
        if tag in ("footer", "header") and _inside_article(element):
            continue  # an article's own header/footer holds its title, byline and tags, not site chrome
        if visible.get(element, 0) > MAX_TEXT_SHARE * total:
            continue
        text = " ".join("".join(_VISIBLE_TEXT(element)).split())
        removed.append(RemovedElement(reason, text, element.sourceline or 0, element))
        gone.add(element)
    for item in removed:
        _detach(item.element)
    return removed


_VISIBLE_TEXT = etree.XPath(
    ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]")


def _measure(root: etree._Element) -> tuple[dict[etree._Element, int], etree._Element | None]:
    """Visible characters under every element, and the body container, in one pass.

    The container is the readability heuristic: article text sits in one
    element, as ``<p>`` children (or ``<div>``s used as paragraphs) or as text
    between ``<br>`` tags; the element collecting the most such words wins.
    """
    visible: dict[etree._Element, int] = {}
    words: dict[etree._Element, int] = {}
    elements = [el for el in root.iter(etree.Element)]
    for el in reversed(elements):  # children before parents
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in SKIP_TAGS:
            visible[el] = 0
            continue
        size = len(el.text or "")
        direct = len((el.text or "").split())
        has_br = False
        for child in el:
            size += visible.get(child, 0) + len(child.tail or "")
            direct += len((child.tail or "").split())
            has_br = has_br or child.tag == "br"
        visible[el] = size
        target = el if has_br else el.getparent()
        if direct and target is not None:
            words[target] = words.get(target, 0) + direct
    container = max(words, key=words.__getitem__) if words else None
    return visible, container


def _inside_article(element: etree._Element) -> bool:
    return any(a.tag in ("article", "main") for a in element.iterancestors())


def _detach(element: etree._Element) -> None:
    """Take the element out, keeping its tail text (which belongs to the parent)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
        element.tail = None
    parent.remove(element)
