"""Every chrome family fires on phrasings from many sites, and stays quiet on prose.

None of these examples come from the seeds: they are how other sites word
the same widgets.
"""
from __future__ import annotations

import pytest

from cleaners.text.lines import word_count
from cleaners.text.rules import LINE_RULES, fold, line_rule


def reason(text: str) -> str | None:
    rule = line_rule(text, word_count(text))
    return rule.reason if rule else None


@pytest.mark.parametrize("line, expected", [
    # comment widgets
    ("0 Comments", "comments"),
    ("12 comments", "comments"),
    ("One Response", "comments"),
    ("34 responses to “Mayor resigns after vote”", "comments"),
    ('2 thoughts on "Ten years of the bridge"', "comments"),
    ("5 Kommentare zu „Neue Brücke eröffnet“", "comments"),
    ("Comments (4)", "comments"),
    ("Kommentare", "comments"),
    ("Leave a Reply", "comments"),
    ("Leave a reply Cancel reply", "comments"),
    ("Join the conversation", "comments"),
    ("Be the first to comment", "comments"),
    ("Comments are closed.", "comments"),
    ("View 23 comments", "comments"),
    ("You must be logged in to post a comment.", "comments"),
    ("Your email address will not be published. Required fields are marked *", "comments"),
    ("Reply", "comments"),
    # consent: ad blockers and cookies
    ("AdBlocker Detected", "adblock_notice"),
    ("It looks like you're using an ad blocker. Please whitelist our site.", "adblock_notice"),
    ("Please disable your ad blocker to continue reading.", "adblock_notice"),
    ("We use cookies to give you the best experience. By continuing you agree.", "cookie_notice"),
    ("This website uses cookies to improve your experience.", "cookie_notice"),
    ("Accept all cookies", "cookie_notice"),
    ("Manage settings", "cookie_notice"),
    ("Cookie Policy", "cookie_notice"),
    ("This website uses cookies to improve your experience while you navigate through the website. Out of "
     "these, the cookies that are categorised as necessary are stored on your browser as they are essential "
     "for the basic functions of the site. We also use third-party cookies that help us analyse how you use "
     "it. These will be stored in your browser only with your consent.", "cookie_notice"),
    ("Necessary cookies are absolutely essential for the website to function properly.", "cookie_notice"),
    # related / recommended blocks
    ("Related Stories", "related_block"),
    ("More Articles", "related_block"),
    ("Recommended reading:", "related_block"),
    ("You might also like", "related_block"),
    ("We think you'll enjoy", None),  # not a known header: stays
    ("Most Read", "related_block"),
    ("Trending Now", "related_block"),
    ("Das könnte Sie auch interessieren", "related_block"),
    ("À lire aussi", "related_block"),
    ("Noticias relacionadas", "related_block"),
    ("Related: Fed holds rates steady as inflation cools", "related_link"),
    ("READ MORE: How the heatwave hit farm output", "related_link"),
    ("Read more", "read_more"),
    ("Continue reading »", "read_more"),
    ("Latest News", "related_block"),
    ("More:", "related_block"),
    ("More from Politics", "related_block"),
    ("More from Jane Smith", "related_block"),
    ("SEE MORE: Storm hits coast as rivers burst their banks", "related_link"),
    ("Читайте также: Путин заявил о росте экономики", "related_link"),
    ("Читайте также", "related_block"),
    ("関連記事", "related_block"),
    ("おすすめ記事", "related_block"),
    ("相关阅读", "related_block"),
    ("相關新聞：", "related_block"),
    ("관련기사", "related_block"),
    ("Читайте также", "related_block"),
    ("Latest stories on #climate", "listing_header"),
    # breadcrumbs
    ("Home » Sport » Football", "breadcrumb"),
    ("Home > World > Europe", "breadcrumb"),
    ("Startseite › Politik › Ausland", "breadcrumb"),
    ("News › Business › Markets", "breadcrumb"),
    # share, follow, subscribe
    ("Share", "share_prompt"),
    ("Facebook Twitter LinkedIn Email", "share_prompt"),
    ("Share on WhatsApp", "share_prompt"),
    ("Share this article", "share_prompt"),
    ("Share this:", "share_prompt"),
    ("Follow us on Instagram", "share_prompt"),
    ("Follow The Daily Planet Opinion section on Facebook, Twitter (@DPopinion) and Instagram.", "share_prompt"),
    ("Follow Jane on Twitter for more updates", "share_prompt"),
    ("Sign up for our daily newsletter", "newsletter_prompt"),
    ("Get the best stories delivered straight to your inbox.", "newsletter_prompt"),
    ("Subscribe", "newsletter_prompt"),
    ("Enter your email address", "newsletter_prompt"),
    ("Please fill in the form to subscribe to our weekly newsletter", "newsletter_prompt"),
    ("Thank you for subscribing!", "newsletter_prompt"),
    ("Thanks for signing up!", "newsletter_prompt"),
    ("An email with an activation link has been sent to your address.", "newsletter_prompt"),
    ("You have been successfully subscribed.", "newsletter_prompt"),
    ("We've sent a confirmation email to your inbox.", "newsletter_prompt"),
    ("Please confirm your subscription by clicking the link.", "newsletter_prompt"),
    ("Stay up to date with The Herald", "newsletter_prompt"),
    ("Stay informed.", "newsletter_prompt"),
    # hashtags and feature promos
    ("Tags:", None),
    ("Hashtags:", "hashtags"),
    ("#climate #energy #COP29", "hashtags"),
    ("Try our new AI summary tool", "promo"),
    ("Explore what NewsBot can do for you", "promo"),
    ("Download the BBC app", "promo"),
    ("Get a year of Daily Planet Plus for $29. Use the code \"SAVE30\" at checkout.", "promo"),
    ("Advertisement", "advertisement"),
    ("Story continues below advertisement", "advertisement"),
    ("Sponsored content", "advertisement"),
    ("スポンサードリンク", "advertisement"),
    ("广告", "advertisement"),
    # photo captions ending in their credit
    ("Firefighters at the scene on Sunday morning (Photo: AP)", "image_caption"),
    ("The bridge after the storm. (Image: Getty Images)", "image_caption"),
    ("Delegates arrive in Glasgow. Photo: Jane Doe/Reuters", "image_caption"),
    ("Mark Lennihan | Getty Images", "image_caption"),
    ("Voters queue in Ohio on Tuesday.Credit...Jane Doe for The Daily Planet", "image_caption"),
    ("Image: The minister leaves Downing Street after the vote on Monday", "image_caption"),
    ("The company's headquarters in Zurich.Reuters", "image_caption"),
    ("Lawmakers leave parliament.AP", "image_caption"),
    ("Photo credit: Jane Doe", "image_caption"),
    ("Image copyright AFP", "image_caption"),
    ("Photo by Kevin Mazur/WireImage", "image_caption"),
    ("Die Feuerwehr am Einsatzort (Foto: dpa)", "image_caption"),
    # template residue
    ("<!-- wp:paragraph -->", "template_residue"),
    ("<!– insert pull quote here –>", "template_residue"),
    ("{{ article.byline }}", "template_residue"),
    ("[caption id=\"attachment_12\" align=\"alignnone\"]", "template_residue"),
    ("</div>", "template_residue"),
    ("undefined", "template_residue"),
    ("https://cdn.example.org/images/2024/05/storm-coast-1200x630.jpg", "template_residue"),
    # follow prompts naming one platform, subscription offers, coverage pointers, comment prompts
    ("Follow @CityDeskNews on Twitter to keep up with the latest from the council.", "share_prompt"),
    ("Follow us on Instagram for the latest photos from the festival.", "share_prompt"),
    ("Get The Weekly Gardener delivered to your door every month. 6 issues for just £9.99.", "promo"),
    ("Subscribe today for just $1 a week and get unlimited digital access.", "promo"),
    ("Unlock premium membership for as little as €3 per month.", "promo"),
    ("If you enjoyed this story, please consider becoming a member.", "promo"),
    ("Spotify: https://open.spotify.com/show/abc123", "promo"),
    ("Download: https://example.fm/episodes/42.mp3", "promo"),
    ("Read our full coverage of the storm here.", "related_link"),
    ("Follow Reuters' continuing coverage of the summit at reuters.com/summit", "related_link"),
    ("For more coverage of the election, visit our live blog.", "related_link"),
    ("Tell us what you think in the comments below.", "comments"),
    ("What do you think? Let us know in the comments.", "comments"),
    ("Let us know your thoughts", "comments"),
    # navigation labels
    ("Skip to main content", "navigation"),
    ("Back to top", "navigation"),
    ("No, thanks", "navigation"),
    ("Maybe later", "navigation"),
])
def test_rule_families_fire_on_many_phrasings(line: str, expected: str | None) -> None:
    assert reason(line) == expected


