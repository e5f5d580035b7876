"""Decoding: BOMs, UTF-8 before a wrong declaration, declared and detected legacy encodings, repairs."""
from __future__ import annotations

import codecs

import pytest

from cleaners.io.decode import DecodeError, declared_charset, decode_bytes, normalise_text

FRENCH = "Le gouvernement a annoncé mercredi une réforme très contestée par les syndicats à Paris."
RUSSIAN = "Правительство объявило в среду о новой реформе, которую оспаривают профсоюзы."
JAPANESE = "政府は水曜日、労働組合が反対する新しい改革を発表した。東京では抗議が続いている。"


@pytest.mark.parametrize(("data", "encoding"), [
    (codecs.BOM_UTF8 + FRENCH.encode(), "utf-8"),
    (FRENCH.encode("utf-16"), "utf-16"),
    (FRENCH.encode("utf-32"), "utf-32"),
    (FRENCH.encode("utf-16-be"), "utf-16-be"),
    (FRENCH.encode(), "utf-8"),
])
def test_unicode_encodings_are_recognised(data: bytes, encoding: str) -> None:
    decoded = decode_bytes(data)
    assert decoded.text == FRENCH
    assert decoded.encoding == encoding


def test_valid_utf8_wins_over_a_wrong_latin1_declaration() -> None:
    assert decode_bytes(FRENCH.encode(), declared="iso-8859-1").text == FRENCH


def test_latin1_label_means_windows_1252() -> None:
    data = "“Quoted” – dash".encode("cp1252")
    assert decode_bytes(data, declared="ISO-8859-1").text == "“Quoted” – dash"


@pytest.mark.parametrize(("text", "codec"), [(FRENCH, "cp1252"), (RUSSIAN, "koi8-r"), (RUSSIAN, "cp1251"),
                                             (JAPANESE, "shift_jis"), (JAPANESE, "euc-jp")])
def test_undeclared_legacy_encodings_are_detected(text: str, codec: str) -> None:
    assert decode_bytes(((text + "\n") * 3).encode(codec)).text == (text + "\n") * 3


def test_declared_charset_is_used_when_the_bytes_are_not_utf8() -> None:
    data = RUSSIAN.encode("cp1251")
    decoded = decode_bytes(data, declared="windows-1251")
    assert (decoded.text, decoded.encoding) == (RUSSIAN, "cp1251")


def test_meta_charset_is_found_in_the_page() -> None:
    page = b'<html><head><meta charset="koi8-r"><title>t</title></head><body>x</body></html>'
    assert declared_charset(page) == "koi8-r"
    page = b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
    assert declared_charset(page).lower() == "shift_jis"


def test_an_unknown_declared_label_falls_back_to_detection() -> None:
    assert decode_bytes(FRENCH.encode("cp1252"), declared="x-no-such-charset").text == FRENCH


def test_undecodable_bytes_raise_with_what_was_tried() -> None:
    with pytest.raises(DecodeError, match="tried BOM, UTF-8"):
        decode_bytes(bytes(range(0x80, 0x100)) * 40)


def test_mojibake_is_repaired_and_named() -> None:
    broken = FRENCH.encode("utf-8").decode("cp1252")  # what a scraper that guessed wrong saved
    text, repairs = normalise_text(broken)
    assert text == FRENCH
    assert repairs == ("mojibake",)


@pytest.mark.parametrize("clean", [
    "Ça va? “Quotes”, naïve café, €5 — déjà vu.",
    "Привет! 中文 한국어 العربية עברית 😀👍🏽 ½ ©",
    "Ölpreis steigt um 5 % – Börse in Zürich; Señor Muñoz añadió: «sí», à côté.",
])
def test_correct_text_is_left_alone(clean: str) -> None:
    assert normalise_text(clean) == (clean, ())


def test_control_characters_and_line_endings() -> None:
    text, repairs = normalise_text("one\r\ntwo\rthree\x00 four\x07\x0bfive\x1esix\tseven\x0c")
    assert text == "one\ntwo\nthree four\nfive\nsix\tseven\x0c"
    assert repairs == ("control_chars",)


def test_lone_surrogates_become_replacement_characters() -> None:
    text, repairs = normalise_text("a \ud800 b \udfff c \ud83d\ude00")
    assert text == "a \ufffd b \ufffd c \U0001F600"
    assert repairs == ("surrogates",)
    text.encode("utf-8")  # every writer takes it


def test_normalise_text_equals_its_step_by_step_definition_on_any_text() -> None:
    """One scan rules out the three rare repairs; on text mixing every character they look for (and
    mojibake that ftfy repairs into a control character), the result must be the step-by-step one."""
    import random

    import ftfy

    from cleaners.io.decode import _CONTROLS, _LINE_ENDS, _MOJIBAKE_HINT, _SEPARATORS, _SURROGATES

    def reference(text: str) -> tuple[str, tuple[str, ...]]:
        repairs = []
        if _SURROGATES.search(text):
            text = _SURROGATES.sub("\ufffd", text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))
            repairs.append("surrogates")
        if not text.isascii() and _MOJIBAKE_HINT.search(text):
            fixed = ftfy.fix_encoding(text)
            if fixed != text:
                text, repairs = fixed, [*repairs, "mojibake"]
        text = _LINE_ENDS.sub("\n", text)
        if _SEPARATORS.search(text):
            text = _SEPARATORS.sub("\n", text)
        if _CONTROLS.search(text):
            text, repairs = _CONTROLS.sub("", text), [*repairs, "control_chars"]
        return text, tuple(repairs)

    pieces = ["plain words ", "café ", "cafÃ© ", "â€œquotedâ€\x9d ", "Ã\x80", "\r\n", "\r", "\x0b", "\x1c", "\x1e",
              "\x00", "\x07", "\x1b", "\x1f", "\x7f", "\t", "\x0c", "\ud83d\ude00", "\ud800", "\udfff", "\u2028", "é",
              "À\x80"]  # with other mojibake, ftfy makes NUL of this (a repair that makes a control)
    rng = random.Random(2)
    for _ in range(3_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert normalise_text(text) == reference(text), repr(text)
