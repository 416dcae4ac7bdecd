"""A period's figures for the compliance report, from plain rows: final outcomes beside the
automated ones, reviews and overrides by direction, by underwriter and by group, referrals still
waiting with their ageing, denial reasons and offers by group, and notice coverage.

Groups are the monitoring attributes (sex, age band, national origin, marital status), used
here to watch outcomes, never to make them. A group with fewer applications than
``FairnessThresholds.min_group_size`` is flagged as small in every table, not compared silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from statistics import median

from compliance.fairness import FairnessThresholds
from compliance.reports.summaries import CountRow

SMALL_GROUP = FairnessThresholds().min_group_size
GROUP_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("sex", "Sex"), ("age_band", "Age band"), ("national_origin", "National origin"),
    ("marital_status", "Marital status"))
# Ageing of referrals still waiting at the cut-off, in days since submission.
WAITING_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7 days", 0, 7), ("8-30 days", 8, 30), ("31-60 days", 31, 60), ("over 60 days", 61, None))
DENIAL_REASONS_PER_GROUP = 3


@dataclass(frozen=True)
class ApplicationRow:
    """One application of the period, as the report needs it (no personal data)."""

    application_id: str
    submitted_at: datetime
    status: str
    automated_outcome: str
    final_outcome: str
    pending: bool
    groups: Mapping[str, str]
    denial_codes: Sequence[str] = ()
    offered_amount: Decimal | None = None
    offered_apr: Decimal | None = None


@dataclass(frozen=True)
class ReviewRow:
    """A review of a referral or an override, with who made it."""

    application_id: str
    kind: str  # review | override
    from_outcome: str
    to_outcome: str
    by_name: str
    by_role: str


@dataclass(frozen=True)
class NoticeRow:
    """A notice obligation of an application of the period."""

    kind: str
    status: str
    due_date: date
    delivered_on: date | None


@dataclass(frozen=True)
class DirectionCount:
    kind: str
    from_outcome: str
    to_outcome: str
    count: int


@dataclass(frozen=True)
class UnderwriterRow:
    name: str
    role: str
    reviews: int
    overrides: int
    to_approve: int
    to_decline: int


@dataclass(frozen=True)
class GroupChangeRow:
    attribute: str
    group: str
    applications: int
    changed: int
    small: bool


@dataclass(frozen=True)
class GroupReasonRow:
    attribute: str
    group: str
    denials: int
    code: str
    count: int
    small: bool


@dataclass(frozen=True)
class GroupOfferRow:
    attribute: str
    group: str
    approvals: int
    median_amount: Decimal | None
    mean_apr: Decimal | None
    small: bool


@dataclass(frozen=True)
class NoticeCoverage:
    """Notices owed for the period's adverse actions and how they were met by the cut-off."""

    owed: int
    delivered_on_time: int
    delivered_late: int
    not_yet_due: int
    overdue: int
    withdrawn: int


@dataclass(frozen=True)
class PeriodSummary:
    """The key figures of one period, for side-by-side comparison."""

    label: str
    applications: int
    final_approval_rate: float | None
    automated_approval_rate: float | None
    changed_by_underwriter: float | None
    pending_at_cutoff: int
    notices_on_time: float | None


@dataclass(frozen=True)
class PeriodFigures:
    applications: int
    automated_by_outcome: Sequence[CountRow]
    final_by_outcome: Sequence[CountRow]
    pending_by_age: Sequence[CountRow]
    oldest_pending_days: int | None
    directions: Sequence[DirectionCount]
    by_underwriter: Sequence[UnderwriterRow]
    changes_by_group: Sequence[GroupChangeRow]
    denial_reasons_by_group: Sequence[GroupReasonRow]
    offers_by_group: Sequence[GroupOfferRow]
    notices: NoticeCoverage
    summary: PeriodSummary


def _counts(values: Iterable[str]) -> list[CountRow]:
    tally: dict[str, int] = {}
    for value in values:
        tally[value] = tally.get(value, 0) + 1
    return [CountRow(k, n) for k, n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))]


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _age_band(days: int) -> str:
    for label, low, high in WAITING_BANDS:
        if days >= low and (high is None or days <= high):
            return label
    return WAITING_BANDS[-1][0]


def _groups(apps: Sequence[ApplicationRow]) -> list[tuple[str, str, list[ApplicationRow]]]:
    out = []
    for attribute, _label in GROUP_ATTRIBUTES:
        members: dict[str, list[ApplicationRow]] = {}
        for app in apps:
            value = app.groups.get(attribute)
            if value is not None:
                members.setdefault(value, []).append(app)
        out += [(attribute, group, rows) for group, rows in sorted(members.items())]
    return out


