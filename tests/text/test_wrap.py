"""Hard-wrapped plain text is rejoined into paragraphs before its lines are judged.

Made-up texts in several languages wrapped like ``fmt``/email at 60-80 columns,
and the texts that must be left alone (a block per line, a text node per line,
verse, a table, a list). The acceptance test wraps the extraction benchmark's
true article bodies and runs the whole text stage on them.
"""
from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from cleaners.config import CleanConfig
from cleaners.model import RemovedLine
from cleaners.reasons import GLUED_PROMO
from cleaners.text.chrome import mark_chrome
from cleaners.text.line_model import load_models
from cleaners.text.lines import split_lines
from cleaners.text.page import clean_page
from cleaners.text.wrap import MIN_BREAKS, document_span, rejoin_wrapped, restore_rows, unwrap
from tests.conftest import make_page

TEXTS = {
    "en": [
        ("The harbour authority said on Thursday that the old swing bridge would stay closed to "
        "heavy lorries until the end of the year, after engineers found corrosion in two of the "
        "steel cables that hold the deck in place during high tides."),
        ("Local traders, who have complained for months about the long detour through the "
        "industrial estate, asked the council to pay for a temporary ferry, but officials said "
        "the cost would be far too high for a service that might run only a few weeks."),
        ("A spokesman for the authority added that repairs would begin in early spring, once the "
        "winter storms had passed, and that a full report on the state of the bridge would be "
        "published before the next meeting of the harbour board in March."),
    ],
    "de": [
        ("Die Stadtverwaltung hat am Dienstag angekündigt, dass die Bibliothek am Marktplatz im "
        "kommenden Jahr für mehrere Monate geschlossen wird, weil das Dach und die Heizung "
        "dringend erneuert werden müssen und die Arbeiten nicht bei laufendem Betrieb möglich sind."),
        ("Während der Bauzeit sollen die Bücher in einer ehemaligen Schule am Stadtrand ausgeliehen "
        "werden können, die mit dem Bus in wenigen Minuten zu erreichen ist, teilte die "
        "Leiterin der Bibliothek mit, die sich über das große Interesse der Leser freute."),
        ("Der Gemeinderat muss den Plänen noch zustimmen, doch gilt die Mehrheit als sicher, da "
        "alle Fraktionen in den vergangenen Wochen ihre Unterstützung für das Vorhaben erklärt "
        "und auf eine schnelle Entscheidung gedrängt haben."),
    ],
    "fr": [
        ("La mairie a annoncé mardi que le marché couvert du centre-ville fermera ses portes "
        "pendant trois mois à partir de janvier, afin de remplacer la toiture et de rénover les "
        "installations électriques, jugées vétustes par les services techniques de la commune."),
        ("Les commerçants seront installés provisoirement sur la place de la gare, où des stands "
        "couverts seront montés avant les fêtes, et la municipalité promet que les clients "
        "pourront y trouver les mêmes produits qu'auparavant, aux mêmes horaires d'ouverture."),
        ("Selon l'adjoint chargé du commerce, le coût total des travaux dépasse deux millions "
        "d'euros, dont une partie sera prise en charge par la région dans le cadre de son "
        "programme de soutien aux centres-villes et aux petits commerces de proximité."),
    ],
    "es": [
        ("El ayuntamiento informó el lunes de que la piscina municipal permanecerá cerrada durante "
        "todo el verano, después de que una inspección detectara grietas en el fondo del vaso "
        "principal y problemas graves en el sistema de depuración del agua."),
        ("Los vecinos del barrio, que llevan años pidiendo una reforma completa de las "
        "instalaciones, han convocado una concentración frente al edificio para el próximo "
        "sábado y exigen que las obras comiencen antes de que termine el otoño."),
        ("La concejala de deportes aseguró que el proyecto de rehabilitación ya está redactado y "
        "que el presupuesto del año que viene incluirá una partida suficiente para terminar los "
        "trabajos y reabrir la piscina a tiempo para la próxima temporada."),
    ],
    "ru": [
        ("Городская администрация сообщила во вторник, что старый мост через реку будет закрыт "
        "для грузовых машин до конца года, потому что инженеры обнаружили серьёзные повреждения "
        "в опорах и в нескольких пролётах, построенных более полувека назад."),
        ("Жители соседних районов жалуются, что объезд через промышленную зону занимает почти "
        "час, и просят власти организовать временную переправу, однако чиновники считают, что "
        "такое решение обойдётся слишком дорого и не окупится за несколько месяцев."),
        ("Ремонт моста планируется начать весной, когда закончится ледоход, а подробный отчёт о "
        "состоянии конструкции будет опубликован до следующего заседания городского совета, "
        "которое пройдёт в марте."),
    ],
}


