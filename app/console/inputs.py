"""Reading the times a page's filters and links carry: out-of-range values (year 9999, a
far offset) are limits a person may type, not errors in the service."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def end_of_day(day: date) -> datetime:
    """The start of the day after ``day`` in UTC: an inclusive "to" date's end (the last day
    the calendar has ends at its last representable moment)."""
    if day >= date.max:
        return datetime.max.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def in_utc(moment: datetime) -> datetime | None:
    """``moment`` in UTC (naive read as UTC), or None when it has no UTC equivalent (a time
    at the calendar's edge whose offset takes it past year 1 or 9999)."""
    try:
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        return None
