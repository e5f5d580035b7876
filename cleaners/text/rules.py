"""Chrome patterns for flattened page text, grouped by intent.

Each :class:`LineRule` is a *family*: one regular expression written to catch
the many ways sites phrase the same widget ("0 Comments", "Leave a Reply",
"Be the first to comment", "Kommentare"), never one site's exact words. The
``reason`` is the snake_case code that appears in the audit dataset, the run
summary and the tests. ``risk`` records how the rule could over-remove and
what bounds it (usually ``max_words``: a paragraph *about* cookies is long, a
cookie banner line is short).

Rules are matched against :func:`fold` of a line (NFKC, case-folded, single
spaces), so patterns are written in lower case. Patterns are anchored where a
whole line must be the widget; unanchored ones (``search``) require the
phrase somewhere in a short line.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .needles import Needles

BlockKind = Literal["related", "comments", "listing", "footer"]


@dataclass(frozen=True, slots=True)
class LineRule:
    """One pattern family that marks a whole line as chrome."""

    reason: str
    pattern: re.Pattern[str]
    max_words: int
    risk: str
    #: A header that ends the article body: what follows it is a block of this kind.
    ends_article: BlockKind | None = None
    #: Substrings one of which the folded line must hold before the (unanchored, slower)
    #: pattern is tried; empty for anchored patterns, which fail fast anyway.
    needs: tuple[str, ...] = ()


def fold(text: str) -> str:
    """Normalise a line for matching: NFKC, case-fold, typographic quotes, one space."""
    if not text.isascii():  # NFKC leaves ASCII unchanged; most lines are ASCII
        text = unicodedata.normalize("NFKC", text)
        for typographic, plain in _QUOTES:
            text = text.replace(typographic, plain)
    text = text.casefold()
    # spaced once already (a printable line has no white space but the space): two scans in C
    # instead of splitting into words and joining them, two thirds of this function on news lines
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


#: Typographic quotes (and NBSP) as ASCII, one ``str.replace`` each: ``str.translate`` looks every
#: character up in its table: 26 µs on a 450-character non-ASCII line of news against 0.8 µs for these five.
_QUOTES = (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u00a0", " "))


def _rule(reason: str, pattern: str, max_words: int, risk: str,
          ends_article: BlockKind | None = None, needs: tuple[str, ...] = ()) -> LineRule:
    return LineRule(reason, re.compile(pattern), max_words, risk, ends_article, needs)


_SOCIAL = (
    r"(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest|e-?mail|print|instagram|"
    r"youtube|tiktok|flipboard|messenger|copy link|sms|threads|bluesky|mastodon|tumblr|pocket|"
    r"share|tweet|vk|xing|line|viber|snapchat|rss)"
)

#: Rules in the order they are tried; the first match names the reason.
LINE_RULES: tuple[LineRule, ...] = (
    # ------------------------------------------------------------- comments widgets
    # A zero count announces no thread: it is the counter under a headline as often as the
    # header below an article, so it names the line but does not close the page below it.
    _rule("comments", r"^(?:0|no|zero)\s+(?:comments?|responses?|replies|reactions?)"
          r"(?:\s+yet)?\s*[.!…]*$", 8,
          "a heading like 'No Comments' in an essay list; bounded to the whole short line"),
    _rule("comments", r"^(?:\d+|one)\s+(?:comments?|responses?|replies|reactions?)"
          r"(?:\s+yet)?\s*[.!…]*$", 8,
          "a heading like 'Two Replies' in an essay list; bounded to the whole short line",
          ends_article="comments"),
    _rule("comments", r"^\d+ (?:comments?|responses?|replies|thoughts?|kommentare?|commentaires?|"
          r"comentarios?|commenti|comentários?|reacties|reaktionen) (?:to|on|zu|à|sur|a|en|su|op) "
          r"[\"'“‘«„‹]", 40,
          "'5 thoughts on the budget' is a listicle headline: only a count before a quoted title "
          "(WordPress's comment-list header) matches", ends_article="comments"),
    _rule("comments", r"^(?:comments?|kommentare?|commentaires?|comentarios?|commenti|comentários?|"
          r"reader comments|user comments)\s*(?:\(\d+\)|\d+)?\s*:?$", 3,
          "a subheading 'Comments' in an essay; 'Discussion' is left alone for that reason",
          ends_article="comments"),
    _rule("comments", r"^(?:leave|post|add|write|submit|join)\s+(?:a|an|your|the)\s+"
          r"(?:comment|reply|response|conversation|discussion)(?:\s+cancel reply)?\s*[:!]?$", 6,
          "'Join the discussion at the town hall.' is prose: only the bare label matches",
          ends_article="comments"),
    _rule("comments", r"^(?:(?:tell|let) us (?:know )?(?:what you think|your (?:thoughts|views|opinions?))|"
          r"what do you think\?\s*(?:let us know|tell us|leave a comment|share your))"
          r"(?:\s+(?:in|below|on|about|of|via) [^.!?,]{0,40})?[\s.!?…]*$", 16,
          "'Tell us what you think of the plan, the mayor urged' goes on after a comma: the prompt ends the line"),
    _rule("comments", r"^(?:be the first to (?:comment|reply|review)|comments? (?:are|is) closed|"
          r"(?:show|view|load|hide|read|see)(?: all| more)? (?:\d+ )?comments?|"
          r"(?:log|sign) ?in to (?:comment|reply|post)|you must be logged in to (?:post|leave) a comment|"
          r"schreibe(?:n sie)? einen kommentar|laisser un commentaire|laissez un commentaire|"
          r"deja (?:un|tu) comentario|lascia un commento)\b.*$", 12,
          "'Show comments' as prose is rare on a line of at most 12 words"),
    _rule("comments", r"^(?:cancel reply|reply|report(?: comment| abuse)?|flag|like|upvote|downvote)$", 2,
          "'Reply' or 'Report' alone on a line is a widget button, never a sentence"),
    _rule("comments", r"\bthis site uses akismet to reduce spam\b|\bcomment data is processed\b|"
          r"\byour email address will not be published\b|\brequired fields are marked\b", 40,
          "WordPress comment-form boilerplate, never article prose",
          needs=("akismet", "comment data", "will not be published", "required fields")),
    # ------------------------------------------------------------- consent: cookies and ad blockers
    _rule("adblock_notice", r"^ad ?-?blocker?s?(?: (?:detected|enabled|is on))?[.!]?$|"
          r"\b(?:disabl|deactivat|turn(?:ing)? off|paus|whitelist|allowlist)\w*\s+(?:your|the)\s+ad ?-?block|"
          r"\bwhitelist (?:us|our (?:web)?site|this (?:web)?site)\b|"
          r"\b(?:you are|you're|you seem to be|looks like you're) using an? ad ?-?blocker\b", 30,
          "an article about ad blocking says 'their ad blocker'; the rule needs 'your'/'the' and a request",
          needs=("block", "whitelist")),
    _rule("cookie_notice", r"\b(?:we|this (?:web)?site|our (?:web)?site|we and our partners) uses? cookies\b|"
          r"^(?:our |view |read our )?cookies? (?:policy|settings|preferences|consent|notice)\s*:?$|"
          r"^(?:accept|allow|reject|decline|refuse|manage|customi[sz]e)(?: all)?(?: cookies| settings)?$|"
          r"\bby (?:continuing to (?:use|browse)|using) (?:this|our) (?:web)?site\b|"
          r"^(?:alle akzeptieren|akzeptieren|tout accepter|aceptar (?:todo|cookies))$", 40,
          "an article about cookie law talks of 'its cookie banner', not 'we use cookies'",
          needs=("cookie", "by continuing", "by using", "accept", "allow", "reject", "decline", "refuse",
                 "manage", "customi", "akzept", "aceptar")),
    # the consent plugin's long "Privacy Overview" paragraphs say the same in more words
    _rule("cookie_notice", r"^(?:this (?:web)?site|our (?:web)?site|we(?: and our partners)?) uses? cookies "
          r"(?:to|that|and similar|for|on|in order)\b|"
          r"^(?:strictly )?(?:necessary|non-necessary|functional|analytics|performance|advertisement|marketing) "
          r"cookies (?:are|is|help|may|ensure)\b|^any cookies that (?:may|are)\b", 150,
          "a story quoting a site's own notice at length; the notice's words must open the paragraph ('We use "
          "cookies, the cafe owner joked' goes on otherwise)",
          needs=("cookie",)),
    # ------------------------------------------------------------- related / recommended blocks
    _rule("related_block",
          r"^(?:related|similar|more|recommended|suggested|popular|trending|top|latest|recent|further|"
          r"other|editor'?s'? picks?|our picks?)\s+(?:articles?|stories|posts|news|content|reads?|reading|"
          r"coverage|links|sources|videos|topics|headlines|items)\s*:?$", 4,
          "a subheading 'Recent news' inside an article; only ends the body once prose has started",
          ends_article="related"),
    _rule("related_block",
          r"^(?:(?:you|we think you) (?:may|might|could|will|would) (?:also )?(?:like|enjoy|love|"
          r"be interested in|want to (?:read|see|watch))|what to read next|recommended for you|"
          r"more (?:on|about) (?:this|the) (?:story|topic|subject)|(?:most|top) (?:read|popular|viewed|"
          r"shared|commented|watched)|trending(?: now)?|don'?t miss|see also|related|in other news|"
          r"more(?=\s*:)|more from (?!the\b|this\b|that\b|a\b|an\b)\w+(?: \w+)?|"
          r"ähnliche (?:artikel|beiträge)|weitere (?:artikel|nachrichten|beiträge)|verwandte artikel|"
          r"das könnte sie auch interessieren|mehr zum thema|articles? (?:similaires|associés)|"
          r"à lire aussi|lire aussi|sur le même sujet|vous aimerez aussi|noticias relacionadas|"
          r"artículos relacionados|te puede interesar|también te puede interesar|articoli correlati|"
          r"potrebbe interessarti|notícias relacionadas|leia também|veja também|"
          r"похожие (?:статьи|новости|материалы)|читайте также|другие новости|"
          # Japanese, Chinese (simplified and traditional) and Korean block headers
          r"関連(?:する)?(?:記事|エントリー|ニュース|投稿)|(?:おすすめ|オススメ|人気|新着|最新)(?:の)?記事|"
          r"あわせて読みたい|相[关關](?:文章|阅读|閱讀|新闻|新聞|推荐|推薦)|推[荐薦](?:阅读|閱讀|文章)|"
          r"[热熱]门文章|[热熱]門文章|延伸[阅閱][读讀]|猜你喜[欢歡]|관련\s?기사|많이 본 (?:뉴스|기사)|인기\s?기사)"
          r"\b[\W\d_]*$", 8,
          "a sentence that starts 'You may also like'; the pattern needs the line to end there (no letter "
          "of any script after the header)",
          ends_article="related"),
    _rule("related_link", r"^(?:related|read more|read also|also read|see also|see more|view more|more|watch|"
          r"listen|recommended|read next|read|mehr|lesen sie auch|lire aussi|lee también|leggi anche|"
          r"читайте также|смотрите также|関連記事|相关阅读|相關閱讀|延伸阅读|延伸閱讀|관련 ?기사)"
          r"\s*[:：]\s*\S.*$", 25,
          "'Read: the report' citing a document; bounded to a labelled short line"),
    _rule("related_link", r"^(?:follow|read|see|get|find|check out|explore)(?: all)?(?: of)? (?:our|the|[\w.]+(?:['’]s|s['’])) "
          r"(?:full|complete|latest|continuing|ongoing|live|in-depth|extensive) coverage (?:of|on|at)\b[^!?]{0,120}$|"
          r"^for (?:more|the latest|full|complete|all the latest|continuing) (?:coverage|news|updates|stories)"
          r"(?: on| of| about)\b[^!?]{0,100}\b(?:visit|go to|see|click|head to|check out|follow)\b", 30,
          "'The full coverage of the trial was criticised' does not open with the pointer's verb"),
    _rule("read_more", r"^(?:read|continue reading|keep reading|read the (?:full|whole|rest of the) "
          r"(?:story|article)|read (?:more|full (?:story|article))|weiterlesen|lire la suite|leer más|"
          r"continua a leggere)\s*(?:[»›>→…]|\.\.\.)*$", 6, "none known: a bare link label"),
    _rule("listing_header", r"^(?:latest|more|all|top|breaking)\s+(?:news|stories|articles|posts|headlines|"
          r"updates)(?:\s+(?:with|on|about|from|for|in|tagged)\s+[^.!?]{1,50})?\s*:?$", 10,
          "'More updates are expected later, police said.' is a sentence and does not match",
          ends_article="listing"),
    # ------------------------------------------------------------- breadcrumbs
    _rule("breadcrumb", r"^(?:home|homepage|start|startseite|accueil|inicio|início|главная)\s*"
          r"(?:[»›>/|→]|&gt;)", 40, "none known: prose does not start 'Home »'"),
    _rule("breadcrumb", r"^(?:[^»›→.!?]{1,40}[»›→]\s*){2,}[^»›→]*[^.!?»›→\s]\s*$", 25,
          "'London → Paris → Berlin takes nine hours.' is a sentence: breadcrumbs have no full stop",
          needs=("»", "›", "→")),
    # ------------------------------------------------------------- share, follow, subscribe
    _rule("share_prompt", rf"^(?:(?:share|follow us|find us|like us|join us)(?: (?:on|via|to))?\s+)?{_SOCIAL}"
          rf"(?:[\s,|/·•:]+{_SOCIAL})*\s*:?$", 12,
          "a one-word line 'Print' or 'Line' as a heading; rare in article bodies"),
    _rule("share_prompt", r"^(?:share (?:this|the) (?:article|story|post|page|video)|share this(?=\s*:?$)|"
          r"share (?:on|via|with) \w+|"
          r"click to share|share (?:link|story)|teilen|partager|compartir|condividi)\b[^.!?]{0,30}$", 8,
          "'Share prices tumble' starts with 'share': the rule needs 'share this/on/via'"),
    _rule("share_prompt", r"^follow (?:us|@\w+|\w+ on (?:twitter|x|facebook|instagram))\b.{0,60}$", 14,
          "'Follow the money' starts with 'follow' but not 'follow us'"),
    _rule("share_prompt", r"^follow (?:[\w'’.&-]+ ){1,6}on _P(?: \(@\w+\))?(?:,? (?:and |or )?_P(?: \(@\w+\))?)+"
          r"[.!]?$".replace("_P", "(?:twitter|x|facebook|instagram|linkedin|youtube|tiktok|threads|bluesky|"
                            "mastodon)"), 20,
          "'Follow these steps on Facebook.' names one platform: the line must list two or more"),
    _rule("share_prompt", r"^follow (?:us|@\w+) on _P (?:to|for) (?:keep up|stay|get|the latest|more|updates|news|"
          r"all (?:the|our))\b[^.!?]{0,80}[.!]?$".replace("_P", "(?:twitter|x|facebook|instagram|linkedin|youtube|"
                                                           "tiktok|threads|bluesky|mastodon|telegram|whatsapp)"), 25,
          "a quoted call ('Follow us on Twitter for updates, police told residents') reads the same; bounded "
          "to one short sentence naming what following brings"),
    _rule("newsletter_prompt", r"^(?:sign up|subscribe|join|get)\b.{0,50}\b(?:newsletters?|"
          r"inbox|alerts|digest|briefing)\b|\bdelivered (?:straight |directly )?to your inbox\b|"
          r"^enter your e-?mail\b|^(?:your )?e-?mail(?: address)?:?$|\bunsubscribe at any time\b|"
          r"^(?:our |the |free |daily |weekly )*newsletters?:?$", 25,
          "'Readers who subscribe to the briefing...' is prose: the prompt must open the line",
          needs=("newsletter", "inbox", "alert", "digest", "briefing", "mail", "unsubscribe")),
    _rule("newsletter_prompt", r"^(?:sign up|subscribe|register|log ?in|sign ?in|get started)"
          r"(?: now| today| for free| here| for \w+)?[.!]?$", 4, "none known: a bare button label"),
    # the sign-up box's other states: the form's invitation, the confirmation, the activation mail
    _rule("newsletter_prompt", r"^(?:please,? )?(?:fill (?:in |out )?the form (?:below )?to )?(?:subscribe|sign up) "
          r"(?:to|for) our(?: \w+){0,2} (?:newsletters?|mailing list|news service)\b|"
          r"^(?:you(?: have|'ve)(?: been)? (?:now )?(?:successfully |succesfully )?subscribed|"
          r"thanks?(?: you)? for (?:subscribing|signing up))\b|"
          r"^(?:please )?(?:activate|confirm) your (?:subscription|e-?mail address)\b|"
          r"^stay (?:up to date|updated|informed|in the loop|in the know|connected)(?: with [^.!?]{1,30})?[.!]?$",
          12, "'Residents can subscribe to the free newsletter' is prose: the widget's phrases open the line",
          needs=("subscri", "sign up", "signing up", "activat", "confirm", "stay ")),
    _rule("newsletter_prompt", r"^an? (?:e-?mail|message) with an? (?:activation|confirmation|verification) link\b|"
          r"^we(?:'ve| have) (?:just )?sent (?:you )?an? (?:activation|confirmation|verification) (?:link|e-?mail)\b|"
          r"^(?:please )?check your (?:inbox|e-?mail) (?:to|and) (?:confirm|activate|verify)\b", 40,
          "'The fraudsters sent a fake verification link' is prose: the box's message opens the line",
          needs=("activation", "confirmation", "verification", "check your")),
    # ------------------------------------------------------------- feature promos and hashtags
    _rule("hashtags", r"^hashtags?\s*:?$|^(?:#[\w-]+[\s,]*)+$", 30,
          "a line that is only hashtags is never prose"),
    _rule("promo", r"^try (?:our|the) (?:new |free )?.{0,30}\b(?:features?|app|tools?|assistant)\b.{0,30}$|"
          r"^explore what .{1,40} can do(?: for you)?\s*:?$|"
          r"^(?:download|get|install) (?:our|the) (?:free |new )?(?:\w+ ){0,2}app\b.{0,40}$", 14,
          "product reviews phrase 'try the app'; bounded to short imperative lines"),
    # a subscription offer: an imperative, a subscription word and a price or offer, in one short line
    _rule("promo", r"^(?=(?:get|subscribe|join|try|unlock|enjoy|become)\b(?!-))"
          r"(?=.{0,200}?\b(?:subscri|members?\b|membership|premium|unlimited access|digital access|"
          r"print edition|\d+ issues|delivered (?:to|through|straight to) your))"
          r"(?=.{0,240}?(?:\bfor (?:as little as|just|only|less than)\b|\bper (?:month|year|week)\b|"
          r"\b\d+ issues\b|\bfree trial\b))|"
          r"^if you (?:enjoyed|liked|appreciated|value|valued|found value in) (?:this|our|reading this) "
          r"(?:article|story|piece|post|newsletter|reporting|journalism|coverage)\b", 60,
          "a story about a paper's prices ('Subscribers get the paper for just $1 a week, the publisher "
          "said') does not open with the imperative; 'Get the vaccine for just $5' names no subscription"),
    # a show's or app's link list: "Download: https://...", "Apple Podcasts: https://..."
    _rule("promo", r"^(?:download|listen|subscribe|stream|watch|itunes|apple podcasts|spotify|google (?:play|podcasts)|"
          r"app store|stitcher|soundcloud|deezer|tunein|pocket casts|overcast|rss(?: feed)?|android|ios)\s*[:：]\s*"
          r"(?:https?://|www\.)\S+$", 25,
          "'Source: https://...' cites a document and is kept: only a platform or an action labels the URL"),
    _rule("promo", r"\b(?:promo|coupon|discount|voucher) code\b|"
          r"\b(?:use|enter|apply) (?:the |our )?code [\"'“‘][a-z0-9]{3,20}[\"'”’]", 30,
          "a shopping story quoting a discount code; 'use code from libraries' or 'the code name "
          "Overlord' needs a quoted code or a promo word",
          needs=("code",)),
    _rule("advertisement", r"^(?:advertisement|advertising|advert|sponsored(?: content| post| links?)?|ads?|"
          r"promoted(?: content)?|paid (?:post|content|partnership)|anzeige|werbung|publicité|publicidad|"
          r"pubblicità|publicidade|reklama|реклама|スポンサー(?:ド)?リンク|広告|[广廣]告|광고|"
          r"story continues below(?: advertisement)?|"
          r"continue reading(?: the main story)?(?: below)?|supported by)\s*:?$", 10,
          "none known: ad slot labels"),
    # ------------------------------------------------------------- photo captions with a credit
    # A caption line ends with its credit: "(Image: Getty)", "Photo: Jane Doe/Reuters", "Alex Wong |
    # Getty Images", "Image copyright AFP". News bodies do not end a sentence that way.
    _rule("image_caption",
          r"\((?:(?:image|photo|picture|pic|foto|bild|illustration|photograph|credit|crédit)s?(?: credits?)?"
          r"\s*:\s*[^()]{1,60}|(?:ap|afp|reuters|getty|epa|dpa|pa|ansa|efe)(?: photo| images| wire|\s*/\s*[^()]{1,60})"
          r"(?:\s*/\s*[^()]{1,60})?)\s*\)\s*$|"
          r"(?:^|[.!?] )(?:photo|image|picture|foto|photograph|main image)(?:\s+credits?|\s+source)?\s*:\s*"
          r"[^.!?:]{1,60}$|^(?:image|photo|picture) copyright (?:[^.!?]{1,40}/)?(?:getty|afp|reuters|ap|pa|epa|"
          r"dpa|bbc|\w+ images)\b|"
          r"(?:^|/|\| |\bvia )(?:getty images|shutterstock|alamy|istock(?:photo)?|pa wire|pa images)\s*\)?$|"
          r"^(?:photo|photograph|picture|image)(?:\s+(?:taken|shot))? by [^.!?]{1,60}$|"
          r"^(?:image|photo|picture|pic|foto|photograph)\s*:\s*\S|"
          r"^(?:photo |image )?credits?\s*:\s*[^.!?]{1,60}$|credit\s*(?:\.\.\.|…)\s*[^.!?]{1,60}$|"
          r"[a-z]\.(?:reuters|ap|afp|dpa|epa|getty images|shutterstock|associated press|bloomberg)$", 30,
          "a paragraph closing with a '(Photo: AP)' citation; bounded to short lines ending in the credit "
          "('(Source: ONS)' cites data and is kept; a bare '(AP)' may close a wire story and is kept)",
          # the agencies' short names only with the bracket or full stop they follow ("epa" is in "separate")
          needs=("image", "photo", "picture", "pic:", "pic :", "(pic", "foto", "bild", "illustration", "credit",
                 "crédit", "(ap", ".ap", "(afp", ".afp", "reuters", "getty", "(epa", ".epa", "(dpa", ".dpa",
                 "(pa", "pa wire", "pa images", "(ansa", "(efe", "shutterstock", "alamy", "istock",
                 "associated press", "bloomberg")),
    # ------------------------------------------------------------- template residue
    # one "^" before the whole union: re then tries the line's start only, not each of its characters
    # with every alternative (25 µs on a news paragraph holding "%" or "$"); "(?s:.*)" puts the
    # closing comment ("... -->") at any position, as a search would
    _rule("template_residue", r"^(?:<!\s*(?:--|–|—)|(?s:.*)(?:--|–|—)\s*>$|\{\{.*\}\}$|\{%.*%\}$|%%\w+%%$|"
          r"\$\{\w+\}$|\[/?[a-z_]+(?:\s[^\]]*)?\]$|</?[a-z][a-z0-9]*(?:\s[^>]*)?/?>$|"
          r"(?:undefined|null|nan|none|\[object object\])$|lorem ipsum\b|"
          r"(?:https?:)?//\S+\.(?:jpe?g|png|gif|webp|svg|avif|ico|css|js)(?:\?\S*)?$)", 80,
          "a tech article quoting a template tag mid-sentence: only whole-line residue matches; an asset's "
          "bare URL (an image, a script) on a line of its own is page metadata",
          needs=("<", ">", "{", "%", "$", "[", "undefined", "null", "nan", "none", "object", "lorem", "//")),
    # ------------------------------------------------------------- site footer
    _rule("footer", r"^(?:©|\(c\)|copyright\b)|\ball rights reserved\b|^(?:privacy policy|terms of (?:use|service)|"
          r"about us|contact us|impressum|datenschutz|mentions légales)$", 25,
          "an article quoting a copyright notice; bounded to short lines", ends_article="footer",
          needs=("©", "(c)", "copyright", "rights reserved", "privacy", "terms of", "about us", "contact us",
                 "impressum", "datenschutz", "mentions")),
    # ------------------------------------------------------------- navigation labels
    _rule("navigation", r"^(?:menu|main menu|search|skip to (?:main )?content|skip to navigation|"
          r"skip to (?:content)?skip to site index|toggle navigation|navigation|back to top|"
          r"sections|all sections|today'?s paper|my account|close|open menu|next|previous|prev|"
          r"log ?out|sign ?out|home|go to|edition|no,? thanks?|no thank you|maybe later|not now|dismiss)"
          r"\s*[»›>]?$", 6,
          "'Next' or 'Close' as a one-word heading; bounded to the bare label"),
)


# --------------------------------------------------------------------- glued promos
#: Sentences that are promotion when they close a paragraph ("... he said. Try The
#: Telegraph free for 1 month."). Only trailing sentences are tested, so a
#: mid-paragraph quote about subscriptions is never cut; the verbs must open the
#: sentence (an imperative), so "Fans can sign up now, the club said" stays.
PROMO_SENTENCE = re.compile(
    r"^(?:try .{1,60}\bfree for (?:\d+|one|a) (?:days?|weeks?|months?|years?)\b|"
    r"(?:subscribe|sign up|register)(?: now| today| here| for free)?\b|"
    r"(?:download|get|install) (?:our|the) (?:free |new )?(?:\w+ )?app\b|"
    r"follow us on\b|click here\b|support (?:our|independent|quality) (?:journalism|reporting)\b|"
    r"(?:get|enjoy|unlock) (?:unlimited|full|digital|premium) access\b)|"
    r"\baward-winning\b.{0,40}\b(?:journalism|reporting|newsroom)\b|\bmoney-saving offers\b",
)
#: A promotion is one short sentence; a long one is prose that happens to mention subscribing.
PROMO_MAX_WORDS = 25

#: Sentence boundary: end punctuation, optional closing quote or bracket, space,
#: then something that can open a sentence.
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[A-Z0-9\"'“‘(\[¿¡])")


def line_rule(text: str, words: int, folded: str | None = None, found: int | None = None) -> LineRule | None:
    """The first rule that fires on a line of ``words`` words, or None.

    ``folded`` is :func:`fold` of the text and ``found`` its :data:`NEEDLES` (found here when not
    given: a page's lines are best looked up together, see :func:`cleaners.text.chrome.mark_chrome`).

    A block header is a label, never a sentence: a line that ends with a full
    stop cannot be one, whatever words it starts with (a copyright line is the
    exception: "© 2024 Herald Media. All rights reserved." ends the page).
    """
    if words > _MAX_RULE_WORDS:
        return None
    folded = fold(text) if folded is None else folded
    found = NEEDLES.masks([folded])[0] if found is None else found
    if len(folded) <= MEMO_CHARS:  # menus, footers and labels recur on a site's every page
        return _short_line_rule(folded, words, found)
    return _first_rule(folded, words, found)


@lru_cache(maxsize=16384)
def _short_line_rule(folded: str, words: int, found: int) -> LineRule | None:
    """:func:`_first_rule`, remembered for short lines: a site's chrome lines recur on most of its
    pages (about half the short lines of the 990 snippet pages had been seen before)."""
    return _first_rule(folded, words, found)


def forget_rules() -> None:
    """Empty the memo of short lines' rules (see :func:`cleaners.text.page.forget_lines`)."""
    _short_line_rule.cache_clear()


def _first_rule(folded: str, words: int, found: int) -> LineRule | None:
    """The first rule that fires on a folded line of ``words`` words whose needles are ``found``
    (see :func:`line_rule`)."""
    # Most lines match nothing: one anchored match and the needles rule them out.
    if _ANCHORED_ANY.match(folded):
        candidates = _RULES
    elif found & _RULE_NEEDLES:
        # no anchored rule can fire, and a common word holding a needle ("fi-nan-ce") is frequent
        candidates = _NEEDLE_RULES
    else:
        return None
    sentence = _SENTENCE.search(folded) is not None
    for rule, needs in candidates:
        if words > rule.max_words or (rule.ends_article and sentence and rule.ends_article != "footer"):
            continue
        if needs and not found & needs:
            continue
        if rule.pattern.search(folded):
            return rule
    return None


_SENTENCE = re.compile(r"[^.]\.[\"')\]]*$")
_MAX_RULE_WORDS = max(rule.max_words for rule in LINE_RULES)
#: Rules without ``needs`` are anchored at the line start in every alternative (tested).
_ANCHORED_ANY = re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in LINE_RULES if not rule.needs))
#: Lines up to this long are remembered (their rule here, their feature columns by
#: cleaners.text.features.line_rows): menus, labels and footers are short, and the bound keeps a
#: memo's size in bytes, whatever a page holds.
MEMO_CHARS = 160

