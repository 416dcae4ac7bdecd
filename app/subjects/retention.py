"""The retention run: shred the keys of the subjects whose every application is past the Reg B
retention period, except those under a legal hold or still owed a notice; and say how much of
the ledger is past its own retention period (nothing deletes ledger events).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlmodel import Session

from app.audit.service import append_event
from app.auth.principal import Principal
from app.config import Settings
from app.errors import Unprocessable
from app.subjects import repository
from app.subjects.erasure import RETENTION, shred
from compliance.retention import APPLICATION_RETENTION_MONTHS, add_months, expired


@dataclass
class RetentionRun:
    as_of: date
    dry_run: bool
    retention_months: int = APPLICATION_RETENTION_MONTHS
    considered: int = 0  # subjects still holding a key
    expired: list[str] = field(default_factory=list)  # shredded (or, dry, to be)
    held: list[str] = field(default_factory=list)  # expired but under a legal hold
    notice_owed: list[str] = field(default_factory=list)  # expired but still owed a notice
    ledger_retention_months: int = 0
    ledger_events_past_retention: int = 0

    def counts(self) -> dict[str, int | str | bool]:
        return {"as_of": self.as_of.isoformat(), "dry_run": self.dry_run,
                "retention_months": self.retention_months, "considered": self.considered,
                "shredded": 0 if self.dry_run else len(self.expired),
                "expired": len(self.expired), "held": len(self.held),
                "notice_owed": len(self.notice_owed),
                "ledger_retention_months": self.ledger_retention_months,
                "ledger_events_past_retention": self.ledger_events_past_retention}


def run(session: Session, settings: Settings, actor: Principal, *, as_of: date | None = None,
        dry_run: bool) -> RetentionRun:
    """Shred every subject whose retention period is over on ``as_of`` (default today).

    A dry run changes nothing and is not ledgered; it may look ahead to a future date. A real run
    never does: a date ahead would destroy records before their time.
    """
    today = datetime.now(UTC).date()
    as_of = as_of or today
    if as_of > today and not dry_run:
        raise Unprocessable(f"a retention run on a future date ({as_of}) would destroy records "
                            "before their time; use a dry run to look ahead",
                            code="as_of_in_future")
    result = RetentionRun(as_of=as_of, dry_run=dry_run,
                          ledger_retention_months=settings.ledger_retention_months)
    candidates = repository.holding_keys(session)
    result.considered = len(candidates)
    last = repository.last_actions(session)
    owed = repository.with_notices_owed(session)
    now = datetime.now(UTC)
    for subject in candidates:
        latest = last.get(subject.id, subject.created_at)
        if not expired(latest.date(), as_of):
            continue
        if subject.legal_hold_since is not None:
            result.held.append(subject.id)
        elif subject.id in owed:
            result.notice_owed.append(subject.id)
        else:
            result.expired.append(subject.id)
            if not dry_run:
                shred(session, actor, subject, cause=RETENTION, now=now, details={
                    "last_action_on": latest.date().isoformat(), "as_of": as_of.isoformat()})
    ledger_cutoff = datetime.combine(add_months(as_of, -settings.ledger_retention_months),
                                     time(), UTC)
    result.ledger_events_past_retention = repository.ledger_events_before(session, ledger_cutoff)
    if not dry_run:
        append_event(session, actor, "retention.run", "retention", as_of.isoformat(),
                     result.counts())
    return result
