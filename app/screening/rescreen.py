"""Rescreening: every open application and every approved customer, against the lists now in
force, after a new list version is loaded.

A run works in batches of applications in id order, each batch one transaction: its
screenings, the cases it raises and its ledger event commit together with the run's cursor.
A run cut off (a worker restarted, a deploy) resumes after its last committed batch, so no
application is screened twice by one run and none is skipped.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Engine, or_, select
from sqlmodel import col

from app.applications.states import PENDING_STATUSES
from app.audit.service import append_event
from app.auth.principal import Principal
from app.config import Settings, get_settings
from app.db import session_scope
from app.models import ApplicantIdentity, Application, DataSubject, FourEyesApproval, Rescreen
from app.reviews import service as reviews
from app.reviews.states import ApprovalState, CaseKind
from app.scoring.service import load_policy_version
from app.screening import service as screening
from app.subjects import service as subjects
from compliance.ledger import canonical_json, sha256_hex
from risk_models.policy import APPROVE
from risk_models.screening import Screener, ScreeningResult

log = logging.getLogger(__name__)
BATCH_SIZE = 2000
# Below this many people a batch is matched in this process: a pool costs more than it saves.
PARALLEL_FROM = 200
ACTOR = Principal.system("rescreen")

# The screener the pool's processes match with: set before the pool forks, so each process
# inherits the index instead of receiving a copy of it.
_pool_screener: Screener | None = None


def _match_chunk(people: list[screening.Person]) -> list[ScreeningResult]:
    assert _pool_screener is not None
    return screening.match_people(_pool_screener, people)


class _Matcher:
    """Matches a batch's people across processes (the matcher is pure Python and CPU-bound);
    the pool is made again when the lists in force change."""

    def __init__(self, processes: int, parallel_from: int) -> None:
        self.processes, self.parallel_from = processes, parallel_from
        self._pool: ProcessPoolExecutor | None = None
        self._screener: Screener | None = None

    def match(self, screener: Screener,
              people: list[screening.Person]) -> list[ScreeningResult]:
        if self.processes < 2 or len(people) < self.parallel_from:
            return screening.match_people(screener, people)
        global _pool_screener
        if screener is not self._screener:
            self.close()
            _pool_screener, self._screener = screener, screener
            self._pool = ProcessPoolExecutor(self.processes,
                                             mp_context=multiprocessing.get_context("fork"))
        assert self._pool is not None
        size = -(-len(people) // (self.processes * 4))
        chunks = [people[i:i + size] for i in range(0, len(people), size)]
        return [r for part in self._pool.map(_match_chunk, chunks) for r in part]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def _in_scope() -> ColumnElement[bool]:
    """Open applications, approved customers, and any application with a decision waiting
    for a checker (a decline about to be overridden): whom a new listing concerns."""
    waiting = select(col(FourEyesApproval.application_id)).where(
        col(FourEyesApproval.state) == ApprovalState.PENDING)
    return or_(col(Application.status).in_([str(s) for s in PENDING_STATUSES]),
               col(Application.outcome) == APPROVE, col(Application.id).in_(waiting))


def run(rescreen_id: str, *, engine: Engine | None = None, batch_size: int = BATCH_SIZE,
        processes: int | None = None, parallel_from: int = PARALLEL_FROM) -> Rescreen:
    """Run (or resume) a rescreening run to its end; a finished run is left as it is.
    ``processes`` match in parallel (default: ``RISKDESK_RESCREEN_PROCESSES``)."""
    settings = get_settings()
    matcher = _Matcher(processes or settings.rescreen_processes, parallel_from)
    try:
        return _run(rescreen_id, settings, matcher, engine, batch_size)
    finally:
        matcher.close()


def _run(rescreen_id: str, settings: Settings, matcher: _Matcher, engine: Engine | None,
         batch_size: int) -> Rescreen:
    with session_scope(engine) as session:
        job = screening.get_rescreen(session, rescreen_id)
        if job.state == "done":
            return job
        if job.state in ("queued", "failed"):
            now = datetime.now(UTC)
            screening.mark_rescreen(session, rescreen_id, state="running", started_at=now)
            append_event(session, ACTOR, "screening.rescreen_started", "rescreen", rescreen_id,
                         {"list_id": job.list_id})
    while True:
        with session_scope(engine) as session:
            job = screening.get_rescreen(session, rescreen_id)
            statement = (select(col(Application.id), col(Application.policy_version),
                                col(ApplicantIdentity.subject_id), col(ApplicantIdentity.sealed))
                         .join(ApplicantIdentity,
                               col(ApplicantIdentity.application_id) == col(Application.id))
                         .where(_in_scope())
                         .order_by(col(Application.id)).limit(batch_size))
            if job.cursor is not None:
                statement = statement.where(col(Application.id) > job.cursor)
            batch = session.execute(statement).all()
            if not batch:
                now = datetime.now(UTC)
                screening.mark_rescreen(session, rescreen_id, state="done", finished_at=now)
                append_event(session, ACTOR, "screening.rescreen_finished", "rescreen",
                             rescreen_id, {"screened": job.screened, "raised": job.raised,
                                           "skipped": job.skipped})
                session.flush()
                session.expire_all()
                return screening.get_rescreen(session, rescreen_id)
            versions = screening.lists_in_force(session)
            refs = [v.ref() for v in versions]
            now = datetime.now(UTC)
            screened = skipped = 0
            raised: list[dict[str, object]] = []
            recorded, results_of_batch = [], []
            # The batch's subjects in one query: opening each identity then finds its key in
            # the session instead of asking the database once per customer.
            session.exec(select(DataSubject).where(  # type: ignore[call-overload]
                col(DataSubject.id).in_({row[2] for row in batch}))).all()
            opened = []
            for application_id, policy_version, subject_id, sealed in batch:
                try:
                    identity = subjects.open_json(session, settings, subject_id,
                                                  subjects.identity_binding(application_id),
                                                  sealed)
                except subjects.PersonalDataErased:
                    skipped += 1  # erased: nothing left to screen
                    continue
                opened.append((application_id, policy_version, screening.people_of(identity)))
            everyone = [p for _, _, people in opened for p in people]
            found = iter(matcher.match(screening.screener_for(session, versions), everyone))
            for application_id, policy_version, people in opened:
                results = screening.screen_people(session, settings, people, versions,
                                                  found=[next(found) for _ in people])
                results_of_batch.append((application_id, results))
                screened += 1
                recorded += [[application_id, r.screening_id, r.status] for r in results]
                flagged = [r for r in results if r.status == screening.POTENTIAL]
                if not flagged:
                    continue
                waiting = reviews.open_case_of(session, application_id,
                                               CaseKind.SANCTIONS_MATCH)
                if waiting is None:
                    policy = load_policy_version(session, policy_version)
                    case = reviews.open_case(
                        session, ACTOR, application_id, CaseKind.SANCTIONS_MATCH,
                        policy.review_rules,
                        {"source": "rescreen", "rescreen_id": rescreen_id,
                         "parties": [r.summary() for r in flagged]}, now)
                    raised.append({"application_id": application_id, "case_id": case.id})
                else:
                    # A case already waits: its disposition must cover these matches too.
                    reviews.add_matches(session, ACTOR, waiting,
                                        [r.summary() for r in flagged], rescreen_id)
            screening.record_batch(session, results_of_batch, refs, purpose="rescreen",
                                   actor=ACTOR, now=now, rescreen_id=rescreen_id)
            last = batch[-1][0]
            screening.mark_rescreen(session, rescreen_id, cursor=last,
                                    screened=job.screened + screened,
                                    raised=job.raised + len(raised),
                                    skipped=job.skipped + skipped)
            append_event(session, ACTOR, "screening.rescreened", "rescreen", rescreen_id, {
                "from_after": job.cursor, "to": last, "screened": screened,
                "skipped": skipped, "raised": raised, "lists": refs,
                "screenings_sha256": sha256_hex(canonical_json(recorded))})
        log.info("rescreen %s: %d screened, %d raised in this batch", rescreen_id, screened,
                 len(raised))


def fail(rescreen_id: str, error: str, *, engine: Engine | None = None) -> None:
    """Mark a run failed (a job that ran out of retries); queuing it again resumes it."""
    with session_scope(engine) as session:
        screening.mark_rescreen(session, rescreen_id, state="failed", error=error[:500])
        append_event(session, ACTOR, "screening.rescreen_failed", "rescreen", rescreen_id,
                     {"error": error[:500]})
