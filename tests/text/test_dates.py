from __future__ import annotations

from datetime import date

import pytest

from cleaners.text.dates import parse_date_line


@pytest.mark.parametrize("line, value", [
    ("3 hours ago", None),
    ("an hour ago", None),
    ("Updated 10 minutes ago", None),
    ("yesterday", None),
    ("2024-11-03", date(2024, 11, 3)),
    ("2024-11-03T08:15:00Z", date(2024, 11, 3)),
    ("Published: 14 March 2024", date(2024, 3, 14)),
    ("March 14, 2024 8:05 PM EDT", date(2024, 3, 14)),
    ("Thursday, 14th March 2024", date(2024, 3, 14)),
    ("14.03.2024", date(2024, 3, 14)),
    ("14/03/24", date(2024, 3, 14)),
    ("Sept. 3, 2023", date(2023, 9, 3)),
    ("Mon, 2nd of feb. 2026 at 09:30", date(2026, 2, 2)),
    ("DECEMBER 31, 1999", date(1999, 12, 31)),
])
def test_whole_line_dates_are_recognised(line: str, value: date | None) -> None:
    found = parse_date_line(line)
    assert found is not None and found.raw == line and found.value == value


def test_ambiguous_numeric_dates_follow_the_order_option() -> None:
    assert parse_date_line("04-03-2024", "dmy").value == date(2024, 3, 4)
    assert parse_date_line("04-03-2024", "mdy").value == date(2024, 4, 3)
    # a day above 12 settles it whatever the option
    assert parse_date_line("03-25-2024", "dmy").value == date(2024, 3, 25)


@pytest.mark.parametrize("line", ["May", "Reuters", "Posted in Politics", "The March 14 vote was close.",
                                  "2024-13-45 was the build tag"])
def test_other_lines_are_not_dates(line: str) -> None:
    assert parse_date_line(line) is None


def test_impossible_calendar_dates_keep_only_the_raw_string() -> None:
    found = parse_date_line("31-02-2024")
    assert found is not None and found.value is None


def test_impossible_worded_dates_keep_only_the_raw_string() -> None:
    found = parse_date_line("February 30, 2024")
    assert found is not None and found.value is None