def wrap(paragraphs: list[str], width: int, blank: bool = True) -> str:
    return ("\n\n" if blank else "\n").join(textwrap.fill(p, width) for p in paragraphs) + "\n"


def kept_lines(text: str) -> list[str]:
    lines = split_lines(text)
    rejoin_wrapped(lines, text)
    return [line.text for line in lines if line.text]


@pytest.mark.parametrize("lang", sorted(TEXTS))
@pytest.mark.parametrize("width", [60, 70, 80])
def test_wrapped_paragraphs_become_one_line_each(lang: str, width: int) -> None:
    paragraphs = TEXTS[lang]
    assert kept_lines(wrap(paragraphs, width)) == paragraphs


@pytest.mark.parametrize("lang", sorted(TEXTS))
@pytest.mark.parametrize("width", [60, 70, 80])
def test_without_blank_lines_a_short_last_line_ends_the_paragraph(lang: str, width: int) -> None:
    """No blank lines between paragraphs: a paragraph ends at its short last line. Only a last
    line that happens to fill the width may glue two paragraphs; no paragraph is ever split."""
    paragraphs = TEXTS[lang]
    text = wrap(paragraphs, width, blank=False)
    got = kept_lines(text)
    assert " ".join(got) == " ".join(paragraphs)
    full_last = sum(1 for p in paragraphs[:-1] if len(textwrap.wrap(p, width)[-1]) >= 0.75 * width)
    assert len(got) >= len(paragraphs) - full_last


@pytest.mark.parametrize("width", [60, 70, 80])
def test_two_spaces_after_a_sentence_are_not_a_table(width: int) -> None:
    paragraphs = [p.replace(". ", ".  ") for p in TEXTS["en"]]
    assert kept_lines(wrap(paragraphs, width)) == TEXTS["en"]


@pytest.mark.skipif(shutil.which("fmt") is None, reason="needs coreutils fmt")
@pytest.mark.parametrize("lang", ["de", "en", "es", "fr"])  # fmt counts bytes: Cyrillic lines come out half as wide
@pytest.mark.parametrize("width", [60, 72, 75, 80])
def test_balanced_lines_of_fmt_are_joined_too(lang: str, width: int) -> None:
    """``fmt`` aims at 93% of the width and balances lines: a line may end although the next
    word would have fitted."""
    source = "\n\n".join(TEXTS[lang]) + "\n"
    out = subprocess.run(["fmt", "-w", str(width)], input=source, capture_output=True, text=True,
                         check=True).stdout
    assert any(len(a) + 1 + len(b.split()[0]) <= width
               for a, b in zip(out.splitlines(), out.splitlines()[1:]) if a and b) or width == 60
    assert kept_lines(out) == TEXTS[lang]


def test_the_line_numbers_stay_the_pages() -> None:
    text = wrap(TEXTS["en"], 70)
    lines = split_lines(text)
    joined = rejoin_wrapped(lines, text)
    raw = text.splitlines()
    assert len(lines) == len(raw)
    for no, parts in joined.items():
        assert list(parts) == raw[no:no + len(parts)]
        assert lines[no].text == " ".join(parts)
        assert all(not lines[i].text for i in range(no + 1, no + len(parts)))


HYPHENATED = ("The committee approved a long-term, well-known and cross-border plan for the "
              "low-lying coastal towns, a so-called state-of-the-art flood-defence scheme that "
              "would protect tens of thousands of homes from storm-driven high tides, and asked "
              "the ministry for a multi-year, ring-fenced budget to pay for the sea-walls.")


