"""Notice obligations: which adverse action owes which notice, and by when (Reg B §1002.9).

Pure rules; the service opens an obligation the moment a decision takes an adverse action and
tracks it from ``pending`` through ``generated`` to ``delivered``. docs/compliance-map.md states
the timing rules with their citations.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from risk_models.decisions import AdverseAction


class NoticeKind(StrEnum):
    """The notice an adverse action owes."""

    DECLINE = "decline"  # statement of specific reasons, §1002.9(a)(2); FCRA §615(a)
    COUNTEROFFER = "counteroffer"  # the counteroffer with its adverse action notice
    INCOMPLETE = "incomplete"  # notice of incompleteness, §1002.9(c)(2)
    LIMIT_REDUCTION = "limit_reduction"  # adverse action on an existing account; FCRA §615(a)


class NoticeStatus(StrEnum):
    PENDING = "pending"  # owed, not yet produced
    GENERATED = "generated"  # the PDF exists, not yet sent
    DELIVERED = "delivered"  # sent: channel, time and by whom recorded
    WITHDRAWN = "withdrawn"  # no longer owed (a counteroffer accepted)


OPEN_STATUSES = (NoticeStatus.PENDING, NoticeStatus.GENERATED)
class DeliveryChannel(StrEnum):
    MAIL = "mail"
    EMAIL = "email"
    IN_PERSON = "in_person"
    PORTAL = "portal"


DELIVERY_CHANNELS = tuple(str(c) for c in DeliveryChannel)

# §1002.9(a)(1)(i): 30 days after a completed application is taken adverse action on.
DECLINE_NOTICE_DAYS = 30
# §1002.9(a)(1)(ii) and (c)(1): 30 days after an incomplete application is received.
INCOMPLETE_NOTICE_DAYS = 30
# A counteroffer is the action taken on a completed application: notified within 30 days
# (§1002.9(a)(1)(i)), with the adverse action notice given alongside it, which
# §1002.9(a)(1)(iv) allows; its 90 days apply only to a notice sent after a counteroffer
# already made goes unaccepted.
COUNTEROFFER_NOTICE_DAYS = 30
# §1002.9(a)(1)(iii): 30 days after taking adverse action on an existing account.
LIMIT_REDUCTION_NOTICE_DAYS = 30
# §1002.9(c)(2): a reasonable period for the applicant to supply what is missing.
INCOMPLETE_RESPONSE_DAYS = 30

# What an incompleteness notice asks for, in the applicant's words, per missing field.
MISSING_ITEM_WORDING = {
    "kyc.national_id": "Your national identity number, with a copy of an identity document",
    "kyc.address": "Your residential address, with a document that confirms it",
    "kyc.date_of_birth": "Your date of birth, with a copy of an identity document",
    "kyc.monthly_income": "Your monthly net income, with a recent payslip, pension statement "
                          "or benefit letter",
}

_KIND_OF = {AdverseAction.DECLINE: NoticeKind.DECLINE,
            AdverseAction.COUNTEROFFER: NoticeKind.COUNTEROFFER,
            AdverseAction.INCOMPLETE: NoticeKind.INCOMPLETE,
            AdverseAction.LIMIT_REDUCTION: NoticeKind.LIMIT_REDUCTION}
_DAYS = {NoticeKind.DECLINE: DECLINE_NOTICE_DAYS,
         NoticeKind.COUNTEROFFER: COUNTEROFFER_NOTICE_DAYS,
         NoticeKind.INCOMPLETE: INCOMPLETE_NOTICE_DAYS,
         NoticeKind.LIMIT_REDUCTION: LIMIT_REDUCTION_NOTICE_DAYS}


def notice_kind(action: AdverseAction) -> NoticeKind:
    """The notice ``action`` owes."""
    return _KIND_OF[action]


def due_date(kind: NoticeKind, acted_on: date) -> date:
    """The last day the notice of ``kind`` may be delivered, for an action taken on
    ``acted_on``."""
    return acted_on + timedelta(days=_DAYS[kind])


def respond_by(kind: NoticeKind, acted_on: date) -> date | None:
    """For a notice of incompleteness, the date by which the applicant may supply what is
    missing; ``None`` for other notices."""
    if kind != NoticeKind.INCOMPLETE:
        return None
    return acted_on + timedelta(days=INCOMPLETE_RESPONSE_DAYS)
