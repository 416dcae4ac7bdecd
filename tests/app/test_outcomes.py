"""Observed loan outcomes and back-tests: loads through the API and the CLI, every refusal
leaving nothing stored, the ledger events, back-tests of submitted applications end to end,
the monthly job, the validation report's section, and who may do what."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.auth.roles import Role
from app.models import AuditEvent, Backtest, JobRun, LoanOutcome, OutcomeLoad
from tests.app import factories as f
from tests.app.application_documents import good_application, risky_application
from tests.compliance.reports.conftest import pdf_text

LO, MV, CO, AU, AD = (Role.LOAN_OFFICER, Role.MODEL_VALIDATOR, Role.COMPLIANCE_OFFICER,
                      Role.AUDITOR, Role.ADMIN)
T0 = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
APPROVED_ON = T0.date()
TODAY = datetime.now(UTC).date()


def _count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def _events(engine, action: str) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _row(application_id: str, defaulted: bool, observed_on: date) -> dict:
    return {"application_id": application_id, "defaulted": defaulted,
            "observed_on": observed_on.isoformat()}


def _load(client, headers, *rows: dict):
    return client.post("/outcomes", json={"outcomes": list(rows)}, headers=headers)


def _cli(*args: str):
    from app.cli import cli

    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def book(engine, users):
    """Applications decided on 15 January 2026 by the factories' model: two approved, one
    declined."""
    officer = str(users[LO].id)
    with Session(engine, expire_on_commit=False) as s:
        first, _ = f.add_application(s, submitted_by=officer, submitted_at=T0, outcome="approve",
                                     risk_tier="low", score=640.0)
        second, _ = f.add_application(s, submitted_by=officer, submitted_at=T0,
                                      outcome="approve", risk_tier="low", score=610.0)
        declined, _ = f.add_application(s, submitted_by=officer, submitted_at=T0,
                                        outcome="decline", score=500.0)
        s.commit()
    return SimpleNamespace(first=first.id, second=second.id, declined=declined.id)


# --- Loading ----------------------------------------------------------------------------------


def test_a_batch_loads_through_the_api_with_one_ledger_event_naming_no_application(
        client, auth_headers, engine, book):
    from app.outcomes.schemas import OutcomeIn
    from app.outcomes.service import batch_sha256

    rows = [_row(book.first, False, date(2026, 2, 28)), _row(book.first, True, date(2026, 3, 31)),
            _row(book.second, False, date(2026, 3, 31))]
    response = _load(client, auth_headers[MV], *rows)
    assert response.status_code == 201, response.text
    load = response.json()
    assert (load["rows"], load["defaults"], load["source"]) == (3, 1, "api")
    assert load["sha256"] == batch_sha256([OutcomeIn.model_validate(r) for r in reversed(rows)])
    with Session(engine) as s:
        stored = s.exec(select(LoanOutcome).order_by(LoanOutcome.id)).all()
    assert [(o.application_id, o.defaulted, o.observed_on, o.load_id) for o in stored] == [
        (book.first, False, date(2026, 2, 28), load["id"]),
        (book.first, True, date(2026, 3, 31), load["id"]),
        (book.second, False, date(2026, 3, 31), load["id"])]
    [event] = _events(engine, "outcomes.loaded")
    assert (event.entity_type, event.entity_id) == ("outcome_load", load["id"])
    payload = json.loads(event.payload)
    assert {k: v for k, v in payload.items() if k != "rows"} == {
        "observations": 3, "defaults": 1, "sha256": load["sha256"], "source": "api"}
    assert [row["table"] for row in payload["rows"]] == ["outcome_loads"]
    listed = client.get("/outcomes/loads", headers=auth_headers[AU]).json()
    assert [x["id"] for x in listed["items"]] == [load["id"]] and listed["total"] == 1


def test_a_csv_file_loads_with_the_cli_as_the_named_user(engine, users, book, tmp_path):
    path = tmp_path / "outcomes.csv"
    path.write_text("application_id,defaulted,observed_on\n"
                    f"{book.first},0,2026-02-28\n{book.first},true,2026-03-31\n"
                    f"{book.second},FALSE,2026-03-31\n")
    result = _cli("outcomes", "load", str(path), "--as", users[MV].username, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["rows"], summary["defaults"]) == (3, 1)
    assert summary["loaded_by"] == str(users[MV].id)
    with Session(engine) as s:
        load = s.get(OutcomeLoad, summary["load_id"])
    assert load.source == "csv" and _count(engine, LoanOutcome) == 3


def _refusal(response, code: str = "invalid_outcomes") -> list[dict]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and "nothing was loaded" in error["message"]
    return error["details"]


@pytest.mark.parametrize(("case", "field", "message"), [
    ("unknown", "application_id", "no application NO-SUCH-APP"),
    ("declined", "application_id", "is not approved (its current outcome is decline)"),
    ("future", "observed_on", "is in the future"),
    ("before_approval", "observed_on", "is before the application was approved (2026-01-15)"),
    ("repeated", "observed_on", "repeats row 1"),
    ("cured", "defaulted", "a later observation must be in default too"),
])
def test_a_batch_with_one_bad_row_is_refused_whole(client, auth_headers, engine, book, case,
                                                   field, message):
    good = _row(book.second, False, date(2026, 2, 28))
    bad = {
        "unknown": _row("NO-SUCH-APP", False, date(2026, 2, 28)),
        "declined": _row(book.declined, False, date(2026, 2, 28)),
        "future": _row(book.first, False, TODAY + timedelta(days=1)),
        "before_approval": _row(book.first, False, date(2026, 1, 14)),
        "repeated": good,
        "cured": _row(book.second, False, date(2026, 4, 30)),
    }[case]
    batch = [good, _row(book.second, True, date(2026, 3, 31)), bad] if case == "cured" else [
        good, bad]
    details = _refusal(_load(client, auth_headers[AD], *batch))
    assert details == [{"row": len(batch), "field": field, "message": details[0]["message"]}]
    assert message in details[0]["message"]
    assert _count(engine, LoanOutcome) == _count(engine, OutcomeLoad) == 0
    assert _events(engine, "outcomes.loaded") == []


def test_stored_observations_are_neither_repeated_nor_cured(client, auth_headers, engine, book):
    assert _load(client, auth_headers[AD], _row(book.first, True, date(2026, 3, 31)),
                 _row(book.second, False, date(2026, 5, 31))).status_code == 201
    details = _refusal(_load(client, auth_headers[AD],
                             _row(book.first, True, date(2026, 3, 31)),
                             _row(book.first, False, date(2026, 4, 30)),
                             _row(book.second, True, date(2026, 4, 30))))
    assert [(d["row"], d["field"]) for d in details] == [(1, "observed_on"), (2, "defaulted"),
                                                         (3, "defaulted")]
    assert "stored already (load " in details[0]["message"]
    assert "stored as not in default on 2026-05-31" in details[2]["message"]
    assert _count(engine, LoanOutcome) == 2 and _count(engine, OutcomeLoad) == 1


def test_the_same_batch_twice_is_a_conflict_naming_the_first_load(client, auth_headers, book):
    rows = [_row(book.first, False, date(2026, 2, 28))]
    first = _load(client, auth_headers[AD], *rows).json()
    again = _load(client, auth_headers[AD], *rows)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "outcomes_already_loaded"
    assert again.json()["error"]["details"] == {"load_id": first["id"]}


@pytest.mark.parametrize("value", ["yes", 1, "1"])
def test_the_api_takes_defaulted_as_json_true_or_false_only(client, auth_headers, book, value):
    response = _load(client, auth_headers[AD], {**_row(book.first, False, date(2026, 2, 28)),
                                                "defaulted": value})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["details"][0]["field"] == "outcomes.0.defaulted"


def test_a_csv_file_with_unreadable_rows_is_refused_with_each_row_listed(engine, book,
                                                                          tmp_path):
    path = tmp_path / "outcomes.csv"
    path.write_text("application_id,defaulted,observed_on\n"
                    f"{book.first},0,2026-02-28\n{book.first},yes,2026-03-31\n"
                    f"{book.second},1,31/03/2026\n{book.second},1\n")
    result = _cli("outcomes", "load", str(path), "--json")
    assert result.exit_code == 2
    error = json.loads(result.output)["error"]
    assert error["code"] == "invalid_outcomes"
    assert [(d["row"], d["field"]) for d in error["details"]] == [
        (2, "defaulted"), (3, "observed_on"), (4, None)]
    wrong_header = tmp_path / "header.csv"
    wrong_header.write_text(f"application,defaulted,observed_on\n{book.first},0,2026-02-28\n")
    refused = _cli("outcomes", "load", str(wrong_header))
    assert refused.exit_code == 2 and "application_id,defaulted,observed_on" in refused.output
    assert _count(engine, LoanOutcome) == _count(engine, OutcomeLoad) == 0


def test_a_loan_officer_may_neither_load_outcomes_nor_run_or_read_backtests(
        client, auth_headers, book):
    assert _load(client, auth_headers[LO],
                 _row(book.first, False, date(2026, 2, 28))).status_code == 403
    assert client.post("/backtests", json={"date_from": "2026-01-01", "date_to": "2026-01-31"},
                       headers=auth_headers[LO]).status_code == 403
    assert client.get("/backtests", headers=auth_headers[LO]).status_code == 403
    # An auditor reads back-tests but runs none.
    assert client.get("/backtests", headers=auth_headers[AU]).status_code == 200
    assert client.post("/backtests", json={"date_from": "2026-01-01", "date_to": "2026-01-31"},
                       headers=auth_headers[AU]).status_code == 403


# --- Back-testing submitted applications ------------------------------------------------------


def _submit_loans(client, auth_headers) -> SimpleNamespace:
    """Applications submitted through the API today, with varied loans: the approved ones, and
    one declined."""
    approved = []
    for i, (amount, term) in enumerate([("1500.00", 6), ("2000.00", 9), ("2500.00", 12),
                                        ("3000.00", 12), ("1200.00", 6), ("2800.00", 10),
                                        ("1800.00", 8), ("2200.00", 11)]):
        document = good_application(**{"loan.amount": amount, "loan.term_months": term,
                                       "kyc.national_id": f"T2200{i:04d}",
                                       "crm.savings_balance": f"{300 + 150 * i}.00"})
        body = client.post("/applications", json=document,
                           headers=auth_headers[LO]).json()
        if body["outcome"] == "approve":
            approved.append(body["id"])
    declined = client.post("/applications", json=risky_application(**{
        "kyc.national_id": "T22999999"}), headers=auth_headers[LO]).json()
    assert declined["outcome"] == "decline"
    assert len(approved) >= 6
    return SimpleNamespace(approved=approved, declined=declined["id"])


@pytest.fixture
def observed(client, auth_headers, active_model):
    """Submitted applications with today's outcomes loaded: every other approved loan in
    default."""
    loans = _submit_loans(client, auth_headers)
    rows = [_row(app_id, i % 2 == 0, TODAY) for i, app_id in enumerate(loans.approved)]
    assert _load(client, auth_headers[MV], *rows).status_code == 201
    return SimpleNamespace(**vars(loans), model_version=active_model[0], rows=rows)


def _backtest(client, headers, **body):
    return client.post("/backtests", json={"date_from": TODAY.isoformat(),
                                           "date_to": TODAY.isoformat(), **body},
                       headers=headers)


def test_a_backtest_of_the_champion_compares_submitted_decisions_with_their_outcomes(
        client, auth_headers, engine, observed):
    response = _backtest(client, auth_headers[MV])
    assert response.status_code == 201, response.text
    record = response.json()
    result = record["result"]
    n, defaults = len(observed.approved), sum(r["defaulted"] for r in observed.rows)
    assert record["model_version"] == observed.model_version and record["rows"] == n
    assert (result["loans"], result["defaults"], result["unobserved"]) == (n, defaults, 0)
    assert result["as_of"] == TODAY.isoformat() and result["band_basis"] == "risk_tier"
    assert sum(b["n"] for b in result["bands"]) == n
    assert {b["verdict"] for b in result["bands"]} <= {"within", "above", "below"}
    # Half the loans defaulting, against single-digit predicted PDs: far above.
    assert result["bands"][0]["verdict"] == "above"
    auc = result["discrimination"]
    assert auc["auc_ci"][0] <= auc["auc"] <= auc["auc_ci"][1]
    assert auc["ks_ci"][0] <= auc["ks"] <= auc["ks_ci"][1]
    [cohort] = result["vintages"]["cohorts"]
    assert cohort["cohort"] == f"{TODAY:%Y-%m}" and cohort["curve"][0]["defaults"] == defaults
    [event] = _events(engine, "model.backtested")
    payload = json.loads(event.payload)
    assert (event.entity_id, payload["loans"], payload["defaults"]) == (record["id"], n, defaults)
    listed = client.get("/backtests", params={"model_version": observed.model_version},
                        headers=auth_headers[AU]).json()
    assert [b["id"] for b in listed["items"]] == [record["id"]] and "result" not in listed[
        "items"][0]
    assert client.get(f"/backtests/{record['id']}",
                      headers=auth_headers[CO]).json()["result"] == result


def test_a_window_without_observed_outcomes_is_refused(client, auth_headers, observed):
    response = _backtest(client, auth_headers[MV], date_from="2025-01-01", date_to="2025-12-31")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "no_outcomes_in_window"
    unknown = _backtest(client, auth_headers[MV], model_version="no-such-model")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"


def test_the_backtest_command_prints_bands_discrimination_and_vintages(engine, observed):
    text = _cli("backtest", "--from", TODAY.isoformat(), "--to", TODAY.isoformat())
    assert text.exit_code == 0, text.output
    assert "verdict" in text.output and "AUC " in text.output and "95% CI" in text.output
    assert f"{TODAY:%Y-%m}" in text.output and "MoB 0" in text.output
    as_json = _cli("backtest", "--model", observed.model_version, "--from", TODAY.isoformat(),
                   "--to", TODAY.isoformat(), "--json")
    assert json.loads(as_json.output)["rows"] == len(observed.approved)
    assert _count(engine, Backtest) == 2


def test_the_monthly_job_backtests_the_champion_once_per_window(engine, observed):
    from app.outcomes import jobs

    # Asked on the first of next month, the last 24 whole months include today. The run is
    # queued as the request commits, and the test suite's queue runs it there and then (a
    # plain session: session_scope's writer lock would still be held when it runs).
    next_month = (TODAY.replace(day=1) + timedelta(days=32)).replace(day=1)
    with Session(engine, expire_on_commit=False) as s:
        run_id = jobs.request_monthly(s, next_month).id
        s.commit()
    with Session(engine, expire_on_commit=False) as s:
        assert jobs.request_monthly(s, next_month).id == run_id
        s.commit()
    with Session(engine) as s:
        done = s.get(JobRun, run_id)
        assert done.state == "done", done.error
        backtest = s.get(Backtest, done.result["backtest_id"])
    assert backtest.model_version == observed.model_version
    assert (backtest.window_start, backtest.window_end) == jobs.monthly_window(next_month)
    assert backtest.rows == len(observed.approved) and _count(engine, Backtest) == 1


# --- The model validation report --------------------------------------------------------------


def _report(client, auth_headers, version: str) -> dict:
    response = client.post("/reports", json={"kind": "model_validation",
                                             "model_version": version},
                           headers=auth_headers[CO])
    assert response.status_code == 201, response.text
    return response.json()


def _report_pdf(client, auth_headers, report_id: int) -> bytes:
    response = client.get(f"/reports/{report_id}/pdf", headers=auth_headers[CO])
    assert response.status_code == 200
    return response.content


def _images(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_validation_report_shows_the_backtest_it_was_made_with_and_still_verifies(
        client, auth_headers, observed):
    before = _report(client, auth_headers, observed.model_version)
    assert before["parameters"]["backtest_id"] is None
    without = _report_pdf(client, auth_headers, before["id"])
    assert "No back-test has been run for this model yet" in pdf_text(without)
    backtest = _backtest(client, auth_headers[MV]).json()
    after = _report(client, auth_headers, observed.model_version)
    assert after["parameters"]["backtest_id"] == backtest["id"]
    with_backtest = _report_pdf(client, auth_headers, after["id"])
    text = pdf_text(with_backtest)
    assert "5. Back-testing against observed outcomes" in text and "11. Sign-off" in text
    assert f"Back-test {backtest['id']}" in text and "Realised AUC" in text
    assert "PD decile Predicted PD Observed rate Loans" in text
    assert "Cumulative default rate of each cohort" in text and f"{TODAY:%Y-%m}" in text
    # The calibration chart beside its table.
    assert _images(with_backtest) == _images(without) + 1
    # A newer back-test changes neither report: each verifies from its pinned inputs.
    assert _backtest(client, auth_headers[MV]).status_code == 201
    for report in (before, after):
        verified = client.get(f"/reports/{report['id']}/verify", headers=auth_headers[AU])
        assert verified.json()["ok"] is True, verified.json()