@pytest.mark.parametrize("width", range(60, 81))
def test_a_word_broken_at_its_hyphen_is_whole_again(width: int) -> None:
    text = wrap([HYPHENATED, *TEXTS["en"]], width)
    assert kept_lines(text) == [HYPHENATED, *TEXTS["en"]]


def test_some_of_those_widths_break_words_at_their_hyphens() -> None:
    assert sum(any(line.endswith("-") for line in textwrap.wrap(HYPHENATED, w)) for w in range(60, 81)) >= 5


def test_a_heading_a_list_and_a_signature_inside_a_wrapped_page_stay_lines() -> None:
    en = TEXTS["en"]
    text = ("Bridge repairs: what happens next\n\n" + wrap(en[:2], 72) + "\nWhat changes for drivers:\n"
            "- lorries over 7.5 tonnes take the ring road\n- buses keep their usual stops\n"
            "- cyclists may still use the footpath\n\n" + wrap(en[2:], 72) + "\nRegards,\nJane Miller\n")
    assert kept_lines(text) == [
        "Bridge repairs: what happens next", en[0], en[1], "What changes for drivers:",
        "- lorries over 7.5 tonnes take the ring road", "- buses keep their usual stops",
        "- cyclists may still use the footpath", en[2], "Regards,", "Jane Miller"]


def test_chrome_lines_around_a_wrapped_body_are_left_as_they_are() -> None:
    """A page of web chrome with a wrapped body: the menu and the footer (one of them longer than
    the width) stay lines; only the body's paragraphs are joined."""
    de = TEXTS["de"]
    head = ["Startseite", "Nachrichten", "Sport", "Kultur", "Anmelden",
            "Bibliothek am Marktplatz schließt für Sanierung im kommenden Jahr"]
    foot = ["Teilen auf Facebook", "Twitter", ("Impressum | Datenschutz | Kontakt | Cookie-Einstellungen "
            "| Barrierefreiheit | Nutzungsbedingungen | Über uns")]
    text = "\n".join(head) + "\n\n" + wrap(de, 66) + "\n" + "\n".join(foot) + "\n"
    assert kept_lines(text) == head + de + foot


@pytest.mark.parametrize("width", [60, 70, 80])
def test_a_wrapped_page_keeps_its_article_and_its_title(width: int) -> None:
    """Through the whole text stage: the title line is the title, every body word stays, and the
    audit names the page's own lines (each removed line is the page's line at its number)."""
    title = "Harbour bridge to stay closed to lorries until the end of the year"
    text = ("Home\nNews\nLocal\nSign in\n\n" + title + "\n\nBy Sam Porter\n\n" + wrap(TEXTS["en"], width)
            + "\nShare this article\nMore from Local\nCookie settings\n")
    result = clean_page(make_page(text), CleanConfig())
    (article,) = result.articles
    assert article.title == title
    assert article.text.splitlines() == TEXTS["en"]
    raw = text.splitlines()
    for row in result.removed:
        for k, line in enumerate(row.text.split("\n")):
            assert line == "" or line == raw[row.line_no + k].strip()


def test_a_removed_wrapped_paragraph_names_all_its_lines() -> None:
    """A wrapped comment below a comments header leaves as one row holding its original lines."""
    comment = ("I have lived near the bridge for thirty years and I have never seen it in such a bad "
               "state, so the council should have acted much sooner than this, frankly.")
    text = wrap(TEXTS["en"], 64) + "\nComments\n\n" + textwrap.fill(comment, 64) + "\n"
    result = clean_page(make_page(text), CleanConfig())
    raw = text.splitlines()
    start = raw.index(textwrap.wrap(comment, 64)[0])
    (row,) = [r for r in result.removed if r.line_no == start]
    assert row.text.split("\n") == textwrap.wrap(comment, 64)
    assert row.lines == len(textwrap.wrap(comment, 64))


def _row(line_no: int, text: str, reason: str = "outside_body", lines: int = 1) -> RemovedLine:
    return RemovedLine("p", "page.txt", None, line_no, text, reason, None, lines)


