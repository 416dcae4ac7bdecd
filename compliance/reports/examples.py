"""Fictitious, deterministic report inputs for previews, benchmarks and demos.

Every name, address and figure here is made up; synthetic data come from seeded generators.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from compliance.fairness import AGE_BANDS, audit_fairness
from compliance.monitoring import monitoring_plan
from compliance.reports.adverse_action import (
    AdverseActionNotice,
    CreditScoreDisclosure,
    Party,
    Reason,
)
from compliance.reports.common import LedgerHead
from compliance.reports.compliance_report import (
    ComplianceReportInput,
    LedgerVerification,
    OverrideRow,
    SignedCheckpoint,
)
from compliance.reports.model_validation import (
    BenchmarkRow,
    BinRow,
    Characteristic,
    CharacteristicStability,
    CounterIntuitive,
    Cutoff,
    DataSummary,
    ModelValidationInput,
    PerformanceSummary,
    Signatory,
    Stability,
    StabilityBin,
)
from compliance.reports.summaries import summarise_decisions

EXAMPLE_LEDGER_HEAD = LedgerHead(
    seq=18_342, hash=hashlib.sha256(b"riskdesk example ledger head").hexdigest()
)
GENERATED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
AUDIT_ATTRIBUTES = {"sex": "Sex", "age_band": "Age band", "national_origin": "National origin"}
REASON_STATEMENTS = {
    "R01": "Balance of checking account is too low or account is overdrawn",
    "R02": "Requested loan term is too long",
    "R03": "Requested amount is high relative to repayment capacity",
    "R04": "Delinquent past or present credit obligations",
    "R05": "Insufficient savings or assets",
    "R06": "Length of employment is too short",
}


def synthetic_decisions(rows: int, seed: int = 0) -> pd.DataFrame:
    """Decisions with protected groups, scores, outcomes, tiers and reason codes.

    Parameters
    ----------
    rows : int
        Number of decisions.
    seed : int
        Seed: the same arguments give the same frame.
    """
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], rows, p=[0.45, 0.55])
    age = rng.choice(list(AGE_BANDS), rows, p=[0.15, 0.45, 0.3, 0.1])
    origin = rng.choice(["domestic", "foreign"], rows, p=[0.9, 0.1])
    score = rng.normal(600, 50, rows) - 25 * (origin == "foreign") - 10 * (age == "under 25")
    approved = score + rng.normal(0, 20, rows) > 580
    p_good = 1 / (1 + np.exp(-(score - 540) / 40))
    y_good = (rng.random(rows) < p_good).astype(float)
    # Loans granted recently have no outcome yet.
    y_good[rng.random(rows) < 0.3] = np.nan
    tier = np.select([score >= 640, score >= 600, score >= 560], ["A", "B", "C"], "D")
    codes = np.array(list(REASON_STATEMENTS))
    picks = rng.integers(0, len(codes), size=(rows, 2))
    reasons = [list(codes[p]) if not ok else [] for p, ok in zip(picks, approved, strict=True)]
    return pd.DataFrame(
        {
            "sex": sex,
            "age_band": pd.Categorical(age, categories=list(AGE_BANDS), ordered=True),
            "national_origin": origin,
            "score": score.round(),
            "approved": approved,
            "y_good": y_good,
            "outcome": np.where(approved, "approved", "declined"),
            "risk_tier": tier,
            "reason_codes": reasons,
        }
    )


def example_adverse_action_notice(ledger_head: LedgerHead = EXAMPLE_LEDGER_HEAD):
    """A declined personal-loan application with a score disclosure and a reporting agency."""
    return AdverseActionNotice(
        creditor=Party(
            "Riverside Community Lending",
            ["100 Main Street, Suite 400", "Springfield, IL 62701"],
            "(217) 555-0100",
        ),
        supervising_agency=Party(
            "Consumer Financial Protection Bureau", ["1700 G Street NW", "Washington, DC 20552"]
        ),
        applicant_name="Jordan Sample",
        applicant_address_lines=["42 Elm Avenue", "Springfield, IL 62704"],
        application_ref="APP-2026-000123",
        notice_date=date(2026, 3, 2),
        action="declined",
        reasons=[Reason(code, REASON_STATEMENTS[code]) for code in ("R01", "R02", "R05")],
        generated_at=GENERATED_AT,
        ledger_head=ledger_head,
        product="personal loan",
        requested_amount=Decimal("5000.00"),
        requested_term_months=36,
        credit_score=CreditScoreDisclosure(
            score=512,
            range_min=300,
            range_max=850,
            created_on=date(2026, 3, 1),
            source="Riverside Community Lending application scorecard, version 3",
            key_factors=[
                Reason("F01", "Checking account balance"),
                Reason("F02", "Requested loan term"),
                Reason("F05", "Savings account balance"),
            ],
        ),
        consumer_reporting_agency=Party(
            "Example Credit Bureau", ["PO Box 1000", "Atlanta, GA 30348"], "1-800-555-0199"
        ),
    )


def _bins(rows: list[tuple[str, int, float, float, float]], total: int) -> list[BinRow]:
    overall_bad = 0.3
    out = []
    for label, count, bad_rate, woe, points in rows:
        share = count / total
        iv = (share * (1 - bad_rate) / (1 - overall_bad) - share * bad_rate / overall_bad) * woe
        out.append(BinRow(label, count, share, bad_rate, woe, round(iv, 4), points))
    return out


def example_model_validation_input(
    ledger_head: LedgerHead = EXAMPLE_LEDGER_HEAD, seed: int = 0
) -> ModelValidationInput:
    """A validation report input with synthetic out-of-fold arrays and a fairness audit."""
    rng = np.random.default_rng(seed)
    n = 1000
    y_bad = (rng.random(n) < 0.3).astype(int)
    score = np.round(rng.normal(560, 45, n) - 52 * y_bad)
    pd_hat = 1 / (1 + np.exp((score - 520) / 35))
    checking = _bins(
        [
            ("no checking account", 394, 0.117, 1.176, 62.0),
            ("< 0 DM", 274, 0.493, -0.818, 21.5),
            ("0 <= ... < 200 DM", 269, 0.390, -0.401, 30.1),
            (">= 200 DM", 63, 0.222, 0.405, 46.2),
        ],
        n,
    )
    duration = _bins(
        [
            ("[4, 12)", 180, 0.167, 0.762, 55.3),
            ("[12, 24)", 411, 0.270, 0.147, 42.6),
            ("[24, 36)", 227, 0.357, -0.260, 34.2),
            ("[36, 72]", 182, 0.451, -0.651, 26.1),
        ],
        n,
    )
    history = _bins(
        [
            ("critical / other credits elsewhere", 293, 0.171, 0.733, 54.0),
            ("existing credits paid back duly", 530, 0.319, -0.088, 37.9),
            ("delay in paying off in the past", 88, 0.318, -0.085, 38.0),
            ("no credits / all paid back duly", 89, 0.584, -1.190, 18.4),
        ],
        n,
    )
    frame = synthetic_decisions(n, seed)
    audit = audit_fairness(frame, attributes=AUDIT_ATTRIBUTES, n_boot=200, seed=seed)
    return ModelValidationInput(
        model_name="german-credit-scorecard",
        model_version="v3",
        purpose=(
            "Application scorecard estimating the probability that a new personal loan defaults; "
            "used to approve, decline or refer applications and to state the principal reasons "
            "for adverse action."
        ),
        generated_at=GENERATED_AT,
        ledger_head=ledger_head,
        data=DataSummary(
            source="Statlog German Credit Data (UCI), 1,000 applications",
            rows=n,
            bad_rate=float(y_bad.mean()),
            sha256="6bb0ea0e066f3fdb8f1b815644be1b8fc5be9dffb99dc3ef3cbd268967f247ba",
            period_start=date(1973, 1, 1),
            period_end=date(1975, 12, 31),
        ),
        characteristics=[
            Characteristic("checking_account_status", checking),
            Characteristic("duration_months", duration),
            Characteristic("credit_history", history),
        ],
        performance=PerformanceSummary(
            auc=0.791,
            gini=0.582,
            ks=0.452,
            cv_auc_mean=0.788,
            cv_auc_std=0.021,
            cv_folds=5,
            holdout_auc=0.776,
        ),
        y_bad=y_bad.tolist(),
        score=score.tolist(),
        probability_of_default=pd_hat.tolist(),
        fairness_audit=audit,
        limitations=[
            "The development sample is small (1,000 applications) and decades old; bad rates "
            "in current applications may differ.",
            "Outcomes exist only for approved applications; declined applicants' performance "
            "is not observed (reject inference was not applied).",
            "Protected attributes are used only for the fairness audit, never as features.",
        ],
        prepared_by=Signatory("Model Development", "Credit risk analytics", date(2026, 2, 20)),
        cutoffs=[Cutoff("low (approve)", 580.0), Cutoff("medium (refer)", 540.0)],
        monitoring_plan=monitoring_plan(),
        benchmarks=[
            BenchmarkRow("riskdesk scorecard", "this model's training path", 0.8007, 0.0178,
                         0.480),
            BenchmarkRow("optbinning defaults", "default binning and regression", 0.7950,
                         0.0221, 0.465),
            BenchmarkRow("one-hot logistic regression", "categories one-hot", 0.7867, 0.0216,
                         0.441),
            BenchmarkRow("gradient boosting", "default settings", 0.7989, 0.0290, 0.466),
        ],
        stability=_example_stability(score, rng),
        counter_intuitive=[
            CounterIntuitive("credit_history", "existing credits paid back duly", 530, 0.319,
                             "critical / other credits elsewhere", 293, 0.171,
                             "A clean repayment record is safer than a critical account.",
                             "The development lender granted loans to applicants with a "
                             "troubled history only with strong compensating factors."),
            CounterIntuitive("checking_account_status", ">= 200 DM", 63, 0.222,
                             "no checking account", 394, 0.117,
                             "A positive balance is safer than no account."),
        ],
        expectations_version="example-1",
    )


def _example_stability(score: np.ndarray, rng: np.random.Generator) -> Stability:
    """Deciles of the example scores: the first 700 rows against a shifted remainder."""
    development, comparison = score[:700], score[700:] + rng.normal(6, 4, len(score) - 700)
    edges = np.quantile(development, np.linspace(0, 1, 11))
    edges[0], edges[-1] = -np.inf, np.inf
    e = np.histogram(development, edges)[0] / len(development)
    a = np.histogram(comparison, edges)[0] / len(comparison)
    bins = [StabilityBin(f"[{lo:.0f}, {hi:.0f})", float(ei), float(ai),
                         float((ai - ei) * np.log(ai / ei)))
            for lo, hi, ei, ai in zip(edges[:-1], edges[1:], e, a, strict=True)]
    return Stability("hold-out sample", len(development), len(comparison),
                     sum(b.psi for b in bins), bins,
                     [CharacteristicStability("checking_account_status", 0.012),
                      CharacteristicStability("duration_months", 0.131),
                      CharacteristicStability("credit_history", 0.004)])


def example_compliance_input(
    rows: int = 20_000, ledger_head: LedgerHead = EXAMPLE_LEDGER_HEAD, n_boot: int = 200
) -> ComplianceReportInput:
    """A quarterly compliance report input aggregated from ``rows`` synthetic decisions."""
    frame = synthetic_decisions(rows, seed=1)
    summary = summarise_decisions(frame, reason_statements=REASON_STATEMENTS, top_n=6)
    audit = audit_fairness(
        frame, attributes=AUDIT_ATTRIBUTES, intersections=[("sex", "age_band")], n_boot=n_boot
    )
    start = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    overrides = [
        OverrideRow(
            decision_id=f"DEC-{100_231 + 97 * i}",
            from_outcome="declined" if i % 2 else "approved",
            to_outcome="approved" if i % 2 else "declined",
            by_role="credit officer" if i % 4 else "credit committee",
            reason="Verified additional income not captured in the application"
            if i % 2
            else "Recent delinquency confirmed with the applicant's bank",
            at=start + timedelta(days=7 * i, hours=i),
        )
        for i in range(8)
    ]
    verification = LedgerVerification(
        ok=True, events=ledger_head.seq, head_seq=ledger_head.seq, head_hash=ledger_head.hash
    )
    checkpoint = SignedCheckpoint(
        seq=ledger_head.seq,
        hash=ledger_head.hash,
        signed_at="2026-03-31T23:59:59.000000Z",
        signature="W+E4" * 21 + "AA==",
        public_key_fingerprint="0c7d" * 16,
    )
    return ComplianceReportInput(
        lender_name="Riverside Community Lending",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        generated_at=GENERATED_AT,
        ledger_head=ledger_head,
        decisions_by_outcome=summary.by_outcome,
        decisions_by_tier=summary.by_tier,
        overrides=overrides,
        top_reasons=summary.top_reasons,
        ledger_verification=verification,
        checkpoint=checkpoint,
        fairness_audit=audit,
        override_total=len(overrides),
    )


__all__ = [
    "EXAMPLE_LEDGER_HEAD",
    "REASON_STATEMENTS",
    "example_adverse_action_notice",
    "example_compliance_input",
    "example_model_validation_input",
    "synthetic_decisions",
]
