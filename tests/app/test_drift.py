"""Drift checks through the service: figures equal to optbinning's, alerts on the ledger,
acknowledgement once, permissions, jobs and the command line."""

from __future__ import annotations

import json
import uuid
import warnings
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from optbinning.scorecard import ScorecardMonitoring
from sqlalchemy import insert
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.auth.principal import Principal
from app.auth.roles import Role
from app.cli import cli
from app.db import session_scope
from app.models import (
    Application,
    AuditEvent,
    Decision,
    DriftAlert,
    DriftCheck,
    JobRun,
    ScoredCharacteristic,
)
from app.models.base import table_of
from risk_models.columns import bad_flag, characteristic_frame, plan_columns
from risk_models.default_model import EXCLUDED, PROTECTED, TARGET, default_training_frame
from risk_models.stability import PSI_BINS
from tests.app.application_documents import good_application

pytestmark = pytest.mark.usefixtures("active_model")

DAY = date(2026, 3, 10)
WINDOW = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def german() -> tuple[pd.DataFrame, np.ndarray]:
    """The default model's development sample: its characteristics and outcomes."""
    frame, _ = default_training_frame()
    plan = plan_columns(frame, target=TARGET, exclude=EXCLUDED, protected=PROTECTED)
    return characteristic_frame(frame, plan), bad_flag(frame[TARGET], "bad")