def test_a_merged_run_gets_the_original_lines_of_its_joined_paragraphs() -> None:
    """In a merged run's row the joined paragraph sits at its first line and the lines joined
    into it are blank: they become the original lines, so line i stays line ``line_no + i``."""
    joined: dict[int, tuple[str, ...]] = {12: ("first part of a", "wrapped paragraph", "ending here.")}
    rows = [_row(10, "Menu\n\nfirst part of a wrapped paragraph ending here.\n\n\nFooter", lines=3)]
    (row,) = restore_rows(rows, joined)
    assert row.text.split("\n") == ["Menu", "", "first part of a", "wrapped paragraph", "ending here.", "Footer"]
    assert row.lines == 5


def test_a_promotion_cut_from_a_joined_paragraph_names_the_line_it_starts_on() -> None:
    joined: dict[int, tuple[str, ...]] = {4: ("The bridge will reopen in", "March, officials said. Subscribe", "to our newsletter today.")}
    (row,) = restore_rows([_row(4, "Subscribe to our newsletter today.", GLUED_PROMO)], joined)
    assert (row.line_no, row.text) == (5, "Subscribe to our newsletter today.")


def test_rows_of_a_page_without_joins_are_the_same_objects() -> None:
    rows = [_row(3, "Home"), _row(7, "Cookie settings")]
    assert restore_rows(rows, {}) is rows


# -- texts that are not wrapped: nothing may be joined ------------------------------------------

BLOCK_PAGE = """Home
World
Business
Sport
Opinion
Harbour bridge to stay closed to lorries until the end of the year
By Sam Porter, 12 March 2024
{}
Advertisement
{}
Read more: council budget vote delayed again as parties fail to agree on spending plans
{}
Share on Facebook
Share on Twitter
Most read
Council budget vote delayed again
Storm warning for the coast this weekend
Local team reaches cup final after penalty shoot-out
© 2024 Harbour Gazette. All rights reserved.
""".format(*TEXTS["en"])

LINK_SPLIT = """The harbour authority said on Thursday that the
old swing bridge
would stay closed to heavy lorries until the end of the year, after
engineers
found corrosion in two of the steel cables. Local traders, who have complained for months about the
long detour
through the industrial estate, asked the
council
to pay for a temporary ferry, but officials said the cost would be far too high for a service that
might run only a few weeks
. A spokesman for the authority added that repairs would begin in early spring, once the winter
storms
had passed, and that a full report on the state of the bridge would be published before the next
meeting of the harbour board
in March.
"""

POEM = """The evening settles softly on the quiet harbour wall,
And gulls come wheeling homeward as the grey tides rise and fall;
The lamps are lit along the quay, the fishing boats are in,
And somewhere down the cobbled lane a fiddle starts to spin.
The bridge stands dark against the sky, its iron ribs grown old,
It carried carts and carriages and sailors, young and bold;
But now the engineers have come with clipboards and with lights,
And no more heavy lorries cross it, rumbling through the nights.
"""

TABLE = """Vehicle                     Weight limit     Route during works        Extra time
Lorries over 7.5 tonnes     not allowed      ring road via the estate  about 40 minutes
Vans and small lorries      up to 7.5 t      bridge, one lane only     about 10 minutes
Buses                       allowed          bridge, priority lane     none expected
Cars and motorcycles        allowed          bridge, one lane only     about 5 minutes
Bicycles and pedestrians    allowed          footpath on the east side none expected
"""

BULLETS = """What changes for drivers from Monday, according to the harbour authority:
- lorries over 7.5 tonnes must take the ring road through the industrial estate
- vans and small lorries may still cross, but only in the single lane that stays
- buses keep their usual stops and get a priority lane on the bridge approaches
- cyclists and pedestrians may still use the footpath on the east side of the
- bridge, which will be lit at night while the repairs go on through the winter
- drivers should expect delays of up to forty minutes at peak times on weekdays
"""

HEADLINES = """Council budget vote delayed again as parties fail to agree on spending plans
Storm warning for the coast this weekend as forecasters expect gusts of 70 mph
Local team reaches cup final after dramatic penalty shoot-out against rivals
New cycle lanes planned for the town centre despite objections from traders
Harbour bridge to stay closed to lorries until the end of the year, says board
School inspectors praise village primary for its work with younger children
"""


@pytest.mark.parametrize("text", [BLOCK_PAGE, LINK_SPLIT, POEM, TABLE, BULLETS, HEADLINES],
                         ids=["block-per-line", "link-split", "poem", "table", "bulleted-list", "headlines"])
