"""Retention periods in calendar months, clamped to the end of shorter months."""

from datetime import date

import pytest

from compliance.retention import APPLICATION_RETENTION_MONTHS, add_months, expired, retained_until


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2024, 1, 15), 25, date(2026, 2, 15)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
    (date(2023, 12, 31), 2, date(2024, 2, 29)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 1, 10), -6, date(2025, 7, 10)),
])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_a_record_is_kept_25_months_after_its_last_action_and_not_a_day_less():
    assert APPLICATION_RETENTION_MONTHS == 25
    last = date(2024, 1, 15)
    assert retained_until(last) == date(2026, 2, 15)
    assert not expired(last, date(2026, 2, 14))
    assert expired(last, date(2026, 2, 15))
