"""How long records are kept: the periods the law sets, and the date arithmetic on them.

Pure Python: the retention run (``app.subjects.retention``) and the settings read these.
"""

from __future__ import annotations

import calendar
from datetime import date

# Reg B §1002.12(b)(1): a creditor keeps an application, and what it was decided on, for 25
# months after the date it notifies the applicant of action taken or of incompleteness.
# (§1002.12(b)(4): longer while it knows of an investigation, enforcement or civil action; that
# is a legal hold.)
APPLICATION_RETENTION_MONTHS = 25

# EU AI Act Art. 19(1) (providers) and Art. 26(6) (deployers) of a high-risk AI system, credit
# scoring among them (Annex III 5(b)): its logs are kept for at least six months.
LEDGER_MINIMUM_RETENTION_MONTHS = 6


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (back when negative), on the last day of a
    shorter month: 31 January plus one month is 28 or 29 February."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retained_until(last_action: date, months: int = APPLICATION_RETENTION_MONTHS) -> date:
    """The first day a record whose last action was on ``last_action`` may be destroyed."""
    return add_months(last_action, months)


def expired(last_action: date, as_of: date, months: int = APPLICATION_RETENTION_MONTHS) -> bool:
    """Whether the retention period of a record last acted on on ``last_action`` is over."""
    return as_of >= retained_until(last_action, months)