#: Words one of which every promotion sentence holds: lines without any skip the sentence split.
#: Every PROMO_SENTENCE alternative contains one of these (a test checks it on examples).
PROMO_HINTS = ("subscri", "sign up", "regist", "download", "install", "get ", "enjoy ", "unlock ",
               "follow us", "click here", "support", "access", "award", "offers", "try ")

#: The rules' ``needs`` (a group a rule) and the promotion hints (the last group), found in a page's
#: folded lines in one compiled pass (:class:`cleaners.text.needles.Needles`).
_NEEDY_RULES = [rule for rule in LINE_RULES if rule.needs]
NEEDLES = Needles([*(rule.needs for rule in _NEEDY_RULES), PROMO_HINTS])
_PROMO_HINTS = 1 << len(_NEEDY_RULES)
_RULE_NEEDLES = _PROMO_HINTS - 1
#: Each rule with the bit of its needles (0: none needed).
_RULES = tuple((rule, 1 << _NEEDY_RULES.index(rule) if rule.needs else 0) for rule in LINE_RULES)
_NEEDLE_RULES = tuple((rule, needs) for rule, needs in _RULES if needs)


def has_promo_hint(folded: str, found: int | None = None) -> bool:
    """Cheap pre-test on fold(text) before the sentence split (``found``: its :data:`NEEDLES`, when known)."""
    return bool((NEEDLES.masks([folded])[0] if found is None else found) & _PROMO_HINTS)
