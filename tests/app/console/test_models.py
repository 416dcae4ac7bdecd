"""The model validator's console screens: the registry, a model's evidence, policy versions,
and the lifecycle moves made through them (four eyes, the role's actions, CSRF)."""

from __future__ import annotations

import dataclasses
import html
import re
from itertools import count

import pytest
from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Role
from app.db import session_scope
from app.scoring import repository, service
from risk_models.artifact import CompiledScorecard
from risk_models.default_model import PROTECTED, TARGET

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("active_model")]
REASON = {"reason": "meets the validation standard"}
_labels = count(1)


def _register(engine, default_training, built_by: Principal | None = None) -> str:
    """A draft: the bundled scorecard registered again as another artifact (its trained_at
    differs, so it scores the same)."""
    data = default_training[0].compiled.to_dict()
    data["metadata"] = {**data["metadata"],
                        "trained_at": f"2025-03-{next(_labels):02d}T00:00:00+00:00"}
    result = dataclasses.replace(default_training[0],
                                 compiled=CompiledScorecard.from_dict(data))
    with session_scope(engine) as session:
        return service.register_model(session, built_by or Principal.system("test"), result,
                                      data_name="german_credit.csv", target=TARGET,
                                      protected=list(PROTECTED)).version


def _status(engine, version: str) -> str:
    with Session(engine) as session:
        model = repository.model_by_version(session, version)
        assert model is not None
        return model.status


def _section(text: str, state: str) -> str:
    """The registry's section of one lifecycle state."""
    start = text.index(f'id="state-{state}"')
    end = text.find('<section', start)
    return text[start:end if end > 0 else len(text)]


def test_the_registry_lists_the_champion_under_champion(console, active_model):
    answer = console(Role.MODEL_VALIDATOR).get("/console/models")
    assert answer.status_code == 200
    assert active_model[0] in _section(answer.text, "champion")
    assert active_model[0] not in _section(answer.text, "draft")


def test_the_registry_lists_a_new_draft_under_draft(console, engine, default_training):
    version = _register(engine, default_training)
    text = console(Role.AUDITOR).get("/console/models").text
    assert version in _section(text, "draft")


def test_the_model_page_shows_each_characteristics_iv_as_training_stored_it(
        console, active_model, default_training):
    text = console(Role.MODEL_VALIDATOR).get(f"/console/models/{active_model[0]}").text
    iv_table = text[text.index('id="iv-table"'):]
    iv_table = iv_table[:iv_table.index("</table>")]
    shown = dict(re.findall(r'<th scope="row">([a-z_]+)</th><td class="num">([0-9.]+)</td>',
                            iv_table))
    assert shown == {name: f"{iv:.4f}"
                     for name, iv in default_training[0].iv_by_characteristic.items()}


def test_the_model_page_shows_every_bin_of_the_artifact_with_its_woe_and_points(
        console, active_model, default_training):
    text = console(Role.MODEL_VALIDATOR).get(f"/console/models/{active_model[0]}").text
    for characteristic in default_training[0].compiled.characteristics:
        table = text[text.index(f'id="bins-{characteristic.name}"'):]
        rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>",
                          table[:table.index("</table>")])
        assert [html.unescape(label) for label, _ in rows] == [
            b.label for b in characteristic.bins]
        for (_, cells), scorecard_bin in zip(rows, characteristic.bins, strict=True):
            assert f"{scorecard_bin.woe:,.4f}" in cells
            assert f"{scorecard_bin.points:,.2f}" in cells


def test_a_draft_is_validated_by_the_validator_and_approved_by_the_admin(
        console, engine, default_training):
    version = _register(engine, default_training)
    validated = console(Role.MODEL_VALIDATOR).post(f"/console/models/{version}/validate",
                                                   REASON)
    assert validated.status_code == 303
    assert validated.headers["location"] == f"/console/models/{version}?moved=validate"
    assert _status(engine, version) == "validated"
    admin = console(Role.ADMIN)
    approved = admin.post(f"/console/models/{version}/approve", REASON)
    assert approved.status_code == 303 and _status(engine, version) == "approved"
    page = admin.get(approved.headers["location"]).text
    assert f"model {version} is now approved" in page
    assert "validated → approved" in page


