"""Bytes to clean Unicode: find the encoding, then repair what scrapers commonly break.

Decoding order, and why:

1. a byte-order mark (UTF-8, UTF-16, UTF-32) is certain, and so is UTF-16
   without one, recognised by its NUL byte in every other position;
2. strict UTF-8, when the bytes are valid UTF-8: legacy-encoded text that
   happens to be valid UTF-8 is vanishingly rare, while pages that *declare*
   ISO-8859-1 and hold UTF-8 are common in crawls;
3. the declared charset (HTTP ``Content-Type``, ``<meta charset>``), with the
   WHATWG rule that ``iso-8859-1`` and ``ascii`` labels mean Windows-1252;
4. charset-normalizer's detection (a near-tie goes to Windows-1252, the web's
   most common legacy encoding: detectors confuse it with Central European
   code pages on short Western text).

Nothing else decodes: the caller rejects the record as ``decode_error``.

Then :func:`normalise_text` repairs, and names each repair for the run summary:
mojibake (UTF-8 read as Windows-1252 or Latin-1 by the scraper, by far the
commonest kind; other families are left alone) with ftfy's ``fix_encoding``,
whose heuristics only act on sequences that are very unlikely in real text; lone surrogates (JSON ``"\\ud800"``) that no UTF-8
writer accepts; NUL and other C0 control characters that downstream tools
choke on; and CR/CRLF line endings. ftfy's other fixes (quote uncurling,
HTML unescaping) change legitimate text, so they are not applied.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
import ftfy

#: Bytes a charset detector looks at: enough for a reliable guess, cheap on 5 MB pages.
_DETECT_BYTES = 65536
#: How much more "chaos" (charset-normalizer's mess measure) Windows-1252 may have and still win.
_CP1252_TIE = 0.05
#: Labels browsers decode as Windows-1252 (WHATWG Encoding Standard).
_CP1252_LABELS = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "ascii", "us-ascii",
                            "cp819", "ibm819", "iso-ir-100", "windows-1252", "cp1252", "x-cp1252"})
#: Python text codecs that are no web charset: "undefined" raises on every byte (a page declaring it ended a
#: whole Parquet file), the others read escapes or host names, not pages.
_NOT_CHARSETS = frozenset({"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape"})
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
#: C0 controls other than tab, line feed, form feed and carriage return (the last is handled as a line end)
#: and the ones Python reads as line separators (vertical tab, file/group/record separators).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f]")
_SEPARATORS = re.compile(r"[\x0b\x1c-\x1e]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_LINE_ENDS = re.compile(r"\r\n?")
#: Any character of _CONTROLS, _SEPARATORS or _SURROGATES.
_RARE_REPAIRS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")
#: UTF-8 read as Windows-1252/Latin-1: a lead byte (Â..ô) followed by a continuation byte as cp1252 shows
#: it (C1 controls, U+00A0..U+00BF, or cp1252's printable 0x80-0x9F). ftfy costs ~0.4 ms on a 2.6 KB page,
#: as much as cleaning it, so it only looks at pages that hold such a pair.
_MOJIBAKE_HINT = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
                            "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022"
                            "\u2026\u2030\u2039\u203a\u20ac\u2122]")


class DecodeError(ValueError):
    """No encoding decodes the bytes; the message says what was tried."""


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    #: the codec that decoded the bytes ("utf-8" for text that arrived as a string)
    encoding: str
    #: repairs :func:`normalise_text` made, by name (``mojibake``, ``control_chars``, ``surrogates``)
    repairs: tuple[str, ...] = ()


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """The text of ``data``, normalised; raises :class:`DecodeError` when nothing decodes it."""
    text, encoding = _decode(data, declared)
    text, repairs = normalise_text(text)
    return Decoded(text, encoding, repairs)


def normalise_text(text: str) -> tuple[str, tuple[str, ...]]:
    """Text any downstream tool can take: repaired mojibake, no lone surrogates or control bytes, LF lines."""
    repairs: list[str] = []
    # one scan for the three rare repairs instead of three of every text (16-24 µs each on 4.9 KB of news)
    rare = _RARE_REPAIRS.search(text) is not None
    if rare and _SURROGATES.search(text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # pairs joined, lone -> U+FFFD
        text = _SURROGATES.sub("\ufffd", text)
        repairs.append("surrogates")
    if not text.isascii() and _MOJIBAKE_HINT.search(text):  # first: a repair can make a control character
        fixed = ftfy.fix_encoding(text)  # (ftfy reads the overlong "\xc0\x80" as NUL, as Java's UTF-8 does)
        if fixed != text:
            text = fixed
            repairs.append("mojibake")
            rare = _RARE_REPAIRS.search(text) is not None
    if "\r" in text:
        text = _LINE_ENDS.sub("\n", text)
    if rare and _SEPARATORS.search(text):
        text = _SEPARATORS.sub("\n", text)
    if rare and _CONTROLS.search(text):
        text = _CONTROLS.sub("", text)
        repairs.append("control_chars")
    return text, tuple(repairs)


def _decode(data: bytes, declared: str | None) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec.removesuffix("-sig")
            except UnicodeDecodeError:
                break  # a BOM followed by garbage: let the other clues decide
    utf16 = utf16_without_bom(data)
    if utf16 is not None:  # before UTF-8: ASCII-range UTF-16 is valid UTF-8 full of NULs
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    named = _codec(declared)
    if named is not None:
        try:
            return data.decode(named), named
        except UnicodeError:  # not only UnicodeDecodeError: a codec may raise its base class
            if named == "cp1252":  # five bytes cp1252 leaves undefined: latin-1 maps them all
                return data.decode("latin-1"), "latin-1"
    guess = _detect(data)
    if guess is not None:
        try:
            return data.decode(guess), guess
        except (UnicodeError, LookupError):  # the guess came from the head; the tail disagrees
            pass
    tried = ", ".join(filter(None, ["BOM", "UTF-8", f"declared {declared!r}" if declared else None, "UTF-16",
                                    f"detected {guess}" if guess else "detection (no candidate)"]))
    raise DecodeError(f"no character encoding decodes the bytes (tried {tried})")


def _codec(label: str | None) -> str | None:
    """Python's codec for a charset label, or None for a label Python does not know."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _CP1252_LABELS:
        return "cp1252"
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):  # ValueError: a label with a NUL in it
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:  # "hex", "rot13", "undefined"
        return None
    return info.name


