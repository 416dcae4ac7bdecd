import json
from datetime import date
from decimal import Decimal

import pytest

from risk_models.features import derive_characteristics
from risk_models.policy import Policy, choose_cutoffs, decide
from tests.risk_models.conftest import AS_OF, make_application


@pytest.fixture(scope="module")
def run(default_policy, scorer):
    def run_decision(policy=None, **changes):
        policy = policy or default_policy
        document = make_application(**changes)
        derivation = derive_characteristics(document, as_of=AS_OF, policy=policy)
        result = scorer.score_applicant(derivation.characteristics)
        return decide(policy, result, derivation, document, AS_OF)

    return run_decision


def test_sound_application_is_a_clean_approval(run):
    decision = run()
    assert (decision.outcome, decision.risk_tier, decision.reasons) == ("approve", "low", ())
    assert decision.terms.apr == Decimal("0.069")


def test_protected_attributes_never_change_the_decision(run):
    base = run().to_dict()
    changed = run(
        monitoring__sex="male", monitoring__nationality="TR", kyc__date_of_birth=date(1950, 1, 1)
    ).to_dict()
    assert changed == base


def test_protected_attributes_never_change_a_declined_decision(run):
    risky = {
        "crm__checking_balance": Decimal("-100"),
        "loan__term_months": 60,
        "bureau__credit_history": "all_paid_at_this_bank",
        "crm__savings_balance": Decimal("10"),
        "loan__purpose": "education",
    }
    base = run(**risky).to_dict()
    changed = run(monitoring=None, kyc__date_of_birth=date(2001, 2, 3), **risky).to_dict()
    assert changed == base


def test_minor_is_declined_for_legal_capacity(run):
    decision = run(kyc__date_of_birth=date(2007, 7, 1))
    assert decision.outcome == "decline"
    assert [k.code for k in decision.knockouts] == ["KO-AGE"]


def test_applicant_turning_eighteen_today_has_capacity(run):
    assert run(kyc__date_of_birth=date(2007, 6, 30)).outcome == "approve"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("kyc__national_id", "KO-KYC-ID"),
        ("kyc__address", "KO-KYC-ADDRESS"),
        ("kyc__employment__status", "KO-KYC-EMPLOYMENT"),
        ("kyc__monthly_income", "KO-INCOME"),
    ],
)
def test_incomplete_application_is_referred(run, path, code):
    decision = run(**{path: None})
    assert decision.outcome == "refer"
    assert code in [k.code for k in decision.knockouts]


def test_confirmed_sanctions_match_is_declined(run):
    decision = run(kyc__sanctions_screening__status="confirmed_match")
    assert (decision.outcome, decision.reasons[0].code) == ("decline", "KO-SANCTIONS-MATCH")


@pytest.mark.parametrize("status", ["potential_match", "not_screened"])
def test_unresolved_sanctions_screening_is_referred(run, status):
    assert run(kyc__sanctions_screening__status=status).outcome == "refer"


def test_knockout_on_a_good_score_gives_only_knockout_reasons(run):
    decision = run(kyc__sanctions_screening__status="potential_match")
    assert [r.kind for r in decision.reasons] == ["knockout"]


def test_term_outside_policy_is_declined(run):
    assert "KO-TERM" in [k.code for k in run(loan__term_months=84).knockouts]


def test_unaffordable_request_is_declined_with_a_longer_term_counteroffer(run):
    decision = run(
        loan__amount=Decimal("6000"),
        loan__term_months=12,
        kyc__monthly_income=Decimal("1500"),
        kyc__monthly_obligations=Decimal("200"),
    )
    assert decision.outcome == "decline"
    assert "KO-DTI" in [k.code for k in decision.knockouts]
    assert decision.counteroffer.amount == Decimal("6000")
    assert decision.counteroffer.term_months > 12
    assert decision.counteroffer.monthly_payment <= Decimal("400")


def test_max_affordable_amount_fits_the_dti_cap_at_the_tier_apr(run):
    decision = run(loan__amount=Decimal("6000"), loan__term_months=12,
                   kyc__monthly_income=Decimal("1500"), kyc__monthly_obligations=Decimal("200"))
    # 0.40 * 1,500 - 200 = 400.00 a month at the low tier's 6.9% over 12 months.
    rate = Decimal("0.069") / 12
    ceiling = Decimal("400.00") * (1 - (1 + rate) ** -12) / rate
    amount = decision.max_affordable_amount
    assert Decimal("0") < ceiling - amount < Decimal("0.02")
    assert decision.to_dict()["max_affordable_amount"] == str(amount)


def test_max_affordable_amount_is_unknown_without_income(run):
    assert run(kyc__monthly_income=None).max_affordable_amount is None


def test_poor_score_is_declined_with_score_reasons(run):
    decision = run(
        crm__checking_balance=Decimal("-100"),
        loan__term_months=60,
        loan__amount=Decimal("9000"),
        bureau__credit_history="all_paid_at_this_bank",
        crm__savings_balance=Decimal("10"),
        loan__purpose="education",
        kyc__monthly_income=Decimal("20000"),
    )
    assert (decision.outcome, decision.risk_tier) == ("decline", "high")
    assert decision.terms is None
    # Largest losses first: amount, history, purpose, term (salary paid in keeps checking high;
    # the term's weight is shared with the derived term burden since the scorecard has both).
    assert [r.code for r in decision.reasons] == [
        "RC-AMT-07",
        "RC-HIS-02",
        "RC-PUR-07",
        "RC-DUR-07",
    ]


def test_decision_records_model_and_policy_versions(run, default_policy, scorer):
    decision = run()
    assert decision.policy_version == default_policy.version
    assert decision.policy_sha256 == default_policy.sha256
    assert decision.model_artifact_sha256 == scorer.artifact_sha256


def test_decision_is_json_safe(run):
    json.dumps(run(loan__amount=Decimal("9000"), loan__term_months=12).to_dict())


def test_policy_round_trips_through_canonical_json(default_policy):
    reloaded = Policy.from_json(default_policy.to_json())
    assert reloaded.sha256 == default_policy.sha256


def test_default_cutoffs_leave_a_referral_band(default_policy):
    rationale = default_policy.cutoff_rationale
    assert rationale["decline_below_score"] < rationale["approve_from_score"]


def test_tiers_follow_the_cutoffs(default_policy):
    rationale = default_policy.cutoff_rationale
    assert default_policy.tier_for(rationale["approve_from_score"]).name == "low"
    assert default_policy.tier_for(rationale["approve_from_score"] - 0.01).name == "medium"
    assert default_policy.tier_for(rationale["decline_below_score"] - 0.01).name == "high"


def test_cutoffs_sit_between_the_qualifying_score_bands():
    bands = [
        {"min_score": 0, "max_score": 10, "bad_rate": 0.6},
        {"min_score": 12, "max_score": 20, "bad_rate": 0.3},
        {"min_score": 22, "max_score": 30, "bad_rate": 0.1},
    ]
    assert choose_cutoffs(bands, approve_max_bad_rate=0.15, decline_min_bad_rate=0.5) == (11, 21)
