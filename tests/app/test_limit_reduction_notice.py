"""A credit limit lowered on a booked account: its decision on the application, the notice it
owes within 30 days, the PDF that notice becomes, and everything that reads an application's
decisions left as it was."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, col, select

from app.auth.principal import Principal
from app.auth.roles import Role
from app.errors import Unprocessable
from app.models import (
    ApplicantIdentity,
    Application,
    AuditEvent,
    Decision,
    LoanAccount,
    NoticeObligation,
)
from app.notices.account_actions import record_limit_reduction
from risk_models.early_warning.reasons import ACCOUNT_REASONS
from tests.app import factories
from tests.compliance.reports.conftest import pdf_text

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PAYMENTS_SHORT = ACCOUNT_REASONS["EW-PAYMENTS-SHORT"].to_dict()
PAYMENT_HISTORY = ACCOUNT_REASONS["EW-PAYMENT-HISTORY"].to_dict()
BUREAU = ACCOUNT_REASONS["EW-BUREAU-DELINQUENCY"].to_dict()
AGENCY_TEXT = "information obtained in a report from the consumer reporting agency"


def _lead(users) -> Principal:
    lead = users[Role.UNDERWRITING_LEAD]
    return Principal("user", str(lead.id), Role.UNDERWRITING_LEAD)


def _book(session: Session, application_id: str) -> LoanAccount:
    """The application booked as a revolving account (written directly: booking is tested with
    the accounts' own service)."""
    identity = session.get(ApplicantIdentity, application_id)
    assert identity is not None
    account = LoanAccount(
        id=f"ACC-{application_id}", application_id=application_id,
        subject_id=identity.subject_id, product="revolving", currency="EUR",
        principal=Decimal("5000.00"), credit_limit=Decimal("5000.00"), term_months=36,
        apr=Decimal("0.1190"), monthly_payment=Decimal("165.00"), booked_by="test",
        history={}, characteristics={}, signals={}, drivers=[], behavioural_pd=0.62,
        behavioural_score=512.0, behavioural_model="behavioural-test-1")
    session.add(account)
    session.flush()
    return account


@pytest.fixture
def approved(engine) -> str:
    """An approved application (from the factories), booked as a revolving account."""
    with Session(engine) as session:
        application, _ = factories.add_application(
            session, submitted_by="officer-1", submitted_at=NOW - timedelta(days=200),
            outcome="approve", risk_tier="low", score=640.0)
        _book(session, application.id)
        session.commit()
        return application.id


def _reduce(engine, users, application_id: str, reasons=(PAYMENTS_SHORT,),
            previous: str = "5000.00", new: str = "3500.00",
            now: datetime = NOW) -> tuple[str, str | None]:
    with Session(engine) as session:
        decision, notice = record_limit_reduction(
            session, _lead(users), application_id=application_id,
            account_id=f"ACC-{application_id}", previous_limit=Decimal(previous),
            new_limit=Decimal(new), reasons=[dict(r) for r in reasons], now=now)
        session.commit()
        return decision.id, None if notice is None else notice.id


def _generated_text(client, auth_headers, notice_id: str) -> str:
    headers = auth_headers[Role.COMPLIANCE_OFFICER]
    generated = client.post(f"/notices/{notice_id}/generate", headers=headers)
    assert generated.status_code == 201, generated.text
    pdf = client.get(f"/reports/{generated.json()['report_id']}/pdf", headers=headers)
    assert pdf.status_code == 200, pdf.text
    return pdf_text(pdf.content)


# --- Recording it --------------------------------------------------------------------------------


def test_a_reduction_writes_its_decision_on_the_application(engine, users, approved):
    decision_id, _ = _reduce(engine, users, approved)
    with Session(engine) as session:
        decision = session.get(Decision, decision_id)
    assert decision is not None and decision.application_id == approved
    assert (decision.kind, decision.outcome, decision.adverse_action) == (
        "limit_reduction", "limit_reduced", "limit_reduction")
    record = decision.record
    assert (record["account_id"], record["previous_limit"], record["new_limit"]) == (
        f"ACC-{approved}", "5000.00", "3500.00")
    assert record["reason_codes"] == ["EW-PAYMENTS-SHORT"]
    assert record["reasons"] == [PAYMENTS_SHORT]


def test_a_reduction_opens_a_pending_notice_due_in_30_days(engine, users, approved):
    decision_id, notice_id = _reduce(engine, users, approved)
    with Session(engine) as session:
        notice = session.get(NoticeObligation, notice_id)
    assert notice is not None
    assert (notice.kind, notice.status, notice.decision_id) == (
        "limit_reduction", "pending", decision_id)
    assert notice.due_date == date(2026, 4, 1)


def test_a_reduction_is_on_the_ledger_with_its_decision_and_notice(engine, users, approved):
    decision_id, notice_id = _reduce(engine, users, approved)
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(
            col(AuditEvent.action).in_(["decision.limit_reduction", "notice.opened"]))
            .order_by(col(AuditEvent.seq))).all()
    opened, decided = events
    assert (opened.action, opened.entity_id) == ("notice.opened", notice_id)
    payload = json.loads(decided.payload)
    assert (decided.entity_type, decided.entity_id) == ("application", approved)
    assert payload["decision_id"] == decision_id and payload["notice_ids"] == [notice_id]
    assert payload["reason_codes"] == ["EW-PAYMENTS-SHORT"]
    assert [r["table"] for r in payload["rows"]] == ["decisions"]


