"""Pages built to break HTML parsers, made up here (none comes from a benchmark or a seed).

Each page says what a reader sees: ``prose``, paragraphs a browser shows,
which the article must hold, each as a line of its own; or, for a page with
nothing to read, the ``reason`` of its rejection. Stories come in several
languages so that no rule can lean on English.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Broken:
    name: str
    html: str
    prose: tuple[str, ...] = ()
    reason: str | None = None


LIGHTHOUSE = (
    ("Volunteers on the island finished restoring the old lighthouse on Saturday, eleven years after "
    "storms cracked its lantern room and the coastguard switched the light off for good."),
    ("The keeper's cottage at its foot will open as a small museum in June, with the logbooks that three "
    "generations of the same family kept between 1871 and 1964."),
    ("Money for the work came from a crowd appeal, a heritage grant and the sale of postcards that "
    "schoolchildren painted during two long winters."),
)
BOULANGERIE = (
    ("La boulangerie du village a rouvert ses portes lundi matin sous la forme d'une coopérative, "
    "après dix-huit mois pendant lesquels les habitants devaient faire douze kilomètres pour acheter du pain."),
    ("Quarante-deux familles ont acheté des parts, et la mairie loue le local pour un euro symbolique "
    "pendant les trois premières années."),
    "Le nouveau boulanger, formé à Lyon, promet du pain au levain tous les jours et des brioches le dimanche.",
)
BUERGERBUS = (
    ("Der Bürgerbus fährt ab dem ersten März auch an Samstagen, nachdem sich zwölf weitere Ehrenamtliche "
    "als Fahrerinnen und Fahrer gemeldet haben."),
    "Bisher verband der Kleinbus die vier Ortsteile nur werktags mit dem Bahnhof und dem Ärztehaus.",
    ("Der Verein sucht trotzdem weitere Freiwillige, denn im Sommer gehen mehrere der älteren Fahrer in den "
    "wohlverdienten Ruhestand."),
)
MERCADO = (
    ("El mercado de abastos del barrio reabrió el jueves tras una reforma de dos años que ha costado "
    "cuatro millones de euros y ha sustituido la cubierta de hierro original."),
    ("De los treinta y seis puestos, veintiocho ya tienen inquilino, entre ellos una pescadería que lleva "
    "en la misma familia desde 1952."),
    "Los vecinos celebraron la apertura con una comida popular en la plaza y música hasta la medianoche.",
)
BIBLIOTEKA = (
    ("Miejska biblioteka przeniosła się w poniedziałek do odnowionego budynku dawnej fabryki sukna, "
    "gdzie czytelnicy mają do dyspozycji trzy razy więcej miejsca niż dotąd."),
    ("W nowej siedzibie jest sala dla dzieci, pracownia komputerowa i kawiarnia prowadzona przez "
    "miejscowe stowarzyszenie."),
    "Dyrektorka biblioteki zapowiedziała, że w soboty placówka będzie otwarta do późnego wieczora.",
)
PARK = (
    ("Городской совет утвердил план нового парка на месте бывшего трамвайного депо, строительство "
    "начнётся весной и займёт около двух лет."),
    "В парке появятся детская площадка, пруд и велосипедная дорожка длиной почти три километра.",
    "Жители, участвовавшие в обсуждении проекта, попросили сохранить старое кирпичное здание депо.",
)


def _ps(paragraphs: tuple[str, ...]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _head(title: str) -> str:
    return f'<head><meta charset="utf-8"><title>{title}</title><link rel="stylesheet" href="/site.css"></head>'


def pages() -> list[Broken]:
    """The corpus, one page per breakage (names say which)."""
    nav = '<nav><a href="/">Home</a> <a href="/local">Local</a></nav>'
    return [
        # (a) a doctype or XML declaration cut short
        Broken("doctype_cut_before_the_page",
               '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DT'
               f'<html>{_head("Lighthouse")}<body>{nav}<article><h1>Lighthouse shines again</h1>{_ps(LIGHTHOUSE)}'
               "</article></body></html>", LIGHTHOUSE),
        Broken("doctype_cut_before_plain_text",
               '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0\n' + "\n\n".join(BOULANGERIE) + "\n", BOULANGERIE),
        Broken("doctype_cut_before_a_fragment", f"<!doctype ht{_ps(MERCADO)}", MERCADO),
        Broken("xml_declaration_cut", '<?xml version="1.0" encoding="utf-8"\n'
               f'<html>{_head("Bürgerbus")}<body>{_ps(BUERGERBUS)}</body></html>', BUERGERBUS),
        # (b) visible content filed under <head>
        Broken("text_under_head",
               f'<html><head><title>Biblioteka</title><meta name="robots" content="index">{BIBLIOTEKA[0]}'
               f'<link rel="icon" href="/i.png"><div class="lead">{BIBLIOTEKA[1]}</div></head><body><p>{BIBLIOTEKA[2]}</p>'
               "</body></html>",
               BIBLIOTEKA),
        Broken("body_filed_under_head",  # HTML5 elements before </head>: libxml2 keeps them in the head
               '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Mercado</title>'
               '<script>window.cfg = {"ads": false};</script><header class="masthead"><h1>Diario del Barrio</h1>'
               f'</header><main><article><h1>Reabre el mercado</h1>{_ps(MERCADO)}</article></main></head>'
               "<body></body></html>", MERCADO),
        Broken("head_never_closed_no_body",
               '<html><head><meta charset="utf-8"><title>Park</title><section class="story">'
               f'<h2>Новый парк</h2>{_ps(PARK)}</section></html>', PARK),
        # (c) framesets
        Broken("frameset_with_noframes",
               '<html><head><title>Bürgerbus</title></head><frameset cols="25%,75%"><frame src="menu.html">'
               f'<frame src="news.html"><noframes><body><h1>Bürgerbus</h1>{_ps(BUERGERBUS)}</body></noframes>'
               "</frameset></html>", BUERGERBUS),
        Broken("frameset_noframes_without_body",
               '<html><head><title>Boulangerie</title></head><frameset rows="80,*"><frame src="top.html">'
               f"<noframes>{_ps(BOULANGERIE)}</noframes></frameset></html>", BOULANGERIE),
        # (d) thousands of unclosed tags, nesting past libxml2's 255 levels
        Broken("five_thousand_unclosed_divs",
               f"<html>{_head('Lighthouse')}<body>" + '<div class="wrap">' * 5000 + _ps(LIGHTHOUSE)
               + "</body></html>", LIGHTHOUSE),
        Broken("unclosed_font_and_bold_before_the_story",
               f"<html>{_head('Park')}<body>"
               + "".join(f'<font face="Arial" size="2"><b>Menu {i}<br>' for i in range(2500))
               + _ps(PARK) + "</body></html>", PARK),
        Broken("unclosed_rows_around_the_story",
               f"<html>{_head('Mercado')}<body><p>{MERCADO[0]}</p>"
               + "".join(f'<div class="row">fila {i} ' for i in range(3000))
               + f"<p>{MERCADO[1]}</p><p>{MERCADO[2]}</p></body></html>", MERCADO),
        # (e) no <body>, no <html>, no tag at all
        Broken("no_body_tag",
               f"<html>{_head('Biblioteka')}<h1>Biblioteka w fabryce</h1>{_ps(BIBLIOTEKA)}</html>", BIBLIOTEKA),
        Broken("no_html_behind_blank_lines", "\n" * 80 + f"<body>{_ps(BUERGERBUS)}</body>", BUERGERBUS),
        Broken("only_text_no_tags", "\n\n".join(LIGHTHOUSE) + "\n", LIGHTHOUSE),
        # (f) XHTML with a wrong or missing namespace
        Broken("xhtml_wrong_namespace",
               '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
               '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtm" '
               f'xml:lang="fr"><head><title>Boulangerie</title></head><body>{_ps(BOULANGERIE)}</body></html>',
               BOULANGERIE),
        Broken("xhtml_prefixed_tags",
               '<?xml version="1.0"?>\n<h:html xmlns:h="http://www.w3.org/1999/xhtml"><h:head><h:title>Park'
               "</h:title></h:head><h:body>" + "".join(f"<h:p>{p}</h:p>" for p in PARK) + "</h:body></h:html>",
               PARK),
        Broken("xml_prologue_with_a_bad_encoding",
               '<?xml version="1.0" encoding="x-unknown-charset-8"?>\n'
               f'<html xmlns="http://www.w3.org/1999/xhtml">{_head("Mercado")}<body>{_ps(MERCADO)}</body></html>',
               MERCADO),
        Broken("xml_prologue_declaring_utf16",
               '<?xml version="1.0" encoding="UTF-16"?>\n'
               f'<html>{_head("Lighthouse")}<body>{_ps(LIGHTHOUSE)}</body></html>', LIGHTHOUSE),
        # (g) found while comparing the benchmarks' visible text with our trees, and near relatives
        Broken("noscript_left_open_swallows_the_page",
               f'<html>{_head("Bürgerbus")}<body><noscript><div id="no-js"></noscript>'
               f'<div id="page"><div class="story">{_ps(BUERGERBUS)}</div></div></body></html>', BUERGERBUS),
        Broken("story_after_the_closing_html_tag",
               f"<html>{_head('Biblioteka')}<body><p>{BIBLIOTEKA[0]}</p></body></html>\n"
               f"<p>{BIBLIOTEKA[1]}</p><p>{BIBLIOTEKA[2]}</p>", BIBLIOTEKA),
        Broken("second_document_pasted_after_the_first",
               f"<html>{_head('Park')}<body><nav><a href='/'>Главная</a></nav></body></html>"
               f"<html>{_head('Park')}<body><article>{_ps(PARK)}</article></body></html>", PARK),
        Broken("byte_order_mark_and_comment_before_a_headless_page",
               f"\ufeff<!-- cached 2024-05-02 by edge-7 -->\n<body><h1>Lighthouse</h1>{_ps(LIGHTHOUSE)}</body>",
               LIGHTHOUSE),
        # nothing to read: rejected, with a reason that says so
        Broken("empty_page", "", reason="html_parse_error"),
        Broken("blank_page", " \n\t\n ", reason="html_parse_error"),
        Broken("only_markup",
               '<!DOCTYPE html><html><head><title></title><script>var a = "<p>not text</p>";</script>'
               '<style>p { color: red }</style></head><body><div class="app"><img src="a.png" alt="">'
               "<span></span><br><hr></div><!-- build 91 --></body></html>", reason="empty_after_cleaning"),
        Broken("only_a_cut_doctype", '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0', reason="empty_after_cleaning"),
    ]