def _sample(german: tuple[pd.DataFrame, np.ndarray], rows: int, *, drifted: bool,
            seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """German rows resampled: uniformly (a stable population) or towards long loans."""
    x, y = german
    weights = x["duration_months"].to_numpy(dtype=float) ** 2 if drifted else np.ones(len(x))
    picked = np.random.default_rng(seed).choice(len(x), size=rows, p=weights / weights.sum())
    return x.iloc[picked].reset_index(drop=True), y[picked]


def _insert_live(engine: Any, scorer: Any, model_version: str, live: pd.DataFrame,
                 at: datetime) -> None:
    """What the decision path leaves of each application, written straight to the tables:
    the application, its automated decision (with the score) and its scored bins."""
    applications: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    scored: list[dict[str, Any]] = []
    for values in live.to_dict("records"):
        result = scorer.score_applicant(values)
        application_id = uuid.uuid4().hex
        applications.append({
            "id": application_id, "submitted_at": at, "submitted_by": "test",
            "submitted_by_role": "loan_officer", "request_sha256": "0" * 64,
            "status": "approved", "outcome": "approve", "score": result.score, "amount": 1000,
            "currency": "EUR", "term_months": 12, "purpose": "car_used", "characteristics": {},
            "derivation": {}, "cleansing": [], "duplicate_flags": [],
            "name_dob_digest": "0" * 64, "model_version": model_version,
            "policy_version": "test", "inputs": {}})
        decisions.append({
            "id": uuid.uuid4().hex, "application_id": application_id, "kind": "automated",
            "created_at": at, "outcome": "approve", "score": result.score,
            "model_version": model_version, "policy_version": "test", "decided_by": "system",
            "decided_by_role": "system", "record": {}})
        scored.extend({"application_id": application_id, "model_version": model_version,
                       "characteristic": item.characteristic, "scored_at": at,
                       "bin_index": item.bin_index, "bin_label": item.bin_label,
                       "points": item.points} for item in result.breakdown)
    with session_scope(engine) as session:
        connection = session.connection()
        connection.execute(insert(table_of(Application)), applications)
        connection.execute(insert(table_of(Decision)), decisions)
        connection.execute(insert(table_of(ScoredCharacteristic)), scored)


@pytest.fixture
def live(engine, active_model, default_training, german):
    """``live(rows, drifted=..., at=...)`` inserts live applications of the champion and
    returns their characteristics and outcomes."""
    from risk_models.scorer import CompiledScorer

    scorer = CompiledScorer(default_training[0].compiled)

    def insert_rows(rows: int, *, drifted: bool, at: datetime | None = None,
                    ) -> tuple[pd.DataFrame, np.ndarray]:
        x, y = _sample(german, rows, drifted=drifted)
        _insert_live(engine, scorer, active_model[0], x,
                     at or datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(hours=9))
        return x, y

    return insert_rows


def _check(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    answer = client.post("/drift/checks", json={**WINDOW, **body}, headers=headers)
    assert answer.status_code == 201, answer.json()
    return dict(answer.json())


def _events(engine: Any, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_a_check_equals_scorecard_monitoring_on_the_same_applications(
        client, auth_headers, live, german, default_training):
    x_live, y_live = live(600, drifted=True)
    check = _check(client, auth_headers["model_validator"])
    monitor = ScorecardMonitoring(scorecard=default_training[0].estimator, psi_method="cart",
                                  psi_n_bins=PSI_BINS)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        monitor.fit(x_live, y_live, *german)
    assert check["live_rows"] == 600
    assert check["score_psi"] == pytest.approx(monitor.psi_table().loc["Totals", "PSI"],
                                               abs=TOLERANCE)
    expected = monitor.psi_variable_table(style="summary").set_index("Variable")["PSI"]
    csi = {row["name"]: row["csi"] for row in check["result"]["characteristics"]}
    assert set(csi) == set(expected.index)
    for name, value in csi.items():
        assert value == pytest.approx(expected[name], abs=TOLERANCE), name
    assert check["worst_csi"] == pytest.approx(expected.max(), abs=TOLERANCE)


def test_a_drifted_window_raises_an_alert_and_records_it_on_the_ledger(
        client, auth_headers, live, engine):
    live(600, drifted=True)
    check = _check(client, auth_headers["model_validator"])
    assert check["level"] in ("warn", "act") and check["alert_id"]
    alerts = client.get("/drift/alerts", headers=auth_headers["auditor"]).json()
    assert [a["id"] for a in alerts] == [check["alert_id"]]
    crossings = alerts[0]["crossings"]
    assert crossings and all(c["value"] is None or c["value"] >= c["threshold"]
                             for c in crossings)
    (event,) = _events(engine, "model.drift_alert")
    payload = json.loads(event.payload)
    assert event.entity_id == check["model_version"]
    assert (payload["drift_check_id"], payload["level"]) == (check["id"], check["level"])
    assert payload["crossings"] == crossings


def test_a_stable_window_raises_no_alert(client, auth_headers, live, engine):
    live(2000, drifted=False)
    check = _check(client, auth_headers["admin"])
    assert check["level"] == "stable", (check["score_psi"], check["worst_csi"])
    assert check["alert_id"] is None
    assert client.get("/drift/alerts?open=false", headers=auth_headers["admin"]).json() == []
    assert _events(engine, "model.drift_alert") == []


def test_a_window_with_too_few_applications_is_too_few_and_raises_nothing(
        client, auth_headers, live, engine):
    live(40, drifted=True)
    check = _check(client, auth_headers["admin"])
    assert (check["level"], check["live_rows"], check["score_psi"]) == ("too_few", 40, None)
    assert check["alert_id"] is None and _events(engine, "model.drift_alert") == []


def test_applications_outside_the_window_are_not_counted(client, auth_headers, live):
    live(300, drifted=True, at=datetime(2026, 2, 28, 23, 59, tzinfo=UTC))
    live(200, drifted=True, at=datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
    assert _check(client, auth_headers["admin"])["live_rows"] == 0


def test_the_thresholds_are_the_champion_policys(client, auth_headers, live, engine, users,
                                                 active_model):
    from app.config import get_settings
    from app.scoring import lifecycle, service
    from app.scoring.states import RegistryStatus

    live(2000, drifted=False)
    body = {**active_model[1].to_dict(), "version": "watchful-1",
            "stability": {"warn": 0.0001, "act": 0.5}}
    validator = Principal.of_user(users[Role.MODEL_VALIDATOR])
    admin = Principal.of_user(users[Role.ADMIN])
    with session_scope(engine) as session:
        service.register_policy(session, Principal.system("test-setup"), body)
        lifecycle.validate(session, get_settings(), validator, "policy", "watchful-1", "watch")
        lifecycle.approve(session, admin, "policy", "watchful-1", "risk committee")
        lifecycle.promote(session, admin, "policy", "watchful-1", RegistryStatus.CHAMPION,
                          "go live")
    check = _check(client, auth_headers["admin"])
    assert (check["warn_threshold"], check["act_threshold"]) == (0.0001, 0.5)
    assert check["level"] == "warn" and check["alert_id"]


def test_an_alert_is_acknowledged_once_then_409(client, auth_headers, live, engine):
    live(600, drifted=True)
    alert_id = _check(client, auth_headers["admin"])["alert_id"]
    validator = auth_headers["model_validator"]
    path = f"/drift/alerts/{alert_id}/acknowledge"
    note = {"note": "Longer loans since the March campaign; retraining scheduled."}
    first = client.post(path, json=note, headers=validator)
    assert first.status_code == 200, first.json()
    assert first.json()["acknowledged_at"] and first.json()["acknowledgement"] == note["note"]
    again = client.post(path, json={"note": "again"}, headers=auth_headers["admin"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "drift_alert_acknowledged"
    assert client.get("/drift/alerts", headers=validator).json() == []
    assert len(client.get("/drift/alerts?open=false", headers=validator).json()) == 1
    (event,) = _events(engine, "model.drift_alert_acknowledged")
    assert note["note"] not in event.payload  # the ledger keeps the note's digest
    assert json.loads(event.payload)["alert_id"] == alert_id


def test_roles_without_the_permission_get_403(client, auth_headers, live):
    live(600, drifted=True)
    officer = auth_headers["loan_officer"]
    assert client.post("/drift/checks", json=WINDOW, headers=officer).status_code == 403
    assert client.get("/drift/checks", headers=officer).status_code == 403
    assert client.get("/drift/alerts", headers=officer).status_code == 403
    alert_id = _check(client, auth_headers["compliance_officer"])["alert_id"]
    # Compliance runs checks but acknowledging is for the model's owners.
    refused = client.post(f"/drift/alerts/{alert_id}/acknowledge", json={"note": "seen"},
                          headers=auth_headers["compliance_officer"])
    assert refused.status_code == 403
    assert client.post("/drift/checks", json=WINDOW,
                       headers=auth_headers["auditor"]).status_code == 403


def test_unknown_ids_and_models_are_404_with_a_code(client, auth_headers):
    admin = auth_headers["admin"]
    for path, code in (("/drift/checks/nope", "drift_check_not_found"),):
        answer = client.get(path, headers=admin)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == code
    acknowledged = client.post("/drift/alerts/nope/acknowledge", json={"note": "x"},
                               headers=admin)
    assert acknowledged.status_code == 404
    assert acknowledged.json()["error"]["code"] == "drift_alert_not_found"
    unknown = client.post("/drift/checks", json={**WINDOW, "model_version": "nope"},
                          headers=admin)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize("body", [
    {"date_from": "2026-03-31", "date_to": "2026-03-01"},
    {"date_from": "2024-01-01", "date_to": "2026-03-01"},
    {"date_from": "2026-03-01"},
    {**WINDOW, "extra": 1},
    {**WINDOW, "model_version": ""},
    {"date_from": "9999-12-30", "date_to": "9999-12-31"},
])
def test_an_invalid_request_is_422_in_the_errors_shape(client, auth_headers, body):
    answer = client.post("/drift/checks", json=body, headers=auth_headers["admin"])
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "validation_error"


def test_an_empty_note_is_422(client, auth_headers, live):
    live(600, drifted=True)
    alert_id = _check(client, auth_headers["admin"])["alert_id"]
    answer = client.post(f"/drift/alerts/{alert_id}/acknowledge", json={"note": ""},
                         headers=auth_headers["admin"])
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "validation_error"


def test_a_model_trained_before_baselines_is_409_asking_to_retrain(client, auth_headers,
                                                                   engine):
    from tests.app.factories import add_model

    with session_scope(engine) as session:
        add_model(session, version="scorecard-before-drift", status="draft")
    answer = client.post("/drift/checks", json={**WINDOW,
                                                "model_version": "scorecard-before-drift"},
                         headers=auth_headers["admin"])
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "no_drift_baseline" and "retrain" in error["message"]


def test_checks_are_listed_newest_first_and_read_back_whole(client, auth_headers, live):
    live(150, drifted=True)
    admin = auth_headers["admin"]
    first = _check(client, admin, date_from="2026-03-01", date_to="2026-03-09")
    second = _check(client, admin)
    listed = client.get("/drift/checks", headers=admin).json()
    assert [c["id"] for c in listed] == [second["id"], first["id"]]
    assert client.get(f"/drift/checks?model_version={second['model_version']}x",
                      headers=admin).json() == []
    whole = client.get(f"/drift/checks/{second['id']}", headers=auth_headers["auditor"]).json()
    assert whole == second


def test_an_application_decided_through_the_api_is_counted(client, auth_headers):
    officer = auth_headers["loan_officer"]
    decided = client.post("/applications", json=good_application(), headers=officer)
    assert decided.status_code == 201, decided.json()
    today = datetime.now(UTC).date().isoformat()
    check = _check(client, auth_headers["admin"], date_from=today, date_to=today)
    assert (check["live_rows"], check["level"]) == (1, "too_few")
    assert {row["live_rows"] for row in check["result"]["characteristics"]} == {1}


def test_a_challengers_shadow_scores_are_counted_once(client, auth_headers, live, engine,
                                                      default_training, active_model):
    from dataclasses import replace

    from app.models import ShadowDecision
    from app.scoring import service

    live(300, drifted=True)
    result = default_training[0]
    # The same scorecard trained "later": another artifact, the same baseline.
    challenger = replace(result, compiled=replace(result.compiled, metadata={
        **result.compiled.metadata, "trained_at": "2026-01-02T00:00:00+00:00"}))
    with session_scope(engine) as session:
        version = service.register_model(session, Principal.system("test-setup"), challenger,
                                         data_name="german_credit.csv", target=TARGET,
                                         protected=list(PROTECTED)).version
        decided = session.exec(select(Decision)).all()
        shadows = [{"id": uuid.uuid4().hex, "application_id": d.application_id,
                    "decision_id": d.id, "decided_at": d.created_at, "scored_at": d.created_at,
                    "source": "live", "model_version": shadow_model, "policy_version": "test",
                    "outcome": "approve", "risk_tier": None, "score": d.score,
                    "probability_of_default": 0.1, "reason_codes": []}
                   # A challenger model's scores, and (for the first 50) a challenger policy's
                   # shadow under the champion model, which must not count twice.
                   for d in decided for shadow_model in (version, active_model[0])
                   if shadow_model == version or decided.index(d) < 50]
        session.connection().execute(insert(table_of(ShadowDecision)), shadows)
    admin = auth_headers["admin"]
    champion = _check(client, admin)
    shadowed = _check(client, admin, model_version=version)
    assert (champion["live_rows"], shadowed["live_rows"]) == (300, 300)
    assert shadowed["score_psi"] == pytest.approx(champion["score_psi"], abs=TOLERANCE)
    # The decision path keeps the deciding model's bins only: the challenger has no CSI.
    assert {row["csi"] for row in shadowed["result"]["characteristics"]} == {None}


def test_a_drift_check_job_runs_once_per_model_and_window(engine, live, active_model, users):
    from app.drift import jobs

    live(600, drifted=True)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = datetime(2026, 4, 1, tzinfo=UTC)
    actor = Principal.of_user(users[Role.MODEL_VALIDATOR])
    # Jobs run as they are queued here (RISKDESK_JOBS_URL=immediate): at the commit, so the
    # request is made as a request's session makes it, outside the SQLite writer lock that
    # session_scope holds while it commits (the job takes that lock itself).
    with Session(engine, expire_on_commit=False) as session:
        run, created = jobs.request_check(session, actor, active_model[0], start, end)
        session.commit()
    assert created
    with Session(engine, expire_on_commit=False) as session:  # asked again: the same run
        again, created_again = jobs.request_check(session, actor, active_model[0], start, end)
        session.commit()
    assert again.id == run.id and not created_again
    with Session(engine) as session:
        stored = session.get(JobRun, run.id)
        assert stored is not None and stored.state == "done", stored
        checks = session.exec(select(DriftCheck)).all()
    assert [c.id for c in checks] == [(stored.result or {})["drift_check_id"]]
    assert checks[0].checked_by == actor.actor_id and checks[0].live_rows == 600


def test_the_nightly_task_asks_for_the_champion_over_the_trailing_30_days(engine,
                                                                         active_model):
    from app.drift import jobs

    assert jobs.nightly_drift_checks.s().validate_datetime(datetime(2026, 3, 10, 2, 15))
    assert not jobs.nightly_drift_checks.s().validate_datetime(datetime(2026, 3, 10, 3, 15))
    with Session(engine, expire_on_commit=False) as session:  # see the test above
        (run,) = jobs.request_nightly(session, jobs.ACTOR, DAY)
        params = dict(run.params)
        session.commit()
    assert params == {"model_version": active_model[0],
                      "window_start": "2026-02-08T00:00:00+00:00",
                      "window_end": "2026-03-10T00:00:00+00:00"}
    with Session(engine, expire_on_commit=False) as session:  # the same night: the same run
        assert [r.id for r in jobs.request_nightly(session, jobs.ACTOR, DAY)] == [run.id]
        session.commit()
    with Session(engine) as session:
        done = session.get(JobRun, run.id)
        assert done is not None and done.state == "done"
        (check,) = session.exec(select(DriftCheck)).all()
    assert (check.level, check.live_rows) == ("too_few", 0)


def test_the_command_line_checks_lists_and_acknowledges(engine, live, active_model):
    live(600, drifted=True)
    checked = CliRunner().invoke(cli, ["drift", "check", "--from", "2026-03-01", "--to",
                                       "2026-03-31", "--json"])
    assert checked.exit_code == 0, checked.output
    check = json.loads(checked.output)
    assert check["model_version"] == active_model[0] and check["alert_id"]
    listed = CliRunner().invoke(cli, ["drift", "alerts"])
    assert listed.exit_code == 0 and check["alert_id"] in listed.output
    refused = CliRunner().invoke(cli, ["drift", "acknowledge", check["alert_id"], "--note",
                                       "seen", "--as", "loan-officer"])
    assert refused.exit_code == 2 and "role_not_allowed" in refused.output
    done = CliRunner().invoke(cli, ["drift", "acknowledge", check["alert_id"], "--note",
                                    "seen; retraining", "--as", "model-validator"])
    assert done.exit_code == 0, done.output
    twice = CliRunner().invoke(cli, ["drift", "acknowledge", check["alert_id"], "--note",
                                     "again", "--as", "admin"])
    assert twice.exit_code == 2 and "drift_alert_acknowledged" in twice.output
    assert "no open drift alerts" in CliRunner().invoke(cli, ["drift", "alerts"]).output
    with Session(engine) as session:
        (alert,) = session.exec(select(DriftAlert)).all()
    assert alert.acknowledgement == "seen; retraining"


def test_the_command_line_refuses_a_backwards_window_with_exit_2(engine):
    result = CliRunner().invoke(cli, ["drift", "check", "--from", "2026-03-31", "--to",
                                      "2026-03-01"])
    assert result.exit_code == 2 and "date_to" in result.output
