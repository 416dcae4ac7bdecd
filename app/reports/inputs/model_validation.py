"""The model validation report's input: the model's binning, performance and fairness audit."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.fairness import service as fairness
from app.outcomes import repository as outcomes
from app.scoring import comparison
from app.scoring.service import load_policy_version
from app.users import repository as users
from compliance.monitoring import monitoring_plan
from compliance.reports import (
    BenchmarkRow,
    BinRow,
    CalibrationRow,
    Characteristic,
    CharacteristicStability,
    Coefficient,
    Cutoff,
    DataSummary,
    LedgerHead,
    Method,
    ModelValidationInput,
    PerformanceSummary,
    Signatory,
    Stability,
    StabilityBin,
)
from compliance.reports.backtesting_section import Backtesting, backtest_summary
from compliance.reports.comparison_section import Comparison
from risk_models.artifact import CompiledScorecard
from risk_models.expectations import counter_intuitive_bins, load_expectations

MODEL_NAME = "Application scorecard"


def model_validation_input(session: Session, parameters: dict[str, Any], generated_at: datetime,
                           head: LedgerHead) -> ModelValidationInput:
    model = fairness.resolve_model(session, parameters["model_version"])
    validation = json.loads(model.validation)
    metrics = json.loads(model.metrics)
    artifact = json.loads(model.artifact)
    oof = validation["oof"]
    iv = validation.get("iv_by_characteristic", {})
    characteristics = [
        Characteristic(name, [BinRow(str(r["bin"]), int(r["count"]), float(r["count_share"]),
                                     float(r["event_rate"]), float(r["woe"]), float(r["iv"]),
                                     float(r["points"])) for r in rows],
                       total_iv=iv.get(name))
        for name, rows in validation["binning_tables"].items()]
    audit = None
    policy_version = parameters.get("policy_version")
    if policy_version:
        options = fairness.AuditOptions(n_boot=parameters["fairness"]["n_boot"],
                                        seed=parameters["fairness"]["seed"])
        audit = fairness.model_audit(session, model.version, policy_version, options)
    bad_value = artifact.get("metadata", {}).get("bad_value")
    expectations = load_expectations()
    compiled = CompiledScorecard.from_dict(artifact)
    checked = [c.name for c in compiled.characteristics if c.name in expectations.characteristics]
    return ModelValidationInput(
        model_name=MODEL_NAME,
        model_version=model.version,
        purpose=(
            "Application scorecard estimating the probability that a new loan goes bad "
            f"({model.target} = {bad_value}). The policy's score cut-offs turn its points into "
            "approve, refer or decline, and the points an applicant loses per characteristic "
            "give the principal reasons stated on adverse action notices. Trained "
            f"{model.trained_at:%Y-%m-%d %H:%M:%S} UTC; artifact sha256 "
            f"{model.artifact_sha256}."),
        generated_at=generated_at,
        ledger_head=head,
        data=DataSummary(source=model.data_name, rows=int(metrics["n_rows"]),
                         bad_rate=float(metrics["bad_rate"]), sha256=model.data_sha256,
                         target=f"bad = {model.target} is {bad_value} (the event), "
                                "good = otherwise"),
        characteristics=characteristics,
        performance=PerformanceSummary(
            auc=float(metrics.get("oof_auc", metrics["cv_auc"])), gini=float(metrics["gini"]),
            ks=float(metrics["ks"]), cv_auc_mean=float(metrics["cv_auc"]),
            cv_auc_std=float(metrics["cv_auc_std"]), cv_folds=int(metrics["cv_folds"]),
            holdout_auc=_optional_float(metrics.get("holdout_auc")),
            calibration=[CalibrationRow(int(r["group"]), float(r["mean_pd"]),
                                        float(r["observed_bad_rate"]), int(r["rows"]))
                         for r in metrics.get("calibration", [])]),
        y_bad=[int(v) for v in oof["y_bad"]],
        score=[float(v) for v in oof["score"]],
        probability_of_default=[float(v) for v in oof["probability_of_default"]],
        fairness_audit=audit,
        limitations=limitations(model.data_name, json.loads(model.protected_columns), metrics,
                                policy_version),
        prepared_by=Signatory(name=_name(session, model.trained_by), title="trained the model",
                              signed_on=model.trained_at.date()),
        cutoffs=_cutoffs(session, policy_version),
        monitoring_plan=monitoring_plan(),
        method=Method(
            description=(
                "Each characteristic is binned by optimal binning (optbinning), constrained to "
                "a monotonic trend where the data support one; each bin is replaced by its "
                "weight of evidence (WoE); a logistic regression on the WoE values estimates "
                "the log-odds of a bad outcome; points are the regression's terms scaled by "
                "points-to-double-the-odds (PDO). The deployed scorecard is the compiled table "
                "of points per bin, which reproduces the trained model's scores exactly."),
            intercept=float(artifact["intercept"]),
            base_score=float(artifact["scaling"]["base_score"]),
            base_odds=float(artifact["scaling"]["base_odds"]),
            pdo=float(artifact["scaling"]["pdo"]),
            coefficients=[Coefficient(c["name"], float(c["coefficient"]))
                          for c in artifact["characteristics"]]),
        benchmarks=[BenchmarkRow(b["name"], b["description"], float(b["auc"]),
                                 float(b["auc_std"]), float(b["ks"]))
                    for b in metrics.get("benchmarks", [])],
        stability=_stability(metrics.get("stability"), compiled.features),
        counter_intuitive=counter_intuitive_bins(compiled, validation["binning_tables"],
                                                 expectations),
        expectations_version=expectations.version if checked else None,
        backtesting=_backtesting(session, parameters),
        comparison=(None if "comparison" not in parameters else Comparison(
            None if parameters["comparison"] is None
            else comparison.pinned(session, parameters["comparison"]))),
    )


def _backtesting(session: Session, parameters: dict[str, Any]) -> Backtesting | None:
    """The back-test pinned when the report was asked for (by id, never "the newest" again);
    None for parameters pinned before reports carried back-tests."""
    if "backtest_id" not in parameters:
        return None
    if parameters["backtest_id"] is None:
        return Backtesting(None)
    record = outcomes.get_backtest(session, parameters["backtest_id"])
    assert record is not None  # back-tests are never deleted
    return Backtesting(backtest_summary(record.id, record.window_start, record.window_end,
                                        record.created_at, record.result))


def _stability(record: dict[str, Any] | None, features: list[str]) -> Stability | None:
    """The stored stability figures, CSI kept to the characteristics the model scores with
    (the hold-out model may have kept one that the final fit dropped)."""
    if record is None:
        return None
    return Stability(
        comparison=record["comparison"], development_rows=int(record["development_rows"]),
        comparison_rows=int(record["comparison_rows"]), score_psi=float(record["score_psi"]),
        score_bins=[StabilityBin(b["bin"], float(b["development_share"]),
                                 float(b["comparison_share"]), float(b["psi"]))
                    for b in record["score_bins"]],
        characteristics=[CharacteristicStability(c["name"], float(c["csi"]))
                         for c in record["characteristics"] if c["name"] in features])


def _name(session: Session, actor_id: str) -> str:
    person = users.people(session, {actor_id}).get(actor_id)
    return person[0] if person else actor_id


def _cutoffs(session: Session, policy_version: str | None) -> list[Cutoff]:
    """The policy's score floors, highest first, each named by its tier and outcome."""
    if policy_version is None:
        return []
    policy = load_policy_version(session, policy_version)
    return [Cutoff(f"{tier.name} ({tier.outcome})", float(tier.min_score))
            for tier in policy.tiers if tier.min_score is not None]


