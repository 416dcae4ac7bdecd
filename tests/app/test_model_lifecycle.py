"""The lifecycle of models and policies: each move, each refusal, four eyes, rollback, and the
challenger's shadow decisions (which never change a decision)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session, col, select

from app.auth.principal import Principal
from app.db import session_scope
from app.models import AuditEvent, Decision, RegistryTransition, ShadowDecision
from app.scoring import service
from risk_models.artifact import CompiledScorecard
from risk_models.default_model import PROTECTED, TARGET
from tests.app.application_documents import good_application

pytestmark = pytest.mark.usefixtures("active_model")
REASON = {"reason": "reviewed against the validation standard"}


def _variant(result, *, label: str, points_shift: float = 0.0):
    """The bundled training result as another version: a different artifact (its trained_at
    differs), optionally with every bin of its first characteristic ``points_shift`` lower."""
    data = result.compiled.to_dict()
    data["metadata"] = {**data["metadata"], "trained_at": f"2025-02-0{label}T00:00:00+00:00"}
    for scorecard_bin in data["characteristics"][0]["bins"]:
        scorecard_bin["points"] -= points_shift
    return dataclasses.replace(result, compiled=CompiledScorecard.from_dict(data))


def _register(engine, result, trained_by: Principal | None = None) -> str:
    with session_scope(engine) as session:
        model = service.register_model(session, trained_by or Principal.system("test"), result,
                                       data_name="german_credit.csv", target=TARGET,
                                       protected=list(PROTECTED))
        return model.version


def _move(client, headers, version, step, body=None, kind="models"):
    """POST a lifecycle move; ``kind`` is the route's collection: models or policies."""
    return client.post(f"/{kind}/{version}/{step}", json=body or REASON, headers=headers)


def _to_approved(client, auth_headers, version):
    assert _move(client, auth_headers["model_validator"], version, "validate").status_code == 200
    assert _move(client, auth_headers["admin"], version, "approve").status_code == 200


def _code(response):
    return response.json()["error"]["code"]


def test_a_draft_moves_through_every_status_each_move_ledgered(client, auth_headers, engine,
                                                               default_training, active_model):
    version = _register(engine, _variant(default_training[0], label="1"))
    validated = _move(client, auth_headers["model_validator"], version, "validate").json()
    assert validated["status"] == "validated" and validated["validation_report_id"]
    report = client.get(f"/reports/{validated['validation_report_id']}",
                        headers=auth_headers["model_validator"]).json()
    assert report["kind"] == "model_validation" and report["model_version"] == version
    approved = _move(client, auth_headers["admin"], version, "approve").json()
    assert approved["status"] == "approved" and approved["approved_by"] != approved["validated_by"]
    promoted = _move(client, auth_headers["admin"], version, "promote",
                     {"to": "champion", "reason": "better discrimination"}).json()
    assert promoted["status"] == "champion"
    old = client.get(f"/models/{active_model[0]}", headers=auth_headers["auditor"]).json()
    assert old["status"] == "retired"
    assert [(t["from_status"], t["to_status"]) for t in promoted["transitions"]] == [
        (None, "draft"), ("draft", "validated"), ("validated", "approved"),
        ("approved", "champion")]
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.entity_id == version)
                              .order_by(col(AuditEvent.seq))).all()
    assert [e.action for e in events] == ["model.trained", "model.validated", "model.approved",
                                          "model.promoted"]
    # Who, and the digest of why (the text is in the transition row, never on the ledger).
    assert all(e.actor_id and '"reason_sha256"' in e.payload for e in events[1:])
    assert not any("better discrimination" in e.payload for e in events)
    decided = client.post("/applications", json=good_application(),
                          headers=auth_headers["loan_officer"]).json()
    assert decided["model_version"] == version