def test_validation_through_the_console_attaches_the_model_validation_report(
        console, engine, default_training):
    version = _register(engine, default_training)
    validator = console(Role.MODEL_VALIDATOR)
    validator.post(f"/console/models/{version}/validate", REASON)
    with Session(engine) as session:
        model = repository.model_by_version(session, version)
        assert model is not None and model.validation_report_id is not None
        report_id = model.validation_report_id
    page = validator.get(f"/console/models/{version}").text
    assert f'href="/console/reports/{report_id}/pdf"' in page


def test_the_validator_approving_their_own_validation_is_refused_by_four_eyes(
        console, engine, default_training):
    version = _register(engine, default_training)
    validator = console(Role.MODEL_VALIDATOR)
    validator.post(f"/console/models/{version}/validate", REASON)
    refused = validator.post(f"/console/models/{version}/approve", REASON)
    assert refused.status_code == 403
    assert f"you validated model {version}; a different person approves it" in \
        html.unescape(refused.text).lower()
    assert "four_eyes_same_person" in refused.text
    assert _status(engine, version) == "validated"


def test_the_four_eyes_refusal_of_an_htmx_move_is_shown_in_the_message_area(
        console, engine, default_training):
    version = _register(engine, default_training)
    validator = console(Role.MODEL_VALIDATOR)
    validator.post(f"/console/models/{version}/validate", REASON)
    refused = validator.post(f"/console/models/{version}/approve", REASON, htmx=True)
    assert refused.status_code == 403 and refused.headers["HX-Retarget"] == "#messages"
    assert "a different person approves it" in refused.text


def test_the_validator_of_a_version_is_shown_no_approve_button_but_why(
        console, engine, default_training):
    version = _register(engine, default_training)
    validator = console(Role.MODEL_VALIDATOR)
    validator.post(f"/console/models/{version}/validate", REASON)
    page = validator.get(f"/console/models/{version}").text
    assert f"/console/models/{version}/approve" not in page
    assert "You validated this model: a different person approves it" in page
    assert f"/console/models/{version}/approve" in console(Role.ADMIN).get(
        f"/console/models/{version}").text


def test_a_role_without_the_validate_action_sees_no_validate_button(
        console, engine, default_training):
    version = _register(engine, default_training)
    form = f'action="/console/models/{version}/validate"'
    assert form in console(Role.MODEL_VALIDATOR).get(f"/console/models/{version}").text
    for role in (Role.ADMIN, Role.AUDITOR, Role.UNDERWRITER):
        assert form not in console(role).get(f"/console/models/{version}").text


def test_a_move_the_lifecycle_does_not_allow_is_not_offered(console, active_model):
    page = console(Role.ADMIN).get(f"/console/models/{active_model[0]}").text
    # The champion is neither approved again, promoted again nor retired alone.
    for move in ("validate", "approve", "promote", "retire"):
        assert f"/console/models/{active_model[0]}/{move}" not in page


def test_a_role_without_the_action_is_refused_the_move(console, engine, default_training):
    version = _register(engine, default_training)
    refused = console(Role.AUDITOR).post(f"/console/models/{version}/validate", REASON)
    assert refused.status_code == 403 and _status(engine, version) == "draft"


def test_a_move_without_the_csrf_token_is_refused(console, engine, default_training):
    version = _register(engine, default_training)
    refused = console(Role.MODEL_VALIDATOR).post(f"/console/models/{version}/validate",
                                                 REASON, csrf=False)
    assert refused.status_code == 403 and "csrf_failed" in refused.text
    assert _status(engine, version) == "draft"


