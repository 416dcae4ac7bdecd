"""`riskdesk train` on an arbitrary CSV: registered as a draft (never in use), ledgered,
protected columns out."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import cli
from app.models import AuditEvent, DecisionPolicy, ScoringModel


@pytest.fixture
def loans_csv(tmp_path):
    """600 synthetic loans whose default risk rises with utilisation and falls with tenure."""
    rng = np.random.default_rng(7)
    n = 600
    utilisation = rng.uniform(0, 1, n)
    tenure = rng.integers(0, 20, n)
    region = rng.choice(["north", "south", "east"], n)
    gender = rng.choice(["f", "m"], n)
    logit = -1.5 + 2.5 * utilisation - 0.08 * tenure + (region == "east") * 0.5
    defaulted = rng.uniform(0, 1, n) < 1 / (1 + np.exp(-logit))
    path = tmp_path / "loans.csv"
    pd.DataFrame({"loan_id": np.arange(n), "utilisation": utilisation, "tenure": tenure,
                  "region": region, "gender": gender,
                  "defaulted": defaulted.astype(int)}).to_csv(path, index=False)
    return path


def test_train_registers_a_draft_and_prints_json(settings_env, engine, loans_csv):
    result = CliRunner().invoke(cli, [
        "train", "--data", str(loans_csv), "--target", "defaulted", "--bad-value", "1",
        "--exclude", "loan_id", "--protected", "gender", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    for key in ("model_version", "cv_auc", "cv_auc_std", "gini", "ks", "n_rows", "features",
                "artifact_sha256"):
        assert key in summary
    assert summary["n_rows"] == 600
    assert set(summary["features"]) <= {"utilisation", "tenure", "region"}
    assert "gender" not in summary["features"] and "loan_id" not in summary["features"]
    assert summary["cv_auc"] > 0.6
    with Session(engine) as session:
        model = session.exec(select(ScoringModel)).one()
        policy = session.exec(select(DecisionPolicy)).one()
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert (model.version, model.status, policy.status) == (summary["model_version"], "draft",
                                                            "draft")
    assert model.artifact_sha256 == summary["artifact_sha256"]
    assert json.loads(model.protected_columns) == ["gender"]
    assert {"model.trained", "policy.created"} <= set(actions)
    assert not [a for a in actions if a.endswith((".promoted", ".activated"))]


def test_train_refuses_a_bad_value_absent_from_the_target(settings_env, engine, loans_csv):
    result = CliRunner().invoke(cli, ["train", "--data", str(loans_csv), "--target",
                                      "defaulted", "--bad-value", "7"])
    assert result.exit_code == 2
    assert "does not occur in target" in result.output
    with Session(engine) as session:
        assert session.exec(select(ScoringModel)).first() is None
