"""An application's whole decision trail in one answer, for an auditor.

In order: every ledger event about the application (its own, and those of its notices and
reports); its decisions and reviews with the people who made them named with their roles; its
notices and reports, each report verified against the ledger; and the proof that those events
sit in the verified chain: the chain recomputed from its first event to its head, each event of
the trail found there with the same hash, and a checkpoint of that head signed now.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from app.applications import repository
from app.audit import service as ledger_service
from app.audit.service import append_event
from app.auth.principal import Principal
from app.config import Settings
from app.errors import NotFound
from app.models import Application, AuditEvent, Report
from app.notices import repository as notices_repository
from app.reports import service as reports_service
from app.users import repository as users


def _actor(actor_id: str, acted_as: str, people: dict[str, tuple[str, str]]) -> dict[str, Any]:
    person = people.get(actor_id)
    return {"id": actor_id, "name": person[0] if person else actor_id, "acted_as": acted_as}


def _events(session: Session, application_id: str, notice_ids: list[str],
            report_ids: list[int]) -> list[AuditEvent]:
    about = [and_(col(AuditEvent.entity_type) == "application",
                  col(AuditEvent.entity_id) == application_id)]
    if notice_ids:
        about.append(and_(col(AuditEvent.entity_type) == "notice",
                          col(AuditEvent.entity_id).in_(notice_ids)))
    if report_ids:
        about.append(and_(col(AuditEvent.entity_type) == "report",
                          col(AuditEvent.entity_id).in_([str(r) for r in report_ids])))
    return list(session.exec(select(AuditEvent).where(or_(*about))
                             .order_by(col(AuditEvent.seq))).all())


def trail(session: Session, settings: Settings, actor: Principal,
          application_id: str, *, prove: bool = True) -> dict[str, Any]:
    """The trail of ``application_id``; reading it is itself recorded in the ledger.

    ``prove=False`` leaves out the proof (``proof``, each event's ``in_verified_chain`` and
    each report's ``verification`` are None): recomputing the chain costs time in proportion
    to the whole ledger, so a page showing the timeline offers the proof on request.
    """
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", code="application_not_found")
    decisions = repository.decisions_of(session, application_id, account_actions=True)
    notices = notices_repository.of_application(session, application_id)
    reports = list(session.exec(select(Report).where(Report.application_id == application_id)
                                .order_by(col(Report.id))).all())
    events = _events(session, application_id, [n.id for n in notices],
                     [r.id for r in reports if r.id is not None])
    people = users.people(session, {e.actor_id for e in events} | {d.decided_by for d in decisions}
                     | {application.submitted_by})

    proof: dict[str, Any] | None = None
    in_chain: set[int] | None = None
    verifications: dict[int, dict[str, Any]] = {}
    if prove:
        chain = ledger_service.verify(session)
        # Events up to the last that verified (the head, or the one before a break) are proven.
        in_chain = {e.seq for e in events if e.seq <= chain.head_seq}
        verifications = {r.id: reports_service.verify_report(session, settings, r.id,
                                                             chain=chain).as_dict()
                         for r in reports if r.id is not None}
        proof = {
            "chain": chain.as_dict(),
            "events_in_verified_chain": len(in_chain),
            "events": len(events),
            "ok": chain.ok and len(in_chain) == len(events),
            "checkpoint": ledger_service.checkpoint(session, settings) if chain.ok else None,
            "verified_at": datetime.now(UTC).isoformat(),
        }
    answer: dict[str, Any] = {
        "application_id": application.id,
        "status": application.status,
        "outcome": application.outcome,
        "submitted_at": application.submitted_at.isoformat(),
        "submitted_by": _actor(application.submitted_by, application.submitted_by_role, people),
        "events": [{
            "seq": e.seq, "occurred_at": e.occurred_at.isoformat(), "action": e.action,
            "entity_type": e.entity_type, "entity_id": e.entity_id,
            "actor": _actor(e.actor_id, e.actor_role, people),
            "payload": json.loads(e.payload), "hash": e.hash, "prev_hash": e.prev_hash,
            "in_verified_chain": None if in_chain is None else e.seq in in_chain}
            for e in events],
        "decisions": [{
            "id": d.id, "kind": d.kind, "created_at": d.created_at.isoformat(),
            "outcome": d.outcome, "adverse_action": d.adverse_action,
            "risk_tier": d.risk_tier, "score": d.score,
            "reason_codes": [r["code"] for r in d.record.get("reasons", [])],
            "knockout_codes": [k["code"] for k in d.record.get("knockouts", [])],
            "model_version": d.model_version, "policy_version": d.policy_version,
            "decided_by": _actor(d.decided_by, d.decided_by_role, people)} for d in decisions],
        "notices": [{
            "id": n.id, "kind": n.kind, "status": n.status, "due_date": n.due_date.isoformat(),
            "report_id": n.report_id,
            "delivered_at": n.delivered_at.isoformat() if n.delivered_at else None,
            "delivery_channel": n.delivery_channel} for n in notices],
        "reports": [{
            "id": r.id, "kind": r.kind, "created_at": r.created_at.isoformat(),
            "sha256": r.sha256, "manifest_sha256": r.manifest_sha256,
            "verification": verifications.get(r.id)} for r in reports
            if r.id is not None],
        "proof": proof,
    }
    append_event(session, actor, "application.trail_viewed", "application", application_id,
                 {"events": len(events), "proof_ok": proof["ok"] if proof else None})
    return answer