def test_a_move_without_a_reason_is_refused_beside_the_reason_field(
        console, engine, default_training):
    version = _register(engine, default_training)
    refused = console(Role.MODEL_VALIDATOR).post(f"/console/models/{version}/validate",
                                                 {"reason": "  "})
    assert refused.status_code == 422
    assert 'id="move-validate-reason-error"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert _status(engine, version) == "draft"


def test_an_htmx_move_without_a_reason_re_renders_only_its_form(
        console, engine, default_training):
    version = _register(engine, default_training)
    refused = console(Role.MODEL_VALIDATOR).post(f"/console/models/{version}/validate",
                                                 {"reason": ""}, htmx=True)
    assert refused.status_code == 422
    assert refused.text.lstrip().startswith("<form") and "field-error" in refused.text


def test_an_htmx_move_that_succeeds_sends_the_browser_to_the_version(
        console, engine, default_training):
    version = _register(engine, default_training)
    done = console(Role.MODEL_VALIDATOR).post(f"/console/models/{version}/validate", REASON,
                                              htmx=True)
    assert done.status_code == 200
    assert done.headers["HX-Redirect"] == f"/console/models/{version}?moved=validate"


def test_the_admin_promotes_an_approved_model_to_champion(console, engine, default_training,
                                                         active_model):
    version = _register(engine, default_training)
    console(Role.MODEL_VALIDATOR).post(f"/console/models/{version}/validate", REASON)
    admin = console(Role.ADMIN)
    admin.post(f"/console/models/{version}/approve", REASON)
    promoted = admin.post(f"/console/models/{version}/promote",
                          {**REASON, "to": "champion"})
    assert promoted.status_code == 303
    assert _status(engine, version) == "champion"
    assert _status(engine, active_model[0]) == "retired"


def test_a_validator_retires_a_draft(console, engine, default_training):
    version = _register(engine, default_training)
    retired = console(Role.MODEL_VALIDATOR).post(f"/console/models/{version}/retire", REASON)
    assert retired.status_code == 303 and _status(engine, version) == "retired"


def test_the_policy_versions_list_the_champion_policy(console, active_model):
    text = console(Role.UNDERWRITER).get("/console/policies").text
    assert active_model[1].version in text and "champion" in text


def test_the_policy_page_shows_its_tiers_and_stability_thresholds(console, active_model):
    policy = active_model[1]
    text = console(Role.MODEL_VALIDATOR).get(f"/console/policies/{policy.version}").text
    for tier in policy.tiers:
        assert f'<th scope="row">{tier.name}</th>' in text
    assert "0.10" in text and "0.25" in text


def test_a_policy_draft_is_validated_through_the_console(console, engine, active_model):
    body = {**active_model[1].to_dict(), "version": "console-policy-1"}
    with session_scope(engine) as session:
        service.register_policy(session, Principal.system("test"), body)
    validated = console(Role.MODEL_VALIDATOR).post(
        "/console/policies/console-policy-1/validate", REASON)
    assert validated.status_code == 303
    with Session(engine) as session:
        policy = repository.policy_by_version(session, "console-policy-1")
        assert policy is not None and policy.status == "validated"


def test_the_validators_home_lists_drafts_awaiting_validation(console, engine,
                                                              default_training):
    version = _register(engine, default_training)
    text = console(Role.MODEL_VALIDATOR).get("/console").text
    assert "Drafts awaiting validation" in text and version in text


def test_the_home_lists_for_approval_only_what_someone_else_validated(
        console, engine, default_training):
    version = _register(engine, default_training)
    validator = console(Role.MODEL_VALIDATOR)
    validator.post(f"/console/models/{version}/validate", REASON)
    panel = validator.get("/console").text
    assert "Validated, awaiting approval" in panel and version not in panel
    assert version in console(Role.ADMIN).get("/console").text


def _section_of(text: str, heading_id: str) -> str:
    start = text.index(f'id="{heading_id}"')
    end = text.find("</section>", start)
    return text[start:end]


