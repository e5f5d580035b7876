"""Recognise date lines ("5 days ago", "07-05-2025", "June 24, 2025 10:30 AM").

Recognition is by regular expression, so a line is only taken for a date when
the *whole* line is one (a lenient date parser would read "May" as a date).
Relative dates keep their raw string and no calendar date: the crawl time they
are relative to is unknown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

_MONTHS = (
    r"jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?|"
    r"sep(?:tember|t\.?|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?"
)
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_PREFIX = r"(?:(?:published|updated|posted|last updated|modified|date|on)\s*:?\s*)?"
_TIME = r"(?:\s*(?:,|at|-|\|)?\s*\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*[a-z]{2,4})?)?"

_RELATIVE = re.compile(
    r"^(?:(?:updated|posted|published)\s+)?(?:(?:about|around|over|almost)\s+)?"
    r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(?:sec(?:ond)?s?|min(?:ute)?s?|h(?:ou)?rs?|hours?|days?|weeks?|months?|years?)\s+ago$|"
    r"^(?:just now|yesterday|today)$",
    re.IGNORECASE,
)
_NUMERIC = re.compile(rf"^{_PREFIX}(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{4}}|\d{{2}}){_TIME}$", re.IGNORECASE)
_ISO = re.compile(rf"^{_PREFIX}(\d{{4}})-(\d{{2}})-(\d{{2}})(?:[t ]\d{{2}}:\d{{2}}(?::\d{{2}})?\S*)?{_TIME}$",
                  re.IGNORECASE)
_WORDY = re.compile(
    rf"^{_PREFIX}{_WEEKDAY}(?:(?P<month1>{_MONTHS})\s+(?P<day1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year1>\d{{4}})|"
    rf"(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?(?P<month2>{_MONTHS}),?\s+(?P<year2>\d{{4}})){_TIME}$",
    re.IGNORECASE,
)
_MONTH_NUMBER = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


#: Every date this module reads has a digit or one of these words: a cheap test before the four patterns.
_MAY_BE_DATE = re.compile(r"\d|ago\b|yesterday|today|just now", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DateLine:
    raw: str
    value: date | None


def parse_date_line(text: str, order: str = "dmy") -> DateLine | None:
    """The date a whole line states, or None when the line is not a date.

    ``order`` decides ambiguous numeric dates (05-07-2025); a day above 12
    settles it whatever the order.
    """
    if len(text) > _LONGEST and not (text[0].isspace() or text[-1].isspace()):
        return None  # too long stripped as well: no memo lookup (entry detection asks every line)
    return _date_line(text, order)


#: The longest line read as a date (stripped).
_LONGEST = 60


def forget_dates() -> None:
    """Empty the memo of date lines (see :func:`cleaners.text.page.forget_lines`)."""
    _date_line.cache_clear()


# The same line is asked about by features, entry detection and the head scan: the memo's key is
# (text, order) however the caller passes them, so ``f(t)`` and ``f(t, "dmy")`` share an entry.
@lru_cache(maxsize=8192)
def _date_line(text: str, order: str) -> DateLine | None:
    line = text.strip()
    if not line or len(line) > _LONGEST or not _MAY_BE_DATE.search(line):
        return None
    if _RELATIVE.match(line):
        return DateLine(line, None)
    if m := _ISO.match(line):
        return DateLine(line, _safe_date(int(m[1]), int(m[2]), int(m[3])))
    if m := _NUMERIC.match(line):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        year += 2000 if year < 100 else 0
        day, month = (a, b) if order == "dmy" else (b, a)
        if month > 12 >= day:
            day, month = month, day
        return DateLine(line, _safe_date(year, month, day))
    if m := _WORDY.match(line):
        month = _MONTH_NUMBER[(m["month1"] or m["month2"])[:3].lower()]
        return DateLine(line, _safe_date(int(m["year1"] or m["year2"]), month, int(m["day1"] or m["day2"])))
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_published(value: str, order: str = "dmy") -> date | None:
    """A record's own ``published`` field: ISO 8601 (what exports hold), else any date line read above."""
    try:
        return datetime.fromisoformat(value.strip()).date()
    except ValueError:
        found = parse_date_line(value.strip(), order)
        return found.value if found else None