def test_the_builder_cannot_validate_and_neither_builder_nor_validator_approves(
        client, auth_headers, engine, default_training, users):
    from app.auth.roles import Role

    validator = users[Role.MODEL_VALIDATOR]
    version = _register(engine, _variant(default_training[0], label="2"),
                        trained_by=Principal.of_user(validator))
    own = _move(client, auth_headers["model_validator"], version, "validate")
    assert own.status_code == 403 and _code(own) == "validator_is_builder"

    other = _register(engine, _variant(default_training[0], label="3"))
    assert _move(client, auth_headers["model_validator"], other, "validate").status_code == 200
    self_approved = _move(client, auth_headers["model_validator"], other, "approve")
    assert self_approved.status_code == 403 and _code(self_approved) == "four_eyes_same_person"
    assert client.get(f"/models/{other}", headers=auth_headers["admin"]).json()[
        "status"] == "validated"


def test_an_admin_who_trained_a_model_cannot_approve_it(client, auth_headers, engine,
                                                        default_training, users):
    from app.auth.roles import Role

    version = _register(engine, _variant(default_training[0], label="4"),
                        trained_by=Principal.of_user(users[Role.ADMIN]))
    assert _move(client, auth_headers["model_validator"], version, "validate").status_code == 200
    refused = _move(client, auth_headers["admin"], version, "approve")
    assert refused.status_code == 403 and _code(refused) == "four_eyes_same_person"


def test_a_second_approval_by_the_same_person_is_refused(client, auth_headers, engine,
                                                         default_training):
    version = _register(engine, _variant(default_training[0], label="5"))
    _to_approved(client, auth_headers, version)
    again = _move(client, auth_headers["admin"], version, "approve")
    assert again.status_code == 409 and _code(again) == "invalid_transition"
    with Session(engine) as session:
        approvals = session.exec(select(RegistryTransition).where(
            RegistryTransition.version == version,
            RegistryTransition.to_status == "approved")).all()
    assert len(approvals) == 1


def test_a_model_reading_characteristics_no_application_gives_is_refused(
        client, auth_headers, engine, tmp_path):
    import numpy as np
    import pandas as pd

    from risk_models.training import train_from_csv

    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame({"utilisation": rng.uniform(0, 1, n),
                          "duration_months": rng.integers(6, 48, n)})
    frame["defaulted"] = (rng.uniform(0, 1, n) < frame["utilisation"] * 0.6).astype(int)
    path = tmp_path / "loans.csv"
    frame.to_csv(path, index=False)
    result = train_from_csv(path, target="defaulted", bad_value=1, exclude=[], protected=[])
    version = _register(engine, result)
    refused = _move(client, auth_headers["model_validator"], version, "validate")
    assert refused.status_code == 409 and _code(refused) == "model_incompatible"
    assert refused.json()["error"]["details"] == [{"characteristic": "utilisation"}]
    assert "utilisation" in refused.json()["error"]["message"]
    assert client.get(f"/models/{version}", headers=auth_headers["admin"]).json()[
        "status"] == "draft"


def test_refusals_name_the_move_that_is_not_allowed(client, auth_headers, engine,
                                                    default_training, active_model):
    admin = auth_headers["admin"]
    version = _register(engine, _variant(default_training[0], label="6"))
    early = _move(client, admin, version, "promote", {"to": "champion", "reason": "now"})
    assert early.status_code == 409 and _code(early) == "not_approved"
    retire_champion = _move(client, admin, active_model[0], "retire")
    assert retire_champion.status_code == 409 and _code(retire_champion) == "champion_not_retired"
    no_previous = client.post("/models/rollback", json=REASON, headers=admin)
    assert no_previous.status_code == 409 and _code(no_previous) == "no_previous_champion"
    blank = _move(client, auth_headers["model_validator"], version, "validate", {"reason": " "})
    assert blank.status_code == 422 and _code(blank) == "reason_required"
    for role, step in (("loan_officer", "validate"), ("underwriter", "approve"),
                       ("model_validator", "promote"), ("auditor", "retire")):
        body = {"to": "champion", **REASON} if step == "promote" else REASON
        assert _move(client, auth_headers[role], version, step, body).status_code == 403
    retired = _move(client, auth_headers["model_validator"], version, "retire").json()
    assert retired["status"] == "retired"


