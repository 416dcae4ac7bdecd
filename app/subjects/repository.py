"""Queries on data subjects: finding one again, their applications, their last actions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.models import (
    ApplicantIdentity,
    Application,
    AuditEvent,
    DataSubject,
    Decision,
    ErasureRequest,
    NoticeObligation,
)
from risk_models.notices import OPEN_STATUSES


def by_lookup_digest(session: Session, digest: str) -> DataSubject | None:
    """The subject still holding a key who is known by ``digest``."""
    return session.exec(select(DataSubject).where(DataSubject.lookup_digest == digest)).first()


def for_update(session: Session, subject_id: str) -> DataSubject | None:
    """The subject, its row locked until the transaction ends (PostgreSQL; SQLite already
    serialises writers)."""
    return session.get(DataSubject, subject_id, with_for_update=True)


def application_ids(session: Session, subject_id: str) -> list[str]:
    return list(session.exec(select(ApplicantIdentity.application_id)
                             .where(ApplicantIdentity.subject_id == subject_id)
                             .order_by(col(ApplicantIdentity.application_id))).all())


def subjects_of_digests(session: Session, *, national_id_digest: str | None,
                        name_dob_digest: str | None) -> dict[str, list[str]]:
    """Subject id → ids of their applications whose digests match either one given."""
    conditions = []
    if national_id_digest is not None:
        conditions.append(col(Application.national_id_digest) == national_id_digest)
    if name_dob_digest is not None:
        conditions.append(col(Application.name_dob_digest) == name_dob_digest)
    if not conditions:
        return {}
    rows = session.exec(
        select(ApplicantIdentity.subject_id, Application.id)
        .join(Application, col(Application.id) == col(ApplicantIdentity.application_id))
        .where(or_(*conditions)).order_by(col(Application.id))).all()
    found: dict[str, list[str]] = {}
    for subject_id, application_id in rows:
        found.setdefault(subject_id, []).append(application_id)
    return found


def pending_erasure(session: Session, subject_id: str) -> ErasureRequest | None:
    return session.exec(select(ErasureRequest).where(
        ErasureRequest.subject_id == subject_id, ErasureRequest.status == "pending")).first()


def _restrict(query: Any, subject_ids: list[str] | None) -> Any:
    """``query`` (joined to ``applicant_identities``) kept to ``subject_ids`` when given."""
    if subject_ids is None:
        return query
    return query.where(col(ApplicantIdentity.subject_id).in_(subject_ids))


def last_actions(session: Session,
                 subject_ids: Iterable[str] | None = None) -> dict[str, datetime]:
    """Each subject's last action on any of their applications: the latest decision, or the
    latest delivery of a notice (Reg B counts retention from the notification)."""
    ids = None if subject_ids is None else list(subject_ids)
    latest: dict[str, datetime] = {}
    decided = _restrict(
        select(ApplicantIdentity.subject_id, func.max(Decision.created_at))
        .join(Decision, col(Decision.application_id) == col(ApplicantIdentity.application_id))
        .group_by(col(ApplicantIdentity.subject_id)), ids)
    delivered = _restrict(
        select(ApplicantIdentity.subject_id, func.max(NoticeObligation.delivered_at))
        .join(NoticeObligation,
              col(NoticeObligation.application_id) == col(ApplicantIdentity.application_id))
        .group_by(col(ApplicantIdentity.subject_id)), ids)
    for query in (decided, delivered):
        for subject_id, at in session.exec(query).all():
            if at is not None and (subject_id not in latest or at > latest[subject_id]):
                latest[subject_id] = at
    return latest


def with_notices_owed(session: Session, subject_ids: Iterable[str] | None = None) -> set[str]:
    """The subjects with a notice still owed (pending or generated, not delivered)."""
    query = _restrict(
        select(ApplicantIdentity.subject_id).distinct()
        .join(NoticeObligation,
              col(NoticeObligation.application_id) == col(ApplicantIdentity.application_id))
        .where(col(NoticeObligation.status).in_([str(s) for s in OPEN_STATUSES])),
        None if subject_ids is None else list(subject_ids))
    return set(session.exec(query).all())


def holding_keys(session: Session) -> list[DataSubject]:
    """Every subject whose key has not been shredded (the retention run's candidates)."""
    return list(session.exec(select(DataSubject).where(col(DataSubject.wrapped_key).is_not(None))
                             .order_by(col(DataSubject.created_at), col(DataSubject.id))).all())


def wrapped_by_other_than(session: Session, master_key_id: str,
                          limit: int) -> list[DataSubject]:
    return list(session.exec(
        select(DataSubject).where(col(DataSubject.wrapped_key).is_not(None),
                                  col(DataSubject.master_key_id) != master_key_id)
        .order_by(col(DataSubject.id)).limit(limit)).all())


def key_usage(session: Session) -> dict[str, int]:
    """Master key id → how many subjects' data keys it wraps."""
    rows = session.exec(select(DataSubject.master_key_id, func.count())
                        .where(col(DataSubject.wrapped_key).is_not(None))
                        .group_by(col(DataSubject.master_key_id))).all()
    return {str(key_id): int(count) for key_id, count in rows}


def ledger_events_before(session: Session, before: datetime) -> int:
    return int(session.exec(select(func.count()).select_from(AuditEvent)
                            .where(col(AuditEvent.occurred_at) < before)).one())
