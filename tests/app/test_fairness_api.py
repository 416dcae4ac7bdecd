"""Fairness audits through the API: figures reproduced independently, storage with its sha256,
the ledger event, validation of the request, and who may run and read audits."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact
from sqlmodel import Session

from app.auth.roles import Role
from compliance.fairness import german_protected_groups
from compliance.ledger import canonical_json
from tests.app import factories as f

LO, UW, CO, AU, AD = (Role.LOAN_OFFICER, Role.UNDERWRITER, Role.COMPLIANCE_OFFICER,
                      Role.AUDITOR, Role.ADMIN)
MARCH = {"source": "decisions", "date_from": "2026-03-01", "date_to": "2026-03-31"}
BANDS = ("under 25", "25-39", "40-59", "60 and over")


def _decisions() -> pd.DataFrame:
    """120 decided applications (female 24/60 approved, male 45/60) and 8 still referred."""
    rows = []
    for sex, approved, total, referred in (("female", 24, 60, 5), ("male", 45, 60, 3)):
        for i in range(total + referred):
            status = "referred" if i >= total else "decided"
            outcome = "refer" if status == "referred" else (
                "approve" if i < approved else "decline")
            rows.append({"sex": sex, "status": status, "outcome": outcome,
                         "age_band": BANDS[(i * 7) % 4],
                         "national_origin": "foreign" if i % 5 == 0 else "domestic"})
    return pd.DataFrame(rows)


@pytest.fixture
def live(engine, users):
    frame = _decisions()
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as s:
        for i, row in enumerate(frame.itertuples()):
            f.add_application(
                s, submitted_by=str(users[LO].id), submitted_at=start + timedelta(hours=5 * i),
                status=row.status, outcome=row.outcome, score=600.0 + i % 40,
                monitoring={"sex": row.sex, "age_band": row.age_band,
                            "national_origin": row.national_origin})
        # Submitted the day after the range ends: not audited.
        f.add_application(s, submitted_by=str(users[LO].id), outcome="decline",
                          submitted_at=datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
        s.commit()
    return frame


@pytest.fixture
def model(engine):
    with Session(engine, expire_on_commit=False) as s:
        model = f.add_model(s)
        f.add_policy(s)
        s.commit()
    return model


def _run(client, headers, **body):
    return client.post("/fairness/audits", json=body, headers=headers)


def _attribute(result, name):
    return next(a for a in result["attributes"] if a["name"] == name)


def _group(result, name, group):
    return next(g for g in _attribute(result, name)["groups"] if g["group"] == group)


def test_live_audit_reproduces_independently_computed_rates_and_impact_ratios(
        client, auth_headers, live):
    response = _run(client, auth_headers[CO], **MARCH, n_boot=50)
    assert response.status_code == 201, response.text
    result = response.json()["result"]

    decided = live[live["status"] != "referred"].assign(approved=lambda d: d.outcome == "approve")
    assert result["scope"]["excluded_referred"] == 8
    assert result["overall"]["count"] == len(decided) == 120
    assert result["overall"]["approval_rate"] == pytest.approx(decided["approved"].mean(),
                                                               abs=1e-4)
    for attribute in ("sex", "age_band", "national_origin"):
        counts = decided.groupby(attribute)["approved"].agg(["sum", "count"])
        rates = counts["sum"] / counts["count"]
        judged = counts["count"] >= 30
        best = rates[judged].idxmax()
        for group, rate in rates.items():
            row = _group(result, attribute, group)
            assert row["count"] == counts.loc[group, "count"]
            assert row["approval_rate"] == pytest.approx(rate, abs=1e-4)
            assert row["air_vs_most_favoured"] == pytest.approx(rate / rates[best], abs=1e-4)
            if group != best:
                _, p = fisher_exact([[counts.loc[group, "sum"],
                                      counts.loc[group, "count"] - counts.loc[group, "sum"]],
                                     [counts.loc[best, "sum"],
                                      counts.loc[best, "count"] - counts.loc[best, "sum"]]])
                assert row["fisher_p_vs_most_favoured"] == pytest.approx(p, rel=1e-3)
    # 0.40 / 0.75 = 0.533 with p < 0.001: female applicants are flagged on sex.
    female = _group(result, "sex", "female")
    assert female["air_vs_most_favoured"] == pytest.approx(0.4 / 0.75, abs=1e-4)
    assert {"attribute": "sex", "group": "female"}.items() <= result["flags"][0].items()
    assert result["scope"]["outcomes_known"] is False and result["overall"]["tpr"] is None


def test_model_audit_derives_groups_and_approvals_from_validation_data(client, auth_headers,
                                                                       model):
    response = _run(client, auth_headers[CO], source="model", model_version=f.MODEL_VERSION,
                    n_boot=0)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["policy_version"] == f.POLICY_VERSION
    result = body["result"]
    oof = pd.DataFrame(json.loads(model.validation)["oof"])
    groups = german_protected_groups(oof)
    approved = oof["score"] >= f.APPROVE_FROM
    y_good = 1 - oof["y_bad"]
    for attribute in ("sex", "age_band", "national_origin"):
        for group, members in groups.groupby(attribute, observed=True).groups.items():
            row = _group(result, attribute, str(group))
            assert row["count"] == len(members)
            assert row["approval_rate"] == pytest.approx(approved[members].mean(), abs=1e-4)
            good = members[y_good[members] == 1]
            assert row["tpr"] == pytest.approx(approved[good].mean(), abs=1e-4)
    assert result["overall"]["outcome_known"] == len(oof)


def test_audit_is_stored_with_its_sha256_and_ledgered(client, auth_headers, live, engine):
    created = _run(client, auth_headers[CO], **MARCH, n_boot=20, seed=7,
                   intersections=[["sex", "age_band"]], reference_groups={"sex": "male"})
    assert created.status_code == 201, created.text
    stored = client.get(f"/fairness/audits/{created.json()['id']}", headers=auth_headers[AU])
    assert stored.status_code == 200
    body = stored.json()
    assert body["result"] == created.json()["result"]
    digest = hashlib.sha256(canonical_json(body["result"]).encode()).hexdigest()
    assert body["sha256"] == digest
    assert _attribute(body["result"], "sex*age_band")["label"] == "Sex × Age band"
    assert _attribute(body["result"], "sex")["reference_group"] == "male"

    from app.audit.repository import search_events

    with Session(engine) as s:
        [event], _ = search_events(s, action="fairness.audit_run", entity_id=str(body["id"]))
    payload = json.loads(event.payload)
    assert payload["sha256"] == digest and payload["parameters"]["seed"] == 7
    assert payload["parameters"]["intersections"] == [["sex", "age_band"]]
    listed = client.get("/fairness/audits", headers=auth_headers[CO]).json()
    assert [a["id"] for a in listed["items"]] == [body["id"]] and "result" not in \
        listed["items"][0]


def test_same_inputs_and_seed_give_the_same_result(client, auth_headers, live):
    first = _run(client, auth_headers[CO], **MARCH, n_boot=30, seed=3).json()
    second = _run(client, auth_headers[CO], **MARCH, n_boot=30, seed=3).json()
    assert first["sha256"] == second["sha256"] and first["id"] != second["id"]


def test_unknown_model_is_404_model_not_found(client, auth_headers, model):
    response = _run(client, auth_headers[CO], source="model", model_version="nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


def test_empty_range_is_422_no_decisions_in_range(client, auth_headers, live):
    response = _run(client, auth_headers[CO], source="decisions", date_from="2025-01-01",
                    date_to="2025-01-31")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "no_decisions_in_range"


def _fields(response) -> set[str]:
    return {d["field"] for d in response.json()["error"]["details"]}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("body", "fields"), [
    ({"source": "decisions"}, {"date_from", "date_to"}),
    ({"source": "model"}, {"model_version"}),
    ({**MARCH, "date_to": "2026-02-01"}, {"date_to"}),
    ({**MARCH, "model_version": "x"}, {"model_version"}),
    ({**MARCH, "n_boot": 5000, "seed": -1}, {"n_boot", "seed"}),
    ({**MARCH, "thresholds": {"min_air": 1.5}}, {"thresholds.min_air"}),
    ({**MARCH, "intersections": [["sex", "sex"]]}, {"intersections"}),
    ({**MARCH, "intersections": [["sex", "religion"]]}, {"intersections"}),
    ({**MARCH, "reference_groups": {"religion": "x"}}, {"reference_groups"}),
    ({**MARCH, "reference_groups": {"sex": "martian"}}, {"reference_groups"}),
    ({"source": "everything"}, {"source"}),
])
def test_bad_input_is_422_naming_the_fields(client, auth_headers, live, db_url, body, fields):
    response = _run(client, auth_headers[CO], **body)
    assert response.status_code == 422
    assert _fields(response) == fields


def test_only_compliance_officers_run_audits_and_auditors_read_them(client, auth_headers, live):
    audit_id = _run(client, auth_headers[CO], **MARCH, n_boot=0).json()["id"]
    for role in (AU, LO, UW, AD):
        assert _run(client, auth_headers[role], **MARCH).status_code == 403
    for role in (CO, AU):
        assert client.get(f"/fairness/audits/{audit_id}",
                          headers=auth_headers[role]).status_code == 200
    for role in (LO, UW, AD):
        assert client.get(f"/fairness/audits/{audit_id}",
                          headers=auth_headers[role]).status_code == 403
    assert client.get(f"/fairness/audits/{audit_id}").status_code == 401
    assert _run(client, {}, **MARCH).status_code == 401


def test_unknown_audit_is_404(client, auth_headers, live):
    response = client.get("/fairness/audits/999", headers=auth_headers[CO])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "fairness_audit_not_found"


def test_policy_cut_offs_decide_model_approvals():
    from app.fairness.service import approvals

    scores = np.array([f.DECLINE_BELOW - 1, f.DECLINE_BELOW, f.APPROVE_FROM - 0.01,
                       f.APPROVE_FROM, 900.0])
    assert approvals(f.policy(), scores).tolist() == [False, False, False, True, True]