def test_the_application_stays_approved(engine, users, approved):
    _reduce(engine, users, approved)
    with Session(engine) as session:
        application = session.get(Application, approved)
    assert application is not None
    assert (application.status, application.outcome) == ("decided", "approve")


def test_the_application_answer_keeps_its_credit_decision_and_lists_the_notice(
        client, engine, users, auth_headers, approved):
    _reduce(engine, users, approved)
    answer = client.get(f"/applications/{approved}", headers=auth_headers[Role.AUDITOR])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["outcome"], body["adverse_action"]) == ("approve", None)
    assert [d["kind"] for d in body["decisions"]] == ["automated"]
    assert [n["kind"] for n in body["notices"]] == ["limit_reduction"]


def test_an_empty_reasons_list_is_refused_and_nothing_written(engine, users, approved):
    with pytest.raises(Unprocessable, match="principal reasons"):
        _reduce(engine, users, approved, reasons=())
    with Session(engine) as session:
        assert session.exec(select(Decision).where(Decision.kind == "limit_reduction")).all() == []


def test_a_reason_outside_the_account_reasons_is_refused(engine, users, approved):
    with pytest.raises(Unprocessable, match="SENTIMENT"):
        _reduce(engine, users, approved, reasons=({"code": "SENTIMENT", "statement": "x"},))


def test_a_limit_that_does_not_go_down_is_refused(engine, users, approved):
    with pytest.raises(Unprocessable, match="lowers the limit"):
        _reduce(engine, users, approved, previous="3500.00", new="3500.00")


# --- The notice ----------------------------------------------------------------------------------


def test_the_notice_states_the_old_and_new_limit_and_each_reason(
        client, engine, users, auth_headers, approved):
    _, notice_id = _reduce(engine, users, approved, reasons=(PAYMENT_HISTORY, PAYMENTS_SHORT))
    assert notice_id is not None
    text = pdf_text_without_breaks(_generated_text(client, auth_headers, notice_id))
    assert "Notice of action taken on your credit account" in text
    assert ("reduced the credit limit on your revolving credit account "
            f"ACC-{approved} from EUR 5,000.00 to EUR 3,500.00") in text
    for reason in (PAYMENT_HISTORY, PAYMENTS_SHORT):
        assert f"{reason['statement']} (reason code {reason['code']})" in text


def test_the_notice_discloses_no_score_and_no_agency_without_a_bureau_reason(
        client, engine, users, auth_headers, approved):
    _, notice_id = _reduce(engine, users, approved)
    assert notice_id is not None
    text = pdf_text_without_breaks(_generated_text(client, auth_headers, notice_id))
    assert "credit score" not in text and AGENCY_TEXT not in text
    assert "Equal Credit Opportunity Act" in text


def test_a_bureau_reason_brings_the_fcra_disclosure(client, engine, users, auth_headers,
                                                    approved):
    _, notice_id = _reduce(engine, users, approved, reasons=(BUREAU, PAYMENTS_SHORT))
    assert notice_id is not None
    text = pdf_text_without_breaks(_generated_text(client, auth_headers, notice_id))
    assert AGENCY_TEXT in text and "free copy of your report" in text
    assert "dispute" in text


def test_generating_marks_the_notice_generated(client, engine, users, auth_headers, approved):
    _, notice_id = _reduce(engine, users, approved)
    _generated_text(client, auth_headers, str(notice_id))
    with Session(engine) as session:
        notice = session.get(NoticeObligation, notice_id)
    assert notice is not None and notice.status == "generated" and notice.report_id


def pdf_text_without_breaks(text: str) -> str:
    """The PDF's text with its line breaks joined, as sentences wrap across lines."""
    return " ".join(text.split())


# --- What reads an application's decisions --------------------------------------------------------


def test_the_period_report_leaves_the_reduction_and_its_notice_out(engine, users, approved):
    from app.reports import repository

    _reduce(engine, users, approved)
    start, end = NOW - timedelta(days=365), NOW + timedelta(days=1)
    with Session(engine) as session:
        kinds = {row[1] for row in repository.decisions_of_period_applications(
            session, start, end)}
        notices = repository.notices_of_period_applications(session, start, end)
        decided = repository.period_decisions(session, start, end)
        reasons = repository.reason_lists(session, start, end)
    assert kinds == {"automated"}
    assert notices == []
    assert len(decided) == 1
    assert reasons == []


@pytest.mark.usefixtures("active_model")
def test_replay_and_trail_of_a_reduced_application_still_work(client, engine, users,
                                                              auth_headers):
    from tests.app.application_documents import good_application

    submitted = client.post("/applications", json=good_application(),
                            headers=auth_headers[Role.LOAN_OFFICER])
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["outcome"] == "approve"
    application_id = submitted.json()["id"]
    with Session(engine) as session:
        _book(session, application_id)
        session.commit()
    _reduce(engine, users, application_id, now=datetime.now(UTC))
    auditor = auth_headers[Role.AUDITOR]
    replay = client.get(f"/applications/{application_id}/replay", headers=auditor)
    assert replay.status_code == 200, replay.text
    assert replay.json()["identical"] is True
    trail = client.get(f"/applications/{application_id}/trail", headers=auditor)
    assert trail.status_code == 200, trail.text
    found = trail.json()
    assert [d["kind"] for d in found["decisions"]] == ["automated", "limit_reduction"]
    assert "decision.limit_reduction" in [e["action"] for e in found["events"]]
    assert found["proof"]["ok"] is True