def test_the_model_page_shows_the_latest_drift_check_and_its_open_alert(
        console, client, auth_headers, engine, active_model, monkeypatch):
    from datetime import UTC, datetime

    from app.drift import repository as drift_repository
    from app.drift.service import baseline_for

    with Session(engine) as session:
        baseline = baseline_for(session, active_model[0])
    # The window's scores counted the other way round: far from development.
    monkeypatch.setattr(drift_repository, "live_score_counts",
                        lambda *_a, **_k: list(reversed(baseline.score_counts)))
    monkeypatch.setattr(drift_repository, "characteristic_counts", lambda *_a, **_k: {
        c.name: dict(enumerate(c.counts)) for c in baseline.characteristics})
    today = datetime.now(UTC).date().isoformat()
    check = client.post("/drift/checks", json={"date_from": today, "date_to": today},
                        headers=auth_headers[Role.MODEL_VALIDATOR]).json()
    assert check["alert_id"] and check["score_psi"] is not None
    drift = _section_of(console(Role.MODEL_VALIDATOR).get(
        f"/console/models/{active_model[0]}").text, "drift-heading")
    assert f'<th scope="row">score (PSI)</th><td class="num">{check["score_psi"]:,.4f}</td>' \
        in drift
    assert '<span class="badge warn">open</span>' in drift


def test_the_model_page_shows_the_latest_backtest_by_band(console, client, auth_headers,
                                                          active_model):
    from datetime import UTC, datetime

    from tests.app.application_documents import good_application

    officer = auth_headers[Role.LOAN_OFFICER]
    approved = []
    for i in range(8):
        body = client.post("/applications", json=good_application(**{
            "loan.amount": f"{1500 + 200 * i}.00", "kyc.national_id": f"M5100{i:04d}",
            "crm.savings_balance": f"{300 + 150 * i}.00"}), headers=officer).json()
        if body["outcome"] == "approve":
            approved.append(body["id"])
    assert len(approved) >= 4
    today = datetime.now(UTC).date().isoformat()
    loaded = client.post("/outcomes", json={"outcomes": [
        {"application_id": a, "defaulted": i % 2 == 0, "observed_on": today}
        for i, a in enumerate(approved)]}, headers=auth_headers[Role.MODEL_VALIDATOR])
    assert loaded.status_code == 201, loaded.text
    record = client.post("/backtests", json={"date_from": today, "date_to": today},
                         headers=auth_headers[Role.MODEL_VALIDATOR]).json()
    section = _section_of(console(Role.MODEL_VALIDATOR).get(
        f"/console/models/{active_model[0]}").text, "backtest-heading")
    for band in record["result"]["bands"]:
        assert f'<tr><th scope="row">{band["band"]}</th><td class="num">{band["n"]}</td>' \
            in section
    auc = record["result"]["discrimination"]["auc"]
    assert f'<th scope="row">AUC</th><td class="num">{auc:,.3f}</td>' in section


def test_the_champions_page_compares_it_with_a_challenger_promoted_in_the_console(
        console, client, auth_headers, engine, default_training, active_model):
    from tests.app.application_documents import good_application

    version = _register(engine, default_training)
    console(Role.MODEL_VALIDATOR).post(f"/console/models/{version}/validate", REASON)
    admin = console(Role.ADMIN)
    admin.post(f"/console/models/{version}/approve", REASON)
    promoted = admin.post(f"/console/models/{version}/promote", {**REASON, "to": "challenger"})
    assert promoted.status_code == 303 and _status(engine, version) == "challenger"
    for i in range(3):
        client.post("/applications", json=good_application(**{
            "kyc.national_id": f"M5200{i:04d}"}), headers=auth_headers[Role.LOAN_OFFICER])
    section = _section_of(console(Role.MODEL_VALIDATOR).get(
        f"/console/models/{active_model[0]}").text, "comparison-heading")
    assert version in section and "Swap set" in section
    # The challenger scores as the champion does: every outcome the same.
    assert '<th scope="row">Same outcome</th><td class="num">100.0%</td>' in section