@pytest.mark.parametrize("line", [
    "The committee will leave a reply to the minister's letter on the table until Monday, aides said.",
    "Cookies baked with rye flour keep for a week, the baker said, and the recipe uses no sugar at all.",
    "Related stories of corruption have surfaced in three provinces since the spring, officials said.",
    "Home prices rose 4% in March, the fastest pace since 2022, according to the Case-Shiller index.",
    "Share prices fell sharply on Tuesday after the bank reported a loss of $2bn for the quarter.",
    "She said readers could subscribe to the idea of reform without backing every clause of the bill.",
    "Follow the money, investigators were told, and the trail led to a shell company in Cyprus.",
    "The report, which runs to 400 pages, was published on Tuesday by the Institute for Fiscal Studies.",
    "Advertising revenue fell by a fifth, the company said, as brands cut budgets across Europe.",
    "Comments made by the minister on Friday drew criticism from opposition parties.",
    "No comment was given by the ministry when contacted by reporters on Monday evening.",
    "The newsletter business has grown to 40,000 paying subscribers since it launched in 2021.",
    "More than 2,000 residents have subscribed to the council's text alerts since the floods, officials said.",
    "Voters who want to stay informed about polling station changes can call the council hotline.",
    "Officers said the suspect had confirmed your email address was used, according to the charge sheet.",
])
def test_prose_is_never_chrome(line: str) -> None:
    assert reason(line) is None


