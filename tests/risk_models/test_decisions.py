import json
from datetime import date
from decimal import Decimal

import pytest

from risk_models.decisions import (
    MAX_KEY_FACTORS,
    AdverseAction,
    OutsidePolicyError,
    decide_application,
    outcome_if_counteroffer_accepted,
)
from risk_models.document import ApplicationDocument
from risk_models.policy import Policy, choose_cutoffs
from risk_models.reasons import MAX_PRINCIPAL_REASONS, ReasonCatalog
from tests.risk_models.conftest import AS_OF, make_application


@pytest.fixture(scope="module")
def run(default_policy, scorer):
    def run_decision(policy=None, **changes):
        policy = policy or default_policy
        document = ApplicationDocument.model_validate(make_application(**changes))
        inputs = document.inputs(as_of=AS_OF, minimum_age=policy.minimum_age)
        return decide_application(inputs, scorer=scorer, policy=policy,
                                  catalog=ReasonCatalog.bundled(), as_of=AS_OF)

    return run_decision


def test_sound_application_is_a_clean_approval(run):
    decision = run()
    assert (decision.outcome, decision.risk_tier, decision.reasons) == ("approve", "low", ())
    assert decision.terms.terms.apr == Decimal("0.069") and decision.terms.affordable


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
    ("path", "code", "missing"),
    [
        ("kyc__national_id", "KO-KYC-ID", "kyc.national_id"),
        ("kyc__address", "KO-KYC-ADDRESS", "kyc.address"),
        ("kyc__monthly_income", "KO-INCOME", "kyc.monthly_income"),
    ],
)
def test_incomplete_application_is_referred_as_incomplete(run, path, code, missing):
    decision = run(**{path: None})
    assert decision.outcome == "refer"
    assert code in [k.code for k in decision.knockouts]
    assert decision.incomplete == (missing,)
    assert decision.adverse_action == AdverseAction.INCOMPLETE


def test_confirmed_sanctions_match_is_declined(run):
    decision = run(kyc__sanctions_screening__status="confirmed_match")
    assert (decision.outcome, decision.reasons[0].code) == ("decline", "KO-SANCTIONS-MATCH")


@pytest.mark.parametrize("status", ["potential_match", "not_screened"])
def test_unresolved_sanctions_screening_is_referred(run, status):
    assert run(kyc__sanctions_screening__status=status).outcome == "refer"


def test_knockout_on_a_good_score_gives_only_knockout_reasons(run):
    decision = run(kyc__sanctions_screening__status="potential_match")
    assert [r.kind for r in decision.reasons] == ["knockout"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"loan__term_months": 84}, "loan.term_months"),
    ({"loan__amount": Decimal("100")}, "loan.amount"),
    ({"loan__currency": "USD"}, "loan.currency"),
])
def test_request_outside_the_policy_limits_is_refused_not_declined(run, changes, field):
    with pytest.raises(OutsidePolicyError) as refused:
        run(**changes)
    assert [v.field for v in refused.value.violations] == [field]


def test_unaffordable_request_is_declined_with_a_longer_term_counteroffer(run):
    decision = run(
        loan__amount=Decimal("6000"),
        loan__term_months=12,
        kyc__monthly_income=Decimal("1500"),
        kyc__monthly_obligations=Decimal("200"),
    )
    assert decision.outcome == "decline"
    assert decision.adverse_action == AdverseAction.COUNTEROFFER
    assert "KO-DTI" in [k.code for k in decision.knockouts]
    offer = decision.counteroffer
    assert offer.terms.amount == Decimal("6000")
    assert offer.terms.term_months > 12
    assert offer.terms.monthly_payment <= Decimal("400") and offer.affordable is True


def test_max_affordable_amount_fits_the_dti_cap_at_the_tier_apr(run):
    decision = run(loan__amount=Decimal("6000"), loan__term_months=12,
                   kyc__monthly_income=Decimal("1500"), kyc__monthly_obligations=Decimal("200"))
    # 0.40 * 1,500 - 200 = 400.00 a month at the low tier's 6.9% over 12 months.
    rate = Decimal("0.069") / 12
    ceiling = Decimal("400.00") * (1 - (1 + rate) ** -12) / rate
    amount = decision.max_affordable_amount
    assert Decimal("0") < ceiling - amount < Decimal("0.02")


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
    assert decision.terms is None and decision.score_used
    assert 1 <= len(decision.reasons) <= MAX_PRINCIPAL_REASONS
    assert all(r.kind == "score" for r in decision.reasons)
    lost = [r.points_below_best for r in decision.reasons]
    assert lost == sorted(lost, reverse=True)
    assert decision.key_factors == decision.reasons[:MAX_KEY_FACTORS]


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