def test_text_that_is_not_wrapped_is_left_alone(text: str) -> None:
    lines = split_lines(text)
    before = [line.text for line in lines]
    assert rejoin_wrapped(lines, text) == {}
    assert [line.text for line in lines] == before


def test_a_table_inside_a_wrapped_page_is_not_glued() -> None:
    text = wrap(TEXTS["en"][:2], 78) + "\n" + TABLE + "\n" + wrap(TEXTS["en"][2:], 78)
    got = kept_lines(text)
    assert got[:2] == TEXTS["en"][:2] and got[-1] == TEXTS["en"][2]
    assert got[2:-1] == [" ".join(line.split()) for line in TABLE.splitlines()]


# -- a hard-wrapped document is all text: only chrome rules remove its lines --------------------

DOC_TITLE = "Harbour bridge closure: what drivers need to know"
DOC_SHORT = [
    "What changes from Monday:",
    "- lorries over 7.5 tonnes take the ring road",
    "- buses keep their usual stops",
    "- cyclists may still use the footpath",
]
DOC_TAIL = [
    "Closed to lorries:",
    "Monday to Friday, 7am to 7pm",
    "Closed to vans:",
    "Monday to Friday, 7am to 7pm",
    "The ferry runs every half hour.",
    "Reporting by Sam Porter; editing by Jane Miller",
]


def _document(width: int) -> str:
    en = TEXTS["en"]
    return (DOC_TITLE + "\n\n" + wrap(en[:1], width) + "\n" + "\n".join(DOC_SHORT) + "\n\n"
            + wrap(en[1:2], width) + "\nAdvertisement\n\n" + wrap(en[2:], width) + "\n"
            + "\n".join(DOC_TAIL) + "\n")


def _span(text: str) -> range | None:
    lines = split_lines(text)
    wrapped = unwrap(lines, text)
    mark_chrome(lines)
    return document_span(lines, wrapped)


@pytest.mark.parametrize("width", [60, 70, 80])
def test_a_wrapped_document_keeps_its_short_lines_lists_repeats_and_credits(width: int) -> None:
    """Headings, list items, a repeated line and a credit between and below the wrapped paragraphs
    are the document's; only the line a rule names ("Advertisement") goes, and the heading above
    the first paragraph is the title."""
    en = TEXTS["en"]
    result = clean_page(make_page(_document(width)), CleanConfig())
    (article,) = result.articles
    assert article.title == DOC_TITLE
    assert article.text.splitlines() == [en[0], *DOC_SHORT, en[1], en[2], *DOC_TAIL]
    assert [row.text for row in result.removed if row.reason != "title"] == ["Advertisement"]


@pytest.mark.parametrize("width", [60, 70, 80])
def test_the_documents_span_ends_where_a_rule_names_chrome(width: int) -> None:
    """Below the last wrapped paragraph the span goes on through the short lines of the run until
    a line a chrome rule named: after it ("Share this article") the page's chrome is judged as on
    any page. Above the first wrapped paragraph nothing is in the span."""
    text = ("Home\nNews\n\n" + wrap(TEXTS["en"], width) + "\nThe ferry runs every half hour.\n"
            "Share this article\nMore from Local\n")
    raw = text.splitlines()
    span = _span(text)
    assert span is not None
    assert raw[span.start] == textwrap.wrap(TEXTS["en"][0], width)[0]
    assert raw[span.stop - 1] == "The ferry runs every half hour."


def test_a_page_mostly_not_wrapped_is_no_document() -> None:
    """A wrapped letter below a flattened web page (a block per line) is a minority of its words:
    the page is judged line by line as any page is, its letter's paragraphs joined all the same."""
    text = BLOCK_PAGE + "\n" + wrap(TEXTS["en"][:2], 60)
    lines = split_lines(text)
    assert unwrap(lines, text).joined
    assert _span(text) is None


