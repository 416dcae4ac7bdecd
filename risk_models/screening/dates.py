"""Dates of birth as sanctions lists state them: a day, a month, a year, or a span of them."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

Precision = Literal["day", "month", "year"]

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
# "10 Dec 1948", "Dec 1948" or "1948", as OFAC writes one end of a date of birth.
_OFAC_DATE = re.compile(r"^(?:(?:(\d{1,2}) )?([A-Za-z]{3}) )?(\d{4})$")
# ISO 8601 prefixes ("1948", "1948-12", "1948-12-10"), as OpenSanctions writes them.
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class PartialDate:
    """A date of birth known to a day, a month or a year, or only as a span between two of them.

    ``start`` and ``end`` are the first and last days the statement allows: ``DOB 1958`` is
    1958-01-01 to 1958-12-31, ``DOB 10 Dec 1948`` is that one day, ``DOB 1960 to 1962`` runs from
    1960-01-01 to 1962-12-31. ``circa`` marks a date the list itself calls approximate; the
    span keeps the stated value, and how much slack "circa" earns is the matcher's choice.

    Its text form (``str()``, ``to_text`` and ``parse``) is ISO 8601 with the extended
    notation for intervals and approximations: ``1948-12-10``, ``1958``, ``1960/1962``,
    ``1960~``.
    """

    start: date
    end: date
    precision: Precision
    circa: bool = False

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"date span ends before it starts: {self.start} to {self.end}")

    @property
    def is_exact_day(self) -> bool:
        """True for one known day, the only kind of date a full date of birth can equal."""
        return self.precision == "day" and self.start == self.end and not self.circa

    def contains(self, day: date) -> bool:
        """Whether ``day`` lies within the stated span."""
        return self.start <= day <= self.end

    def contains_year(self, year: int) -> bool:
        """Whether some day of ``year`` lies within the stated span."""
        return self.start.year <= year <= self.end.year

    def years_apart(self, year: int) -> int:
        """Whole years between ``year`` and the nearest year of the span (0 inside it)."""
        if year < self.start.year:
            return self.start.year - year
        return max(0, year - self.end.year)

    def to_text(self) -> str:
        start = _iso_prefix(self.start, self.precision)
        end = _iso_prefix(self.end, self.precision)
        # A month or year precision whose span is that one month or year is written once.
        text = start if start == end else f"{start}/{end}"
        return f"{text}~" if self.circa else text

    def __str__(self) -> str:
        return self.to_text()

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read the text form written by ``to_text`` (ISO dates, prefixes, spans, ``~``)."""
        value = text.strip()
        circa = value.endswith("~")
        value = value.rstrip("~")
        first, _, last = value.partition("/")
        start, precision = _from_iso(first)
        if last:
            end_start, end_precision = _from_iso(last)
            if end_precision != precision:
                raise ValueError(f"the two ends of {text!r} differ in precision")
            end = _last_day(end_start, precision)
        else:
            end = _last_day(start, precision)
        return cls(start=start, end=end, precision=precision, circa=circa)

    @classmethod
    def from_ofac(cls, text: str) -> PartialDate:
        """Read the value of an OFAC ``DOB`` clause: ``10 Dec 1948``, ``Dec 1948``, ``1948``,
        ``circa 1960``, ``1960 to 1962``, ``circa 1960-1962``, ``01 Jan 1960 to 31 Dec 1962``.

        Raises ``ValueError`` for anything else.
        """
        value = text.strip().rstrip(".").strip()
        circa = value.lower().startswith("circa ")
        if circa:
            value = value[len("circa "):].strip()
        parts = re.split(r"\s+to\s+", value)
        if len(parts) == 1 and re.fullmatch(r"\d{4}-\d{4}", value):
            parts = value.split("-")
        if len(parts) > 2:
            raise ValueError(f"not a date of birth: {text!r}")
        start, precision = _from_ofac(parts[0], text)
        end_first, end_precision = _from_ofac(parts[-1], text)
        if end_precision != precision:
            raise ValueError(f"the two ends of {text!r} differ in precision")
        return cls(start=start, end=_last_day(end_first, precision), precision=precision,
                   circa=circa)


def _from_ofac(part: str, whole: str) -> tuple[date, Precision]:
    match = _OFAC_DATE.match(part.strip())
    if match is None:
        raise ValueError(f"not a date of birth: {whole!r}")
    day, month_name, year = match.groups()
    if month_name is None:
        return date(int(year), 1, 1), "year"
    month = _MONTHS.get(month_name.lower())
    if month is None:
        raise ValueError(f"unknown month {month_name!r} in {whole!r}")
    if day is None:
        return date(int(year), month, 1), "month"
    return date(int(year), month, int(day)), "day"


def _from_iso(part: str) -> tuple[date, Precision]:
    match = _ISO_DATE.match(part.strip())
    if match is None:
        raise ValueError(f"not an ISO date or prefix: {part!r}")
    year, month, day = match.groups()
    if month is None:
        return date(int(year), 1, 1), "year"
    if day is None:
        return date(int(year), int(month), 1), "month"
    return date(int(year), int(month), int(day)), "day"


def _last_day(first: date, precision: Precision) -> date:
    """The last day of the day, month or year that starts at ``first``."""
    if precision == "year":
        return date(first.year, 12, 31)
    if precision == "month":
        return date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
    return first


def _iso_prefix(day: date, precision: Precision) -> str:
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()
