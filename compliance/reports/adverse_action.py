"""Adverse action notice (ECOA / Regulation B, FCRA): its input and its PDF builder.

The notice is the one report addressed to the applicant, so it carries their name and address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from compliance.reports.common import (
    CONTENT_WIDTH,
    RULE,
    LedgerHead,
    Provenance,
    build_pdf,
    fmt_money,
    long_date,
    para,
)
from risk_models.decisions import MAX_KEY_FACTORS, MAX_KEY_FACTORS_WITH_INQUIRIES
from risk_models.reasons import MAX_PRINCIPAL_REASONS

MAX_REASONS = MAX_PRINCIPAL_REASONS
ECOA_NOTICE = (
    "The federal Equal Credit Opportunity Act prohibits creditors from discriminating against "
    "credit applicants on the basis of race, color, religion, national origin, sex, marital "
    "status, age (provided the applicant has the capacity to enter into a binding contract); "
    "because all or part of the applicant's income derives from any public assistance program; "
    "or because the applicant has in good faith exercised any right under the Consumer Credit "
    "Protection Act. The Federal agency that administers compliance with this law concerning "
    "this creditor is:"
)


class ActionTaken(StrEnum):
    """The adverse action a notice reports."""

    DECLINED = "declined"
    COUNTEROFFER = "counteroffer"
    TERMS_CHANGED = "terms_changed"
    ACCOUNT_CLOSED = "account_closed"
    INCOMPLETE = "incomplete"  # a notice of incompleteness, Reg B §1002.9(c)(2)
    # A credit limit lowered on an existing account, Reg B §1002.2(c)(1)(ii).
    LIMIT_REDUCED = "limit_reduced"


@dataclass(frozen=True)
class Reason:
    """A principal reason or score factor: a code and its specific statement."""

    code: str
    statement: str


@dataclass(frozen=True)
class Party:
    """A creditor, agency or similar: name, postal address lines and an optional phone."""

    name: str
    address_lines: Sequence[str]
    phone: str | None = None


@dataclass(frozen=True)
class Counteroffer:
    """Terms offered instead of those requested."""

    amount: Decimal
    currency: str
    term_months: int
    annual_percentage_rate: Decimal
    other_terms: Sequence[str] = ()


@dataclass(frozen=True)
class CreditScoreDisclosure:
    """The credit score used in the decision and what drove it down.

    Attributes
    ----------
    score : int
        The applicant's score.
    range_min, range_max : int
        Lowest and highest possible scores of the model.
    created_on : datetime.date
        When the score was calculated.
    source : str
        Who or what produced the score (the creditor's model or a reporting agency).
    key_factors : sequence of Reason
        All the factors that adversely affected the score, most important first: up to four,
        or five when one of them is the number of inquiries.
    inquiries_factor : bool
        Whether one of the key factors is the number of inquiries.
    """

    score: int
    range_min: int
    range_max: int
    created_on: date
    source: str
    key_factors: Sequence[Reason] = ()
    inquiries_factor: bool = False


@dataclass(frozen=True)
class AdverseActionNotice:
    """Everything an adverse action notice states.

    Attributes
    ----------
    creditor : Party
        The creditor (from settings); its address and phone are where requests go.
    supervising_agency : Party
        The federal agency that administers ECOA compliance for this creditor.
    applicant_name : str
        Addressee.
    applicant_address_lines : sequence of str
        Mailing address.
    application_ref : str
        The application's reference.
    notice_date : datetime.date
        Date of the notice.
    action : ActionTaken or str
        The action taken.
    reasons : sequence of Reason
        One to four principal reasons, most important first.
    generated_at : datetime.datetime
        Timezone-aware build time, recorded as the PDF's creation date.
    ledger_head : LedgerHead
        Ledger position the notice was built against.
    product : str
        What was applied for, for example "personal loan".
    requested_amount : Decimal, optional
        Amount requested.
    currency : str
        Currency code of the amounts.
    requested_term_months : int, optional
        Term requested.
    counteroffer : Counteroffer, optional
        Required when ``action`` is a counteroffer.
    credit_score : CreditScoreDisclosure, optional
        The score used, when one was used.
    consumer_reporting_agency : Party, optional
        The agency whose report was used, if any.
    missing : sequence of str
        For a notice of incompleteness: what the applicant must still supply, in plain words.
    respond_by : datetime.date, optional
        For a notice of incompleteness: the date by which to supply it.
    account_ref : str, optional
        For an action on an existing account: the account's reference.
    previous_limit, new_limit : Decimal, optional
        For a limit reduction: the credit limit before and after it, in ``currency``.
    action_date : datetime.date, optional
        For an action on an existing account: the day it took effect.
    """

    creditor: Party
    supervising_agency: Party
    applicant_name: str
    applicant_address_lines: Sequence[str]
    application_ref: str
    notice_date: date
    action: ActionTaken | str
    reasons: Sequence[Reason]
    generated_at: datetime
    ledger_head: LedgerHead
    product: str = "credit"
    requested_amount: Decimal | None = None
    currency: str = "USD"
    requested_term_months: int | None = None
    counteroffer: Counteroffer | None = None
    credit_score: CreditScoreDisclosure | None = None
    consumer_reporting_agency: Party | None = None
    missing: Sequence[str] = ()
    respond_by: date | None = None
    account_ref: str | None = None
    previous_limit: Decimal | None = None
    new_limit: Decimal | None = None
    action_date: date | None = None

    def __post_init__(self) -> None:
        action = ActionTaken(self.action)
        if action is ActionTaken.LIMIT_REDUCED and not (
                self.account_ref and self.action_date is not None
                and self.previous_limit is not None and self.new_limit is not None
                and self.new_limit < self.previous_limit):
            raise ValueError("a limit reduction notice names the account, the day, and the "
                             "limit before and the lower limit after")
        if action is ActionTaken.INCOMPLETE:
            if not self.missing or self.respond_by is None:
                raise ValueError("a notice of incompleteness says what is missing and by when")
        elif not 1 <= len(self.reasons) <= MAX_REASONS:
            raise ValueError(f"a notice states 1 to {MAX_REASONS} principal reasons")
        if action is ActionTaken.COUNTEROFFER and self.counteroffer is None:
            raise ValueError("a counteroffer notice needs the terms offered")
        if self.credit_score:
            limit = (MAX_KEY_FACTORS_WITH_INQUIRIES if self.credit_score.inquiries_factor
                     else MAX_KEY_FACTORS)
            if len(self.credit_score.key_factors) > limit:
                raise ValueError(f"at most {limit} key factors are disclosed")


def build_adverse_action_notice(notice: AdverseActionNotice,
                                provenance: Provenance | None = None) -> bytes:
    """Build the adverse action notice PDF.

    Parameters
    ----------
    notice : AdverseActionNotice
        The notice's content.

    Returns
    -------
    bytes
        A one- or two-page PDF, identical for identical input.
    """
    story: list[Flowable] = [_letterhead(notice), Spacer(1, 6)]
    action = ActionTaken(notice.action)
    if action is ActionTaken.INCOMPLETE:
        name, subject = "Notice of incompleteness", "Notice that a credit application is incomplete"
        story += [para("Your credit application is incomplete", "h1"), *_incomplete(notice)]
    else:
        on = "account" if action is ActionTaken.LIMIT_REDUCED else "application"
        name, subject = "Adverse action notice", f"Notice of action taken on a credit {on}"
        story += [para(f"Notice of action taken on your credit {on}", "h1")]
        story += _action(notice)
        story += _reasons(notice.reasons)
        if notice.credit_score:
            story += _score(notice.credit_score)
        if notice.consumer_reporting_agency:
            story += _agency(notice.consumer_reporting_agency)
        story += _rights(notice)
    story.append(_ecoa(notice.supervising_agency))
    return build_pdf(
        story,
        kind=f"{name} {notice.application_ref}",
        title=f"{name} {notice.application_ref}",
        subject=subject,
        generated_at=notice.generated_at,
        ledger_head=notice.ledger_head,
        provenance=provenance,
    )


def _address(party_name: str, lines: Sequence[str], phone: str | None = None) -> list:
    out = [para(party_name, "h2")]
    out += [para(line, "cell") for line in lines]
    if phone:
        out.append(para(f"Telephone: {phone}", "cell"))
    return out


def _letterhead(notice: AdverseActionNotice) -> Table:
    creditor = notice.creditor
    left = _address(creditor.name, creditor.address_lines, creditor.phone)
    right = [
        para(f"Date: {long_date(notice.notice_date)}", "cell_right"),
        para(f"Application reference: {notice.application_ref}", "cell_right"),
    ]
    if notice.account_ref:
        right.append(para(f"Account reference: {notice.account_ref}", "cell_right"))
    applicant = [Spacer(1, 6), *_address(notice.applicant_name, notice.applicant_address_lines)]
    table = Table([[left, right], [applicant, ""]], colWidths=[CONTENT_WIDTH * 0.6, None])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _requested(notice: AdverseActionNotice) -> str:
    text = notice.product
    if notice.requested_amount is not None:
        text += f" of {fmt_money(notice.requested_amount, notice.currency)}"
    if notice.requested_term_months:
        text += f" over {notice.requested_term_months} months"
    return text


def _action(notice: AdverseActionNotice) -> list[Flowable]:
    action = ActionTaken(notice.action)
    what = _requested(notice)
    sentences = {
        ActionTaken.DECLINED: f"Thank you for your application for a {what}. We are unable "
        "to approve your application.",
        ActionTaken.COUNTEROFFER: f"Thank you for your application for a {what}. We are "
        "unable to approve it on the terms you requested, but we can offer you credit on the "
        "terms below.",
        ActionTaken.TERMS_CHANGED: f"We have changed the terms of your {notice.product} "
        "account to your disadvantage.",
        ActionTaken.ACCOUNT_CLOSED: f"We have closed your {notice.product} account.",
    }
    if action is ActionTaken.LIMIT_REDUCED:
        assert notice.previous_limit is not None and notice.new_limit is not None
        assert notice.action_date is not None  # checked in __post_init__
        sentences[action] = (
            f"We have reduced the credit limit on your {notice.product} account "
            f"{notice.account_ref} from {fmt_money(notice.previous_limit, notice.currency)} to "
            f"{fmt_money(notice.new_limit, notice.currency)}, with effect from "
            f"{long_date(notice.action_date)}.")
    out: list[Flowable] = [para(f"Dear {notice.applicant_name},"), para(sentences[action])]
    offer = notice.counteroffer
    if action is ActionTaken.COUNTEROFFER and offer is not None:
        terms = [
            f"Amount: {fmt_money(offer.amount, offer.currency)}",
            f"Term: {offer.term_months} months",
            f"Annual percentage rate: {offer.annual_percentage_rate:.2f}%",
            *offer.other_terms,
        ]
        out += [para(f"• {term}", "tight") for term in terms]
        out.append(para("Please contact us within 30 days if you wish to accept this offer."))
    return out


def _incomplete(notice: AdverseActionNotice) -> list[Flowable]:
    assert notice.respond_by is not None  # checked in __post_init__
    creditor = notice.creditor
    contact = ", ".join([creditor.name, *creditor.address_lines])
    if creditor.phone:
        contact += f", telephone {creditor.phone}"
    out: list[Flowable] = [
        para(f"Dear {notice.applicant_name},"),
        para(f"Thank you for your application for a {_requested(notice)}. We cannot decide "
             "it yet, because it lacks the following information:"),
    ]
    out += [para(f"• {item}", "tight") for item in notice.missing]
    out.append(para(
        f"Please send it to us by {long_date(notice.respond_by)} at {contact}. If we do not "
        "receive it by then, we will be unable to give your application further "
        "consideration, and you will need to apply again."))
    return out


def _reasons(reasons: Sequence[Reason]) -> list[Flowable]:
    out: list[Flowable] = [para("Principal reasons for our decision", "h2")]
    for number, reason in enumerate(reasons, start=1):
        out.append(para(f"{number}. {reason.statement} (reason code {reason.code})", "tight"))
    return out


def _score(score: CreditScoreDisclosure) -> list[Flowable]:
    out: list[Flowable] = [
        para("Your credit score", "h2"),
        para(
            f"We used a credit score in making our decision. Your credit score: {score.score}. "
            f"Scores range from a low of {score.range_min} to a high of {score.range_max}. "
            f"Date the score was created: {long_date(score.created_on)}. "
            f"Source: {score.source}."
        ),
    ]
    if score.key_factors:
        factors = "; ".join(f"{f.statement} (factor {f.code})" for f in score.key_factors)
        out.append(para(f"Key factors that adversely affected your credit score: {factors}."))
    return out


def _agency(agency: Party) -> list[Flowable]:
    text = (
        "Our decision was based in whole or in part on information obtained in a report from "
        "the consumer reporting agency listed below. You have a right under the Fair Credit "
        "Reporting Act to know the information contained in your credit file at the consumer "
        "reporting agency. The reporting agency played no part in our decision and is unable "
        "to supply specific reasons why we have taken this action. You have a right to a free "
        "copy of your report from the reporting agency, if you request it no later than 60 days "
        "after you receive this notice. In addition, if you find that any information contained "
        "in the report you receive is inaccurate or incomplete, you have the right to dispute "
        "the matter with the reporting agency."
    )
    contact = ", ".join([agency.name, *agency.address_lines])
    if agency.phone:
        contact += f", telephone {agency.phone}"
    return [
        para("Consumer report", "h2"),
        para(text),
        para(f"Consumer reporting agency: {contact}."),
    ]


def _rights(notice: AdverseActionNotice) -> list[Flowable]:
    creditor = notice.creditor
    contact = ", ".join([creditor.name, *creditor.address_lines])
    if creditor.phone:
        contact += f", telephone {creditor.phone}"
    text = (
        "You have the right to a statement of the specific reasons for this action. If you "
        "would like a further statement of specific reasons, contact us within 60 days of the "
        f"date of this notice at {contact}. We will send it to you within 30 days of receiving "
        "your request."
    )
    return [para("Your right to a statement of specific reasons", "h2"), para(text)]


def _ecoa(agency: Party) -> Flowable:
    lines = [agency.name, *agency.address_lines]
    if agency.phone:
        lines.append(f"Telephone: {agency.phone}")
    cell = [para(ECOA_NOTICE, "cell"), Spacer(1, 4), *(para(line, "cell") for line in lines)]
    box = Table([[cell]], colWidths=[CONTENT_WIDTH])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.75, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return KeepTogether([Spacer(1, 6), box])


__all__ = [
    "ECOA_NOTICE",
    "ActionTaken",
    "AdverseActionNotice",
    "Counteroffer",
    "CreditScoreDisclosure",
    "Party",
    "Reason",
    "build_adverse_action_notice",
]