LIST_ITEMS = [
    ("- lorries over 7.5 tonnes must take the ring road through the industrial estate, which adds "
     "about forty minutes to a crossing at peak times on weekdays"),
    ("- vans and small lorries may still cross the bridge, but only in the single lane that stays "
     "open while the engineers replace the corroded cables"),
    ("- buses keep their usual stops and get a priority lane on the bridge approaches, so that the "
     "timetable can stay as it is for most of the routes"),
    ("- cyclists and pedestrians may still use the footpath on the east side of the bridge, which "
     "will be lit at night while the repairs go on through the winter"),
    ("- taxis may use the bus lane on the approaches, but they must give way to buses at the two "
     "junctions where the lanes merge before the bridge"),
]


@pytest.mark.parametrize("width", [60, 70, 80])
def test_a_list_whose_items_wrap_is_a_document(width: int) -> None:
    """A page of list items, each wrapped at the width over several lines, is a plain-text
    document: every item is joined and kept whole (five breaks at least, :data:`MIN_BREAKS`, tell
    the width; a list of one-line items shows none)."""
    text = wrap(LIST_ITEMS, width, blank=False)
    assert sum(len(textwrap.wrap(item, width)) - 1 for item in LIST_ITEMS) >= MIN_BREAKS
    assert _span(text) is not None
    (article,) = clean_page(make_page(text), CleanConfig()).articles
    assert article.text.splitlines() == LIST_ITEMS


def test_a_list_of_one_line_items_is_not_detectable() -> None:
    items = [item[:58].rsplit(" ", 1)[0] for item in LIST_ITEMS]
    assert wrap(items, 60) == "\n\n".join(items) + "\n"  # nothing for a wrapper to break
    assert _span(wrap(items, 60)) is None


# -- acceptance: the benchmark's true bodies, hard-wrapped ---------------------------------------

TRUTH = Path(__file__).resolve().parent.parent / "data" / "extraction_truth.json.gz"
_WORD = re.compile(r"\w+")


def _paragraphs(body: str) -> list[str]:
    return [" ".join(p.split()) for p in body.split("\n") if p.strip()]


@pytest.fixture(scope="module")
def truth() -> dict[str, str]:
    """The extraction benchmark's true article bodies (dev set), by page id."""
    return {pid: item["articleBody"] for pid, item in json.loads(gzip.decompress(TRUTH.read_bytes())).items()}


_CONFIG = CleanConfig()


def _main(pid: str, text: str) -> tuple[str, str | None]:
    result = clean_page(make_page(text, source=f"{pid}.txt"), _CONFIG, load_models())
    mains = [a for a in result.articles if a.segment == "main"]
    return "\n".join(a.text for a in mains), (mains[0].title if mains else None)


def _kept(body: str, text: str) -> int:
    return sum((Counter(_WORD.findall(body)) & Counter(_WORD.findall(text))).values())


@pytest.mark.parametrize("blank", [True, False], ids=["blank-lines", "no-blank-lines"])
@pytest.mark.parametrize("width", [60, 70, 80])
def test_wrapped_benchmark_bodies_keep_their_words(truth: dict[str, str], width: int, blank: bool) -> None:
    """Each true body hard-wrapped at ``width`` and given as ``.txt``: the main articles keep
    >= 99.5% of all the bodies' words (title and text: a document's first heading is its title),
    every body read as wrapped keeps >= 95% of its own (only chrome rules remove its lines: a
    copyright footer, a template's residue), and no title is a wrapped fragment. The bodies not
    read as wrapped (a list of one-line items, which no wrapper breaks; a few short or
    CJK bodies with too few breaks; a results table) keep what the line model keeps."""
    kept = total = 0
    worst: list[tuple[float, str]] = []
    fragments = []
    for pid, body in truth.items():
        text = wrap(_paragraphs(body), width, blank)
        main, title = _main(pid, text)
        words = len(_WORD.findall(body))
        here = _kept(body, f"{title or ''}\n{main}")
        kept, total = kept + here, total + words
        if rejoin_wrapped(split_lines(text), text):
            worst.append((here / words, pid[:12]))
        if title is not None and title not in _paragraphs(body):
            fragments.append((pid, title))
    assert kept >= 0.995 * total, f"{kept} of {total} words"
    assert len(worst) >= 0.9 * len(truth)
    assert min(worst)[0] >= 0.95, sorted(worst)[:3]
    assert not fragments