@pytest.mark.parametrize("line", [
    # short prose and headlines: the word caps do not protect these, the patterns must
    "Share prices tumble as bank reports $2bn loss",
    "Share this with anyone who still thinks the pension is safe.",
    "Join the discussion at the town hall on Thursday evening.",
    "More updates are expected later on Tuesday, police said.",
    "Voters must register by email or in person before the deadline.",
    "Journey times: London → Paris → Berlin now takes just under nine hours by train.",
    "The designer replaced the lorem ipsum placeholder copy with real headlines.",
    "Discussion",
    "Related deaths rise in heatwave",
    "Comments by the minister sparked anger",
    "5 thoughts on the budget",
    "Follow-up tests confirmed the infection",
    "Latest figures show a rise in prices.",
    "About a third of users disable their ad blocker when asked, the survey found.",
    "Regulators fined the retailer because its cookie banner made refusing hard.",
    "Stay informed about the dangers of ice",
    "関連記事の書き方について説明します。",
    "广告行业的增长放缓了",
    "No thanks to the weather, the match was called off.",
    "The photo was taken by a passer-by on Tuesday.",
    "The photographer said the image was doctored.",
    "Getty Images sold the archive to a private buyer last year.",
    "More from the interview will air on Sunday.",
    "Follow the money on Twitter, the investigator told reporters.",
    "More",
    "More from the interview",
    "The code is law, the judge said, and it applies to everyone.",
    "The operation, launched with the code name Overlord, was kept secret for months.",
    "Developers can use code from open-source libraries without paying licence fees.",
    "Banks must apply the code consistently, the regulator said on Tuesday.",
    "Users can enter the code sent by text message to log in.",
    "The campaign urged voters to sign up for the party newsletter before the deadline.",
    "Residents can subscribe to the free newsletter at the town hall, the mayor said.",
    "Police said the fraudsters used a fake verification email sent to thousands of customers.",
    "The confirmation email was sent on Tuesday, the airline said.",
    "'Please confirm your email address,' the phishing message read.",
    "You are registered to vote if you received a polling card.",
    "Unemployment fell to 3.9%, the lowest rate since 1975 (Source: ONS)",
    "Universal Credit: how the new rules affect you",
    "He gave his team full credit: they had worked through the night",
    "The company's new brand image: modern, young and global",
    "Image copyright in the age of AI",
    "Photographer sues Getty Images",
    "Bild: Merkel plant neue Steuern für Spitzenverdiener",
    "Follow these steps on Facebook.",
    "Другие новости: в Москве выпал снег",
    "인기 기사, 정치인들이 가장 많이 읽었다",
    "See https://example.org/report.pdf for the full report.",
    "Subscribers get the paper for just $1 a week, the publisher said.",
    "Get the vaccine for just $5 at pharmacies, the health ministry said.",
    "Start-ups get subscriptions for just $10 a month under the scheme.",
    "The full coverage of the trial was criticised by the judge.",
    "Tell us what you think of the plan, the mayor urged residents at the meeting.",
    "Join the club for just $20 a year, the organisers said.",
    "Regulators said the website uses cookies without consent, a breach of the law that could cost it millions "
    "in fines, and ordered the company to change its banner within 30 days of the ruling.",
    "Necessary reforms are overdue, the minister said of the cookie rules.",
    "Source: https://www.ons.gov.uk/releases/labour-market-may",
    "Download the report at https://example.org/report.pdf before Friday.",
])
def test_short_prose_and_headlines_are_never_chrome(line: str) -> None:
    assert reason(line) is None


def test_rules_only_fire_on_short_lines() -> None:
    """A paragraph that happens to contain a widget phrase is not a widget."""
    long_line = ("We use cookies, the cafe owner joked, pointing at the jar by the till, " * 8).strip()
    assert word_count(long_line) > 60
    assert reason(long_line) is None


