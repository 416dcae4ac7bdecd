"""Background jobs: idempotent runs that survive a restart of the worker, on the embedded SQLite
queue and, when RISKDESK_TEST_REDIS_URL is set (CI sets it), on Redis; and the daily notice
deadline run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.db import session_scope
from app.models import AuditEvent, JobRun, NoticeObligation, ShadowDecision
from app.monitoring import runs
from tests.app.application_documents import good_application

pytestmark = pytest.mark.usefixtures("active_model")
REDIS_URL = os.environ.get("RISKDESK_TEST_REDIS_URL")
QUEUES = ["sqlite", pytest.param("redis", marks=pytest.mark.skipif(
    not REDIS_URL, reason="RISKDESK_TEST_REDIS_URL is not set"))]


@pytest.fixture(params=QUEUES)
def queue_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()  # this test's queue starts empty
    return REDIS_URL


def _worker(queue_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RISKDESK_JOBS_URL": queue_url}
    return subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()",
                             "worker"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _wait_for(engine, run_id: str, state: str, timeout: float = 120.0) -> JobRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as session:
            run = session.get(JobRun, run_id)
            if run is not None and run.state == state:
                return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not reach {state}")


def _challenger_with_history(client, auth_headers, engine, default_training) -> tuple[str, str]:
    """Three applications and a challenger whose backfill ran (immediately, in this process);
    returns the challenger's version and its backfill run's id."""
    from tests.app.test_model_lifecycle import _move, _register, _to_approved, _variant

    for _ in range(3):
        client.post("/applications", json=good_application(),
                    headers=auth_headers["loan_officer"])
    version = _register(engine, _variant(default_training[0], label="1", points_shift=5.0))
    _to_approved(client, auth_headers, version)
    _move(client, auth_headers["admin"], version, "promote",
          {"to": "challenger", "reason": "trial"})
    with Session(engine) as session:
        (run,) = session.exec(select(JobRun)).all()
    return version, run.id


def test_a_run_cut_off_mid_way_resumes_from_its_cursor_when_a_worker_starts(
        client, auth_headers, engine, default_training, queue_url):
    version, run_id = _challenger_with_history(client, auth_headers, engine, default_training)
    # As a worker killed after its first batch leaves it: the run "running", its cursor past
    # the first application, the later shadows not written, and nothing left on the queue.
    with session_scope(engine) as session:
        shadows = sorted(session.exec(select(ShadowDecision)).all(),
                         key=lambda s: s.application_id)
        first = shadows[0].application_id
        for row in shadows[1:]:
            session.delete(row)
        run = session.get(JobRun, run_id)
        run.state, run.cursor, run.progress, run.result = "running", first, 1, None
        session.add(run)
    worker = _worker(queue_url)
    try:
        done = _wait_for(engine, run_id, "done")
    finally:
        worker.send_signal(signal.SIGINT)
        worker.communicate(timeout=30)
    assert done.result == {"shadow_decisions": 3, "skipped": 0}
    with Session(engine) as session:
        again = sorted(s.application_id for s in session.exec(select(ShadowDecision)).all())
    assert again == [s.application_id for s in shadows]


def test_a_job_queued_while_the_worker_is_down_runs_once_after_it_restarts(
        client, auth_headers, engine, default_training, queue_url):
    worker = _worker(queue_url)
    time.sleep(2)
    worker.kill()  # killed, not stopped: no chance to tidy up
    worker.communicate(timeout=30)
    # Written as runs.request writes it, without queuing it from this process (whose jobs run
    # inline): the worker's queue is the one under test.
    with session_scope(engine) as session:
        run = JobRun(id="a" * 32, kind="notice_deadlines", key="2030-01-01",
                     params={"day": "2030-01-01"}, state="queued", requested_by="test")
        session.add(run)
        run_id = run.id
    # Put on the worker's own queue (this test process runs jobs inline, so not from here).
    queued = subprocess.run([sys.executable, "-c",
                             f"from app.jobs import queue_run; queue_run({run_id!r})"],
                            env={**os.environ, "RISKDESK_JOBS_URL": queue_url}, timeout=120)
    assert queued.returncode == 0
    worker = _worker(queue_url)
    try:
        done = _wait_for(engine, run_id, "done")
    finally:
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=30)
    # Queued twice (by us, and by the worker from the database as it started): run once.
    assert done.attempts == 1, output
    assert done.result is not None and set(done.result) == {"generated", "failed",
                                                            "flagged_overdue"}


def test_the_notice_deadline_run_prepares_notices_and_records_late_ones_once(
        client, auth_headers, engine):
    declined = client.post("/applications", json=good_application(**{
        "loan.amount": "6000.00", "loan.term_months": 48, "loan.purpose": "business",
        "crm.checking_balance": "-150.00", "crm.savings_balance": "20.00",
        "bureau.credit_history": "all_paid_at_this_bank", "kyc.housing": "rent",
        "kyc.property": "none"}), headers=auth_headers["loan_officer"]).json()
    assert declined["outcome"] == "decline", declined
    with Session(engine) as session:
        (notice,) = session.exec(select(NoticeObligation).where(
            NoticeObligation.application_id == declined["id"])).all()
    early = notice.due_date - timedelta(days=10)
    late = notice.due_date + timedelta(days=3)
    results = []
    for day in (early, notice.due_date - timedelta(days=2), late, late):
        with session_scope(engine) as session:
            run, _ = runs.request(session, Principal.system("test"), "notice_deadlines",
                                  f"{day}:{len(results)}", {"day": day.isoformat()})
        results.append(runs.execute(run.id))
    # Ten days ahead: left alone; two days ahead: generated; late: recorded once.
    assert [r["generated"] for r in results] == [0, 1, 0, 0]
    assert [r["flagged_overdue"] for r in results] == [0, 0, 1, 0]
    with Session(engine) as session:
        assert session.get(NoticeObligation, notice.id).status == "generated"
        (event,) = session.exec(select(AuditEvent).where(
            AuditEvent.action == "notice.overdue")).all()
    assert event.entity_id == notice.id and '"days_late":3' in event.payload


def test_asking_for_the_same_work_twice_is_one_run(engine):
    with session_scope(engine) as session:
        first, created = runs.request(session, Principal.system("test"), "notice_deadlines",
                                      "2031-01-01", {"day": "2031-01-01"})
        second, again = runs.request(session, Principal.system("test"), "notice_deadlines",
                                     "2031-01-01", {"day": "2031-01-01"})
    assert created and not again and first.id == second.id