def test_a_rollback_puts_the_previous_champion_back_in_one_step(client, auth_headers, engine,
                                                               default_training, active_model):
    admin = auth_headers["admin"]
    version = _register(engine, _variant(default_training[0], label="7"))
    _to_approved(client, auth_headers, version)
    _move(client, admin, version, "promote", {"to": "champion", "reason": "new model"})
    rolled = client.post("/models/rollback", json={"reason": "complaints on the new model"},
                         headers=admin)
    assert rolled.status_code == 200 and rolled.json()["version"] == active_model[0]
    assert rolled.json()["status"] == "champion"
    assert client.get(f"/models/{version}", headers=admin).json()["status"] == "retired"
    decided = client.post("/applications", json=good_application(),
                          headers=auth_headers["loan_officer"]).json()
    assert decided["model_version"] == active_model[0]
    with Session(engine) as session:
        actions = [e.action for e in session.exec(
            select(AuditEvent).where(col(AuditEvent.action).in_(
                ["model.rolled_back", "model.reinstated"])).order_by(
                    col(AuditEvent.seq))).all()]
    assert actions == ["model.rolled_back", "model.reinstated"]
    # Rolling back again does not bring back the version just rolled back.
    again = client.post("/models/rollback", json=REASON, headers=admin)
    assert again.status_code == 409 and _code(again) == "no_previous_champion"


def _decision_without_ids(client, auth_headers, application_id):
    body = client.get(f"/applications/{application_id}", headers=auth_headers["auditor"]).json()
    record = body["decisions"][0]
    return {k: v for k, v in record.items() if k not in ("id", "created_at")}


def test_shadow_scoring_never_changes_a_decision(client, auth_headers, engine, default_training,
                                                 active_model):
    officer = auth_headers["loan_officer"]
    application = good_application()
    before = client.post("/applications", json=application, headers=officer).json()
    # A challenger that scores everyone 200 points lower: its decisions differ from the
    # champion's, and must reach no applicant.
    version = _register(engine, _variant(default_training[0], label="8", points_shift=200.0))
    _to_approved(client, auth_headers, version)
    promoted = _move(client, auth_headers["admin"], version, "promote",
                     {"to": "challenger", "reason": "shadow trial"})
    assert promoted.json()["status"] == "challenger"
    after = client.post("/applications", json=application, headers=officer).json()
    strip = {"id", "submitted_at", "decisions", "notices", "subject_id", "duplicate_flags",
             "links"}
    assert {k: v for k, v in before.items() if k not in strip} == {
        k: v for k, v in after.items() if k not in strip}
    assert _decision_without_ids(client, auth_headers, before["id"]) == _decision_without_ids(
        client, auth_headers, after["id"])
    with Session(engine) as session:
        shadows = {s.application_id: s for s in session.exec(select(ShadowDecision)).all()}
        champion = session.exec(select(Decision).where(
            Decision.application_id == after["id"])).one()
    # The new application was shadowed live; the earlier one by the backfill of history.
    assert shadows[after["id"]].source == "live" and shadows[before["id"]].source == "backfill"
    assert shadows[after["id"]].model_version == version
    assert shadows[after["id"]].score == pytest.approx(champion.score - 200.0)
    assert shadows[after["id"]].outcome != champion.outcome
    assert "shadow" not in str(after)


def test_promoting_a_challenger_backfills_history_once(client, auth_headers, engine,
                                                       default_training):
    officer = auth_headers["loan_officer"]
    ids = [client.post("/applications", json=good_application(), headers=officer).json()["id"]
           for _ in range(3)]
    version = _register(engine, _variant(default_training[0], label="9", points_shift=10.0))
    _to_approved(client, auth_headers, version)
    _move(client, auth_headers["admin"], version, "promote",
          {"to": "challenger", "reason": "trial"})
    with Session(engine) as session:
        backfilled = session.exec(select(ShadowDecision).where(
            ShadowDecision.model_version == version)).all()
        assert sorted(s.application_id for s in backfilled) == sorted(ids)
    from app.monitoring import runs
    from app.scoring import backfill

    with session_scope(engine) as session:
        (run,) = runs.recent(session, kind=backfill.KIND)
        assert run.state == "done" and run.result == {"shadow_decisions": 3, "skipped": 0}
        run_id = run.id
    # Asked again, the run is the same one; carried out again, it adds nothing.
    runs.execute(run_id)
    with Session(engine) as session:
        assert len(session.exec(select(ShadowDecision)).all()) == 3