def text_after_bom(head: bytes) -> str | None:
    """The text of ``head`` when it starts with a UTF-16/32 byte-order mark and decodes in that codec (a last
    character cut short aside), else None. The binary sniff judges such text by its characters: its code
    units' bytes are dense in control bytes (CJK in UTF-16, anything in UTF-32)."""
    for bom, codec in _BOMS:
        if head.startswith(bom) and codec != "utf-8-sig":
            try:
                return codecs.getincrementaldecoder(codec)().decode(head, final=False)
            except UnicodeDecodeError:
                return None
    return None


def utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NULs fill one byte of every pair (ASCII-range UTF-16), else None."""
    head = data[:4096]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _detect(data: bytes) -> str | None:
    results = charset_normalizer.from_bytes(data[:_DETECT_BYTES])
    best = results.best()
    if best is None:
        return None
    western = next((r for r in results if r.encoding == "cp1252"), None)
    if western is not None and western.chaos <= best.chaos + _CP1252_TIE:
        return "cp1252"
    return best.encoding


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in its head (``<meta charset>``, ``http-equiv``), via beautifulsoup4."""
    from bs4.dammit import EncodingDetector

    return EncodingDetector.find_declared_encoding(data[:_DETECT_BYTES], is_html=True, search_entire_document=False)