def test_every_rule_has_snake_case_reason_and_a_risk_note() -> None:
    for rule in LINE_RULES:
        assert rule.reason.replace("_", "").isalpha() and rule.reason.islower(), rule.reason
        assert rule.risk, rule.reason


def test_fold_normalises_case_quotes_and_spaces() -> None:
    assert fold("  You\u2019LL   ALSO\u00a0like ") == "you'll also like"


def top_level_alternatives(pattern: str) -> list[str]:
    """Split a regex at its top-level '|' (outside groups and classes)."""
    parts, depth, in_class, escaped, start = [], 0, False, False, 0
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    return parts + [pattern[start:]]


def test_rules_without_needles_are_anchored_so_the_prefilter_is_exact() -> None:
    """line_rule skips a line when no anchored rule matches at its start and no needle occurs;
    that is only sound if every rule without needles is anchored in every alternative."""
    assert top_level_alternatives("^a|b(c|d)|[|]") == ["^a", "b(c|d)", "[|]"]
    for rule in LINE_RULES:
        if not rule.needs:
            for alternative in top_level_alternatives(rule.pattern.pattern):
                assert alternative.startswith("^"), (rule.reason, alternative[:40])



@pytest.mark.parametrize("sentence", [
    "Try the Herald free for 30 days.", "Subscribe now for full coverage.", "Sign up today.",
    "Register for free.", "Download our app.", "Get the free app.", "Install the new Herald app.",
    "Follow us on Twitter.", "Click here to read more.", "Support independent journalism.",
    "Get unlimited access today.", "Enjoy digital access.", "Unlock premium access.",
    "Broaden your horizons with award-winning journalism.", "Exclusive money-saving offers.",
])
def test_every_promotion_form_passes_the_cheap_pre_test(sentence: str) -> None:
    from cleaners.text.rules import PROMO_SENTENCE, has_promo_hint

    folded = fold(sentence)
    assert PROMO_SENTENCE.search(folded) and has_promo_hint(folded)


def test_a_copyright_sentence_is_a_footer() -> None:
    assert reason("© 2024 Northern Star Media. All rights reserved.") == "footer"
    assert reason("Copyright 2023 Herald Group.") == "footer"


def test_fold_equals_its_definition_on_any_line() -> None:
    """fold skips splitting a line that is spaced once already; on any line it equals NFKC, the
    typographic quotes made plain, case folding and single spaces."""
    import random
    import unicodedata

    from cleaners.text.rules import _QUOTES

    def definition(text: str) -> str:
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
            for typographic, plain in _QUOTES:
                text = text.replace(typographic, plain)
        return " ".join(text.casefold().split())

    pieces = ["a", "A", " ", "  ", "\t", "\xa0", "\u200b", "\ufeff", "\u2028", "\x1f", "\u3000", "\u2009", "é", "😀",
              "\ud800", "B C", "\u00a8", "\u00b4", "ﬁ", "ß", "İ", "\u2019", "“", "\x85", "\u1680", "\uff21", "\x0b"]
    rng = random.Random(7)
    for _ in range(100_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        assert fold(text) == definition(text), repr(text)


def test_template_residue_anchored_once_equals_its_alternatives_searched() -> None:
    """The rule's union sits behind one "^" (so a search tries the line's start only); it must match
    exactly where the alternatives, each anchored on its own and the closing comment searched, do."""
    import random
    import re

    rule = next(r for r in LINE_RULES if r.reason == "template_residue")
    reference = re.compile(
        r"^<!\s*(?:--|–|—)|(?:--|–|—)\s*>$|^\{\{.*\}\}$|^\{%.*%\}$|^%%\w+%%$|^\$\{\w+\}$|"
        r"^\[/?[a-z_]+(?:\s[^\]]*)?\]$|^</?[a-z][a-z0-9]*(?:\s[^>]*)?/?>$|"
        r"^(?:undefined|null|nan|none|\[object object\])$|^lorem ipsum\b|"
        r"^(?:https?:)?//\S+\.(?:jpe?g|png|gif|webp|svg|avif|ico|css|js)(?:\?\S*)?$")
    pieces = ["<!", "--", "–", "—", " ", ">", "{{", "}}", "{%", "%}", "%%", "x", "_", "${", "}", "[", "/", "]", "<",
              "a", "b1", "=", "undefined", "null", "nan", "none", "[object object]", "lorem ipsum", "http:", "https:",
              "//", "s.", "jpg", "png", "?q", "\n", "é", "5%", "$10", "-->"]
    rng = random.Random(12)
    for _ in range(100_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        assert (rule.pattern.search(text) is None) == (reference.search(text) is None), repr(text)