def test_the_comparison_counts_the_swap_set_and_each_sides_approval_rate(
        client, auth_headers, engine, default_training):
    from datetime import UTC, datetime

    officer = auth_headers["loan_officer"]
    version = _register(engine, _variant(default_training[0], label="0", points_shift=200.0))
    _to_approved(client, auth_headers, version)
    _move(client, auth_headers["admin"], version, "promote",
          {"to": "challenger", "reason": "trial"})
    decided = [client.post("/applications", json=good_application(), headers=officer).json()
               for _ in range(4)]
    today = datetime.now(UTC).date().isoformat()
    reader = auth_headers["model_validator"]
    answer = client.get("/comparisons", params={"date_from": today, "date_to": today},
                        headers=reader)
    assert answer.status_code == 200, answer.json()
    result = answer.json()
    approved = sum(d["outcome"] == "approve" for d in decided)
    assert result["challenger_version"] == version and result["applications"] == 4
    assert result["approval_rate"]["champion"] == approved / 4
    assert result["approval_rate"]["challenger"] == 0.0  # 200 points lower: nobody approved
    with Session(engine) as session:
        shadow = {s.application_id: s.outcome for s in session.exec(select(ShadowDecision))}
    swapped_out = sum(d["outcome"] == "approve" and shadow[d["id"]] == "decline"
                      for d in decided)
    assert result["swap_set"]["swap_out"]["count"] == swapped_out
    assert result["swap_set"]["swap_in"]["count"] == 0
    assert result["score_correlation"] in (None, pytest.approx(1.0))
    assert set(result["adverse_impact_ratio"]) == {"champion", "challenger"}
    assert client.get("/comparisons", params={"date_from": today, "date_to": today},
                      headers=officer).status_code == 403
    reversed_range = client.get("/comparisons", params={"date_from": today,
                                                        "date_to": "2000-01-01"},
                                headers=reader)
    assert reversed_range.status_code == 422


def test_the_command_line_takes_a_model_through_each_step_as_named_people(
        settings_env, engine, default_training, users, active_model):
    import json

    from typer.testing import CliRunner

    from app.auth.roles import Role
    from app.cli import cli

    version = _register(engine, _variant(default_training[0], label="1", points_shift=1.0))
    validator, admin = users[Role.MODEL_VALIDATOR].username, users[Role.ADMIN].username
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["models", *args])
        assert result.exit_code == 0, result.output
        return result.output

    refused = runner.invoke(cli, ["models", "approve", version, "--as", admin, "--reason", "x"])
    assert refused.exit_code == 2 and "invalid_transition" in refused.output
    assert "report" in run("validate", version, "--as", validator, "--reason", "checked")
    same = runner.invoke(cli, ["models", "approve", version, "--as", validator, "--reason", "x"])
    assert same.exit_code == 2 and "four_eyes_same_person" in same.output
    run("approve", version, "--as", admin, "--reason", "committee")
    assert f"{active_model[0]} is retired" in run("promote", version, "--as", admin,
                                                   "--reason", "go live")
    assert f"{active_model[0]}: champion again" in run("rollback", "--as", admin,
                                                       "--reason", "back")
    shown = json.loads(run("show", version, "--json"))
    assert [t["to"] for t in shown["transitions"]] == [
        "draft", "validated", "approved", "champion", "retired"]
    assert shown["transitions"][1]["by"] == str(users[Role.MODEL_VALIDATOR].id)
    listed = json.loads(run("list", "--json"))
    assert {m["version"]: m["status"] for m in listed} == {version: "retired",
                                                          active_model[0]: "champion"}


