"""The retention run, on both backends: subjects past 25 months after their last action are
shredded, except under a legal hold or while a notice is owed; a dry run changes nothing; a real
run never looks ahead; the ledger is reported on and never deleted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.auth.principal import Principal
from app.models import ApplicantIdentity, AuditEvent, DataSubject, NoticeObligation
from app.subjects import erasure, retention
from tests.app import factories as f

DECIDED = datetime(2023, 1, 10, 9, 0, tzinfo=UTC)  # kept until 2025-02-10
KEEPER = Principal.system("retention")


def _subject_of(session, application_id) -> str:
    return session.get(ApplicantIdentity, application_id).subject_id


@pytest.fixture
def book(engine, users):
    """Four people decided on 10 January 2023: one plain, one under a legal hold, one still owed
    a decline notice, one whose notice was delivered a year later; and one decided last week."""
    officer = str(users["loan_officer"].id)
    with Session(engine, expire_on_commit=False) as s:
        f.add_model(s)
        f.add_policy(s)
        plain, _ = f.add_application(s, submitted_by=officer, submitted_at=DECIDED,
                                     outcome="approve")
        held, _ = f.add_application(s, submitted_by=officer, submitted_at=DECIDED,
                                    outcome="approve")
        owed, _ = f.add_application(s, submitted_by=officer, submitted_at=DECIDED,
                                    outcome="decline", reasons=[f.REASON_CHK])
        late, _ = f.add_application(s, submitted_by=officer, submitted_at=DECIDED,
                                    outcome="decline", reasons=[f.REASON_CHK])
        notice = s.exec(select(NoticeObligation).where(
            NoticeObligation.application_id == late.id)).one()
        notice.status, notice.delivered_at = "delivered", datetime(2024, 1, 20, tzinfo=UTC)
        s.add(notice)
        recent, _ = f.add_application(s, submitted_by=officer, outcome="approve",
                                      submitted_at=datetime.now(UTC))
        ids = {name: _subject_of(s, a.id) for name, a in (
            ("plain", plain), ("held", held), ("owed", owed), ("late", late),
            ("recent", recent))}
        erasure.set_legal_hold(s, Principal.system("test-setup"), ids["held"],
                               "Case 2026-CV-118")
        s.commit()
    return ids


def _run(engine, settings, as_of, dry_run):
    from app.db import session_scope

    with session_scope(engine) as session:
        return retention.run(session, settings, KEEPER, as_of=as_of, dry_run=dry_run)


def _shredded(engine) -> set[str]:
    with Session(engine) as session:
        return {s.id for s in session.exec(select(DataSubject)) if s.wrapped_key is None}


def _events(engine, action):
    with Session(engine) as session:
        return [json.loads(e.payload) for e in session.exec(
            select(AuditEvent).where(AuditEvent.action == action))]


def test_nothing_expires_the_day_before_25_months_have_passed(engine, settings_env, book):
    result = _run(engine, settings_env, datetime(2025, 2, 9).date(), dry_run=True)
    assert result.expired == [] and result.held == [] and result.considered == 5


def test_a_dry_run_names_what_a_run_shreds_and_changes_nothing(engine, settings_env, book):
    day = datetime(2025, 2, 10).date()
    dry = _run(engine, settings_env, day, dry_run=True)
    assert dry.expired == [book["plain"]]
    assert dry.held == [book["held"]] and dry.notice_owed == [book["owed"]]
    assert _shredded(engine) == set() and _events(engine, "retention.run") == []

    done = _run(engine, settings_env, day, dry_run=False)
    assert done.expired == dry.expired and _shredded(engine) == {book["plain"]}
    [shredded] = _events(engine, "subject.shredded")
    assert shredded["cause"] == "retention" and shredded["last_action_on"] == "2023-01-10"
    [run] = _events(engine, "retention.run")
    assert (run["shredded"], run["held"], run["notice_owed"], run["considered"]) == (1, 1, 1, 5)


def test_a_notice_delivered_later_extends_the_retention(engine, settings_env, book):
    assert book["late"] not in _run(engine, settings_env, datetime(2026, 2, 19).date(),
                                    dry_run=True).expired
    assert book["late"] in _run(engine, settings_env, datetime(2026, 2, 20).date(),
                                dry_run=True).expired


def test_a_real_run_never_looks_ahead(engine, settings_env, book):
    from app.errors import Unprocessable

    with pytest.raises(Unprocessable) as caught:
        _run(engine, settings_env, datetime(2099, 1, 1).date(), dry_run=False)
    assert caught.value.code == "as_of_in_future"
    ahead = _run(engine, settings_env, datetime(2099, 1, 1).date(), dry_run=True)
    assert book["recent"] in ahead.expired and _shredded(engine) == set()


def test_the_ledger_is_reported_on_never_deleted(engine, settings_env, book):
    with Session(engine) as session:
        events = len(session.exec(select(AuditEvent)).all())
    ahead = _run(engine, settings_env, datetime(2099, 1, 1).date(), dry_run=True)
    assert ahead.ledger_retention_months == 84
    assert ahead.ledger_events_past_retention == events
    with Session(engine) as session:
        assert len(session.exec(select(AuditEvent)).all()) == events


def test_the_ledger_retention_setting_is_at_least_six_months(monkeypatch):
    from pydantic import ValidationError

    from app.config import Settings

    monkeypatch.setenv("RISKDESK_LEDGER_RETENTION_MONTHS", "5")
    with pytest.raises(ValidationError):
        Settings()


def test_retention_through_the_api_and_the_command_line(client, auth_headers, engine, book):
    from app.cli import cli

    dry = client.post("/retention/run", json={"dry_run": True, "as_of": "2025-02-10"},
                      headers=auth_headers["admin"])
    assert dry.status_code == 200, dry.text
    assert dry.json()["expired"] == [book["plain"]] and _shredded(engine) == set()
    ahead = client.post("/retention/run", json={"dry_run": False, "as_of": "2099-01-01"},
                        headers=auth_headers["admin"])
    assert ahead.status_code == 422 and ahead.json()["error"]["code"] == "as_of_in_future"

    result = CliRunner().invoke(cli, ["retention", "run", "--as-of", "2025-02-10", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["expired_subjects"] == [book["plain"]]
    assert _shredded(engine) == {book["plain"]}
    [run] = _events(engine, "retention.run")
    assert run["as_of"] == "2025-02-10"
    with Session(engine) as session:
        assert session.exec(select(AuditEvent).where(
            AuditEvent.action == "retention.run")).one().actor_id == "retention"