def limitations(data_name: str, protected: list[str], metrics: dict[str, Any],
                policy_version: str | None) -> list[str]:
    """What the validation cannot show, for this model's data."""
    rows, bads = int(metrics["n_rows"]), int(metrics.get("n_bad", 0))
    german = "german" in data_name.lower() or "personal_status_sex" in protected
    out = []
    if german:
        out += [
            "The development data are the Statlog German Credit Data (UCI): loans granted by "
            "one southern German bank in the 1970s. Today's applicants, and this lender's, "
            "may differ in mix and behaviour; monitor population stability and the observed "
            "bad rate before relying on the cut-offs.",
            "Amounts in the development data are Deutsche Mark (DM). Applications in other "
            "currencies are converted at the fixed euro conversion rate, which does not "
            "correct for decades of inflation or changes in purchasing power.",
        ]
    out += [
        f"The sample is small ({rows:,} rows, {bads:,} bad): bin bad rates and points carry "
        "wide sampling error, and small groups in the fairness audit cannot be judged.",
        "Outcomes exist only for loans that were granted. Applicants declined at the time are "
        "absent and no reject inference was applied, so performance on the through-the-door "
        "population is not measured.",
        "Protected attributes were excluded from the characteristics and used only for the "
        "fairness audit; characteristics correlated with them can still act as proxies.",
        "Out-of-fold predictions come from the first cross-validation round; the hold-out AUC "
        "is from a single split.",
    ]
    if policy_version is None:
        out.append("No decision policy was active when this report was built, so the "
                   "validation scores could not be turned into approvals and the fairness "
                   "audit was not run.")
    return out


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