def test_a_challengers_validation_report_compares_it_and_still_verifies_later(
        client, auth_headers, engine, default_training):
    from tests.compliance.reports.conftest import pdf_text

    officer, compliance = auth_headers["loan_officer"], auth_headers["compliance_officer"]
    version = _register(engine, _variant(default_training[0], label="2", points_shift=200.0))
    _to_approved(client, auth_headers, version)
    _move(client, auth_headers["admin"], version, "promote",
          {"to": "challenger", "reason": "trial"})
    for _ in range(2):
        client.post("/applications", json=good_application(), headers=officer)
    report = client.post("/reports", json={"kind": "model_validation", "model_version": version},
                         headers=compliance).json()
    assert report["parameters"]["comparison"]["challenger"] == version
    text = pdf_text(client.get(f"/reports/{report['id']}/pdf", headers=compliance).content)
    assert "Champion against challenger" in text and "Applications both decided 2" in text
    assert "Approved by the champion only (swap-out)" in text
    # Later shadow decisions do not change what the report pinned.
    client.post("/applications", json=good_application(), headers=officer)
    verified = client.get(f"/reports/{report['id']}/verify", headers=auth_headers["auditor"])
    assert verified.json()["ok"] is True, verified.json()
    validated = client.get(f"/reports/{_validation_report(client, auth_headers)}/pdf",
                           headers=compliance).content
    assert "has not run as a challenger" in pdf_text(validated)


def _validation_report(client, auth_headers) -> int:
    """The report attached when the champion was validated (it never ran in shadow)."""
    (champion,) = [m for m in client.get("/models", headers=auth_headers["admin"]).json()
                   if m["status"] == "champion"]
    return champion["validation_report_id"]


def test_a_challenger_that_cannot_be_loaded_stops_no_decision(client, auth_headers, engine,
                                                              default_training, active_model):
    from sqlalchemy import text

    version = _register(engine, _variant(default_training[0], label="3", points_shift=20.0))
    _to_approved(client, auth_headers, version)
    _move(client, auth_headers["admin"], version, "promote",
          {"to": "challenger", "reason": "trial"})
    with engine.begin() as conn:  # its artifact no longer matches its recorded digest
        conn.execute(text("UPDATE scoring_models SET artifact_sha256 = :x WHERE version = :v"),
                     {"x": "0" * 64, "v": version})
    decided = client.post("/applications", json=good_application(),
                          headers=auth_headers["loan_officer"])
    assert decided.status_code == 201 and decided.json()["model_version"] == active_model[0]
    with Session(engine) as session:
        assert not session.exec(select(ShadowDecision).where(
            ShadowDecision.application_id == decided.json()["id"])).all()


def test_a_policy_challenger_is_compared_and_dates_out_of_range_are_refused(
        client, auth_headers, engine, settings_env):
    from datetime import UTC, datetime

    from tests.app.test_scoring_api import _second_validator

    admin = auth_headers["admin"]
    body = client.get("/policies/active", headers=admin).json()["body"]
    body = {**body, "version": "strict-challenger"}
    body["tiers"][0]["min_score"] = 10_000  # approves nobody
    assert client.post("/policies", json={"body": body}, headers=admin).status_code == 201
    assert _move(client, auth_headers["model_validator"], "strict-challenger", "validate",
                 kind="policies").status_code == 200
    assert _move(client, _second_validator(settings_env, engine), "strict-challenger",
                 "approve", kind="policies").status_code == 200
    assert _move(client, admin, "strict-challenger", "promote",
                 {"to": "challenger", "reason": "stricter cut-offs"},
                 kind="policies").status_code == 200
    client.post("/applications", json=good_application(), headers=auth_headers["loan_officer"])
    today = datetime.now(UTC).date().isoformat()
    reader = auth_headers["model_validator"]
    result = client.get("/comparisons", params={"date_from": today, "date_to": today},
                        headers=reader).json()
    assert result["challenger_version"] == "strict-challenger"
    assert result["challenger_kind"] == "policy" and result["applications"] == 1
    assert result["approval_rate"]["challenger"] == 0.0 and result["without_shadow"] == 0
    too_far = client.get("/comparisons", params={"date_from": today, "date_to": "9999-12-31"},
                         headers=reader)
    assert too_far.status_code == 422 and _code(too_far) == "invalid_date_range"