def test_a_counteroffer_under_the_cap_is_affordable_at_its_own_term(run):
    """3,000 EUR over 12 months costs more than the 200.00 cap; over 18 months it costs 175.92,
    under the cap: that offer is affordable, and its maximum is computed at 18 months."""
    decision = run(loan__amount=Decimal("3000"), loan__term_months=12,
                   kyc__monthly_income=Decimal("1000"), kyc__monthly_obligations=Decimal("200"))
    assert decision.risk_tier == "low"
    offer = decision.counteroffer
    assert (offer.terms.amount, offer.terms.term_months) == (Decimal("3000"), 18)
    assert offer.terms.monthly_payment == Decimal("175.92")
    assert offer.max_monthly_payment == Decimal("200.00")
    stored = decision.to_dict()["counteroffer"]
    assert stored["affordable"] is True
    rate = Decimal("0.069") / 12
    at_18 = Decimal("200.00") * (1 - (1 + rate) ** -18) / rate
    assert Decimal(0) <= at_18 - Decimal(stored["max_affordable_amount"]) < Decimal("0.02")
    assert Decimal(stored["max_affordable_amount"]) > Decimal("3000")


def test_obligations_at_or_above_income_are_declined_with_finite_figures(run):
    for obligations in (Decimal("3000"), Decimal("4500")):
        decision = run(kyc__monthly_income=Decimal("3000"), kyc__monthly_obligations=obligations)
        assert decision.outcome == "decline"
        assert decision.knockouts[-1].code == "KO-DTI" and decision.counteroffer is None
        record = decision.to_dict()
        json.dumps(record, allow_nan=False)
        assert record["terms"] is None


def test_an_accepted_counteroffer_takes_the_tiers_outcome(run):
    decision = run(loan__amount=Decimal("3000"), loan__term_months=12,
                   kyc__monthly_income=Decimal("1000"), kyc__monthly_obligations=Decimal("200"))
    assert outcome_if_counteroffer_accepted(decision.to_dict()) == "approve"
    referred = run(loan__amount=Decimal("3000"), loan__term_months=12,
                   kyc__monthly_income=Decimal("1000"), kyc__monthly_obligations=Decimal("200"),
                   kyc__sanctions_screening__status="potential_match")
    assert referred.counteroffer is not None
    assert outcome_if_counteroffer_accepted(referred.to_dict()) == "refer"


def test_a_knockout_decline_does_not_use_the_score(run):
    decision = run(kyc__sanctions_screening__status="confirmed_match")
    assert not decision.score_used and decision.key_factors == ()


def test_the_decision_records_its_reason_statements_version(run):
    assert run().reason_catalog_version == ReasonCatalog.bundled().version


def test_no_more_than_four_reasons_even_when_more_rules_fire(run):
    decision = run(kyc__national_id=None, kyc__address=None, kyc__monthly_income=None,
                   kyc__sanctions_screening__status="confirmed_match",
                   kyc__date_of_birth=date(2010, 1, 1), kyc__residence_start_date=date(2015, 1, 1),
                   kyc__employment__start_date=date(2024, 1, 1),
                   crm__checking_balance=Decimal("-100"), loan__term_months=60)
    assert len(decision.knockouts) > MAX_PRINCIPAL_REASONS
    assert len(decision.reasons) == MAX_PRINCIPAL_REASONS


def test_tier_assignment_is_one_rule_for_one_score_and_for_many(default_policy):
    import numpy as np

    rationale = default_policy.cutoff_rationale
    cuts = [rationale["approve_from_score"], rationale["decline_below_score"]]
    scores = np.array([c + d for c in cuts for d in (-0.001, 0.0, 0.001)] + [0.0, 900.0])
    one_by_one = [default_policy.tier_for(float(s)).name for s in scores]
    together = [default_policy.tiers[i].name for i in default_policy.tier_indices(scores)]
    assert one_by_one == together
    assert one_by_one[:3] == ["medium", "low", "low"] and one_by_one[-2:] == ["high", "low"]
