"""Where an application stands, and what kinds of decision it can carry."""

from enum import StrEnum


class ApplicationStatus(StrEnum):
    DECIDED = "decided"  # the automated decision stands
    REFERRED = "referred"  # waiting for an underwriter
    INCOMPLETE = "incomplete"  # waiting for the applicant to supply what is missing
    COUNTEROFFERED = "counteroffered"  # waiting for the applicant to accept or decline
    REVIEWED = "reviewed"  # an underwriter decided or overrode it
    COUNTEROFFER_ACCEPTED = "offer_accepted"
    COUNTEROFFER_DECLINED = "offer_declined"


class DecisionKind(StrEnum):
    AUTOMATED = "automated"
    REVIEW = "review"  # an underwriter deciding a referral
    OVERRIDE = "override"  # an underwriter reversing an automated decision
    COUNTEROFFER_ACCEPTED = "counteroffer_accepted"
    COUNTEROFFER_DECLINED = "counteroffer_declined"
    # Taken on the loan account the approved application was booked as: recorded on the
    # application (its notice is owed to the same applicant) but never its credit decision.
    LIMIT_REDUCTION = "limit_reduction"


# Decisions on a booked account, not on the application: its outcome, replay, reviews and the
# period report's figures leave them out; its trail lists them.
ACCOUNT_ACTION_KINDS = (DecisionKind.LIMIT_REDUCTION,)


# Waiting on someone: no final outcome yet.
PENDING_STATUSES = (ApplicationStatus.REFERRED, ApplicationStatus.INCOMPLETE,
                    ApplicationStatus.COUNTEROFFERED)