def period_figures(apps: Sequence[ApplicationRow], reviews: Sequence[ReviewRow],
                   notices: Sequence[NoticeRow], *, cutoff: datetime,
                   label: str) -> PeriodFigures:
    """The figures of one period as of ``cutoff``."""
    decided = [a for a in apps if not a.pending]
    pending = [a for a in apps if a.pending]
    # Whole days waited; a cut-off stamped to the second may precede a submission that second.
    ages = [max(0, (cutoff - a.submitted_at).days) for a in pending]
    band_counts = {band: 0 for band, _, _ in WAITING_BANDS}
    for days in ages:
        band_counts[_age_band(days)] += 1

    directions: dict[tuple[str, str, str], int] = {}
    people: dict[tuple[str, str], list[ReviewRow]] = {}
    for review in reviews:
        key = (review.kind, review.from_outcome, review.to_outcome)
        directions[key] = directions.get(key, 0) + 1
        people.setdefault((review.by_name, review.by_role), []).append(review)
    changed_apps = {r.application_id for r in reviews}

    changes_by_group, reasons_by_group, offers_by_group = [], [], []
    for attribute, group, members in _groups(apps):
        small = len(members) < SMALL_GROUP
        changes_by_group.append(GroupChangeRow(
            attribute, group, len(members),
            sum(1 for m in members if m.application_id in changed_apps), small))
        denied = [m for m in members if not m.pending and m.final_outcome == "decline"]
        codes = _counts(code for m in denied for code in dict.fromkeys(m.denial_codes))
        reasons_by_group += [GroupReasonRow(attribute, group, len(denied), c.label, c.count, small)
                             for c in codes[:DENIAL_REASONS_PER_GROUP]]
        approved = [m for m in members if not m.pending and m.final_outcome == "approve"
                    and m.offered_amount is not None]
        aprs = [m.offered_apr for m in approved if m.offered_apr is not None]
        offers_by_group.append(GroupOfferRow(
            attribute, group, len(approved),
            Decimal(median([m.offered_amount for m in approved if m.offered_amount is not None]))
            .quantize(Decimal("0.01")) if approved else None,
            (sum(aprs, Decimal(0)) / len(aprs)).quantize(Decimal("0.0001")) if aprs else None,
            small))

    coverage = notice_coverage(notices, cutoff.date())
    met = coverage.delivered_on_time + coverage.delivered_late + coverage.overdue
    automated_approvals = sum(1 for a in apps if a.automated_outcome == "approve")
    final_approvals = sum(1 for a in decided if a.final_outcome == "approve")
    return PeriodFigures(
        applications=len(apps),
        automated_by_outcome=_counts(a.automated_outcome for a in apps),
        final_by_outcome=_counts(["pending" if a.pending else a.final_outcome for a in apps]),
        pending_by_age=[CountRow(band, n) for band, n in band_counts.items()],
        oldest_pending_days=max(ages) if ages else None,
        directions=[DirectionCount(k, f, t, n) for (k, f, t), n in
                    sorted(directions.items(), key=lambda kv: (-kv[1], kv[0]))],
        by_underwriter=[UnderwriterRow(
            name, role, sum(1 for r in rows if r.kind == "review"),
            sum(1 for r in rows if r.kind == "override"),
            sum(1 for r in rows if r.to_outcome == "approve"),
            sum(1 for r in rows if r.to_outcome == "decline"))
            for (name, role), rows in sorted(people.items())],
        changes_by_group=changes_by_group,
        denial_reasons_by_group=reasons_by_group,
        offers_by_group=offers_by_group,
        notices=coverage,
        summary=PeriodSummary(
            label=label, applications=len(apps),
            final_approval_rate=_rate(final_approvals, len(decided)),
            automated_approval_rate=_rate(automated_approvals, len(apps)),
            changed_by_underwriter=_rate(len(changed_apps), len(apps)),
            pending_at_cutoff=len(pending),
            notices_on_time=_rate(coverage.delivered_on_time, met)),
    )


def notice_coverage(notices: Sequence[NoticeRow], cutoff: date) -> NoticeCoverage:
    """How the notices owed were met by ``cutoff``: delivered by their due date or after it,
    still within it, past it undelivered; withdrawn ones (the action was reversed) apart."""
    owed = [n for n in notices if n.status != "withdrawn"]
    on_time = sum(1 for n in owed if n.delivered_on is not None and n.delivered_on <= n.due_date)
    late = sum(1 for n in owed if n.delivered_on is not None and n.delivered_on > n.due_date)
    waiting = [n for n in owed if n.delivered_on is None]
    return NoticeCoverage(
        owed=len(owed), delivered_on_time=on_time, delivered_late=late,
        not_yet_due=sum(1 for n in waiting if n.due_date >= cutoff),
        overdue=sum(1 for n in waiting if n.due_date < cutoff),
        withdrawn=len(notices) - len(owed))


def group_label(attribute: str) -> str:
    return dict(GROUP_ATTRIBUTES).get(attribute, attribute)
