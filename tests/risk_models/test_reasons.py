import dataclasses
import math
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pytest

from risk_models.artifact import ScorecardBin
from risk_models.default_model import default_training_frame
from risk_models.features import derive_characteristics
from risk_models.policy import DEFAULT_CURRENCIES, CurrencyRule
from risk_models.reasons import (
    MoneyContext,
    ReasonCatalog,
    neutral_points,
    principal_reasons,
    round_outwards,
)
from risk_models.scorer import CharacteristicScore, CompiledScorer, ScoreResult
from tests.risk_models.conftest import AS_OF, make_application

EUR = MoneyContext("EUR", DEFAULT_CURRENCIES["EUR"])
RATE = EUR.rule.to_model_unit
MONEY_CHARACTERISTICS = {"credit_amount", "amount_per_month"}
# Internal units, formulas and internal names a statement must never show.
FORBIDDEN = re.compile(
    r"\bDM\b|\bband\b|\btimes\b|×|characteristic|equivalent|\d\.\d{3,}|\[|<|>=",
    re.IGNORECASE,
)
AMOUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?) EUR")


@pytest.fixture(scope="module")
def catalog():
    return ReasonCatalog.bundled()


# --- The bundled scorecard: sign convention and neutral points ---------------------------------


def test_points_rise_linearly_with_woe_and_woe_zero_is_the_missing_bins_points(training_result):
    for characteristic in training_result.compiled.characteristics:
        neutral = neutral_points(characteristic)
        regular = characteristic.regular_bins
        slope = (regular[0].points - regular[-1].points) / (regular[0].woe - regular[-1].woe)
        assert slope > 0, characteristic.name  # more WoE (lower risk), more points
        for scorecard_bin in characteristic.bins:
            assert scorecard_bin.points == pytest.approx(neutral + slope * scorecard_bin.woe)
        missing = characteristic.bins[characteristic.missing_index]
        assert (missing.woe, missing.points) == (0.0, pytest.approx(neutral))


# --- Every bin of the bundled scorecard ----------------------------------------------------------


def _money_values(scorecard_bin):
    """EUR amounts (whole cents) whose model-unit value falls in the bin, and those values."""
    lower = None if scorecard_bin.lower is None else Decimal(repr(scorecard_bin.lower)) / RATE
    upper = None if scorecard_bin.upper is None else Decimal(repr(scorecard_bin.upper)) / RATE
    low = lower if lower is not None else Decimal(1)
    high = upper if upper is not None else low * 3
    cents = Decimal("0.01")
    candidates = {
        low.quantize(cents, rounding=ROUND_CEILING),
        ((low + high) / 2).quantize(cents),
        high.quantize(cents, rounding=ROUND_FLOOR) - cents,
    }
    for eur in sorted(candidates):
        value = float(eur * RATE)
        if _inside(scorecard_bin, value):
            yield eur, value


def _inside(scorecard_bin, value):
    return (scorecard_bin.lower is None or value >= scorecard_bin.lower) and (
        scorecard_bin.upper is None or value < scorecard_bin.upper
    )


def _numeric_values(scorecard_bin, integer):
    low = scorecard_bin.lower if scorecard_bin.lower is not None else scorecard_bin.upper / 4
    high = scorecard_bin.upper if scorecard_bin.upper is not None else scorecard_bin.lower * 2
    values = [low, (low + high) / 2, high - 1e-6]
    if integer:
        values = [math.ceil(low), math.ceil(high) - 1]
    return [v for v in values if _inside(scorecard_bin, v)]


def _representatives(characteristic, scorecard_bin):
    """(applicant value, its amount in EUR or None) for values in the bin."""
    if characteristic.kind == "categorical":
        return [(category, None) for category in scorecard_bin.categories]
    if characteristic.name in MONEY_CHARACTERISTICS:
        return [(value, eur) for eur, value in _money_values(scorecard_bin)]
    integer = characteristic.name == "duration_months"
    return [(value, None) for value in _numeric_values(scorecard_bin, integer)]


def _amounts(statement):
    return [Decimal(a.replace(",", "")) for a in AMOUNT.findall(statement)]


def _assert_amounts_hold(statement, eur):
    amounts = _amounts(statement)
    assert amounts, statement
    # Whole euros, at most two significant figures.
    assert all(a == a.to_integral_value() and len(str(a).rstrip("0")) <= 2 for a in amounts)
    if "to under" in statement:
        assert amounts[0] <= eur < amounts[1], (statement, eur)
    elif "or more" in statement:
        assert eur >= amounts[0], (statement, eur)
    else:
        assert re.search(r"\b(below|under)\b", statement), statement
        assert eur < amounts[0], (statement, eur)


def _assert_months_hold(statement, months):
    numbers = [int(n) for n in re.findall(r"\d+", statement)]
    if "or less" in statement:
        assert months <= numbers[0]
    elif "or more" in statement:
        assert months >= numbers[0]
    else:
        assert numbers[0] <= months <= numbers[1]


def _only(characteristic, index, value):
    scored = CharacteristicScore(
        characteristic=characteristic.name,
        kind=characteristic.kind,
        value=value,
        bin_index=index,
        scorecard_bin=characteristic.bins[index],
        best_points=characteristic.best_points,
    )
    return ScoreResult(score=0.0, probability_of_default=0.5, breakdown=(scored,),
                       artifact_sha256="x")


def test_every_bin_is_a_reason_only_when_it_works_against_the_applicant_and_says_so_in_eur(
    training_result, catalog
):
    scorecard = training_result.compiled
    checked = 0
    for characteristic in scorecard.characteristics:
        entry = catalog.table["characteristics"][characteristic.name]
        for index, scorecard_bin in enumerate(characteristic.bins):
            if scorecard_bin.kind != "regular":
                continue
            representatives = _representatives(characteristic, scorecard_bin)
            assert representatives, (characteristic.name, scorecard_bin.label)
            for value, eur in representatives:
                reasons = principal_reasons(
                    _only(characteristic, index, value), catalog, money=EUR, scorecard=scorecard
                )
                statement = catalog.statement(
                    characteristic.name, scorecard_bin, index, value, characteristic.kind,
                    money=EUR,
                )
                # Above-average risk (WoE < 0: points below neutral, as checked above) and a
                # category the catalogue does not mark favourable.
                can_be_reason = scorecard_bin.woe < 0 and statement.adverse
                if not can_be_reason:
                    assert reasons == [], (characteristic.name, value)
                    continue
                checked += 1
                [reason] = reasons
                assert reason.statement == statement.text
                assert statement.specific and reason.code.startswith(entry["code"] + "-")
                assert not FORBIDDEN.search(reason.statement), reason.statement
                if characteristic.name in MONEY_CHARACTERISTICS:
                    _assert_amounts_hold(reason.statement, eur)
                elif characteristic.name == "duration_months":
                    _assert_months_hold(reason.statement, value)
                else:
                    # Balances: the very thresholds the features classify against.
                    thresholds = {EUR.rule.checking_threshold, *EUR.rule.savings_thresholds}
                    assert set(_amounts(reason.statement)) <= thresholds, reason.statement
    assert checked > 20


def test_every_value_in_the_training_data_has_a_specific_statement(training_result, catalog):
    frame, _ = default_training_frame()  # derived characteristics included
    for characteristic in training_result.compiled.characteristics:
        for value in sorted(set(frame[characteristic.name].dropna())):
            index = next(
                i for i, b in enumerate(characteristic.bins)
                if b.kind == "regular" and (value in b.categories or (
                    characteristic.kind == "numerical" and _inside(b, value)))
            )
            statement = catalog.statement(
                characteristic.name, characteristic.bins[index], index, value,
                characteristic.kind, money=EUR,
            )
            assert statement.specific, (characteristic.name, value)


def test_no_statement_in_the_catalogue_shows_internal_units_or_formulas(catalog):
    table = catalog.table
    texts = []
    for entry in table["characteristics"].values():
        for group in ("categories", "values"):
            texts += [found["statement"] for found in entry.get(group, {}).values()]
        texts += list(entry.get("ranges", {}).values())
        texts += [entry["missing"], entry["special"], entry["title"]]
    for templates in table["knockouts"].values():
        texts += [templates] if isinstance(templates, str) else templates
    texts += list(table["underwriter"].values())
    for text in texts:
        assert not FORBIDDEN.search(text), text


# --- Eligibility and ranking ---------------------------------------------------------------------


def _scored(name, points, best, value, kind="categorical", scorecard_bin=None, woe=-0.5):
    scorecard_bin = scorecard_bin or ScorecardBin(
        label=str(value), points=points, woe=woe, categories=(str(value),)
    )
    return CharacteristicScore(
        characteristic=name,
        kind=kind,
        value=value,
        bin_index=0,
        scorecard_bin=scorecard_bin,
        best_points=best,
    )


def _result(*breakdown):
    return ScoreResult(
        score=0.0, probability_of_default=0.5, breakdown=breakdown, artifact_sha256="x"
    )


def test_reasons_rank_by_points_lost_and_stop_at_four(catalog):
    result = _result(
        _scored("housing", 20, 30, "rent"),
        _scored("checking_account_status", 10, 60, "< 0 DM"),
        _scored("purpose", 30, 50, "business"),
        _scored("telephone", 33, 35, "none"),
        _scored("savings_account", 25, 50, "< 100 DM"),
    )
    codes = [r.code for r in principal_reasons(result, catalog)]
    assert codes == ["RC-CHK-01", "RC-SAV-02", "RC-PUR-09", "RC-HOU-02"]


def test_ties_are_broken_by_characteristic_name(catalog):
    result = _result(_scored("housing", 20, 30, "rent"), _scored("telephone", 25, 35, "none"))
    assert [r.characteristic for r in principal_reasons(result, catalog)] == [
        "housing",
        "telephone",
    ]


def test_a_characteristic_in_its_best_bin_is_never_a_reason(catalog):
    assert principal_reasons(_result(_scored("housing", 30, 30, "own")), catalog) == []


def test_a_bin_of_average_or_lower_risk_is_never_a_reason(catalog):
    result = _result(
        _scored("housing", 20, 30, "rent", woe=0.0),
        _scored("checking_account_status", 43, 60, ">= 200 DM or salary assigned >= 1 year",
                woe=0.4),
    )
    assert principal_reasons(result, catalog) == []


def test_a_missing_bin_is_never_a_reason(training_result, scorer, catalog):
    scored = scorer.score_applicant({})  # every characteristic missing
    assert all(c.points_below_best > 0 for c in scored.breakdown)
    assert principal_reasons(scored, catalog, scorecard=training_result.compiled) == []


def test_a_category_marked_favourable_is_never_a_reason(catalog):
    duly = "existing credits paid back duly till now"
    assert principal_reasons(_result(_scored("credit_history", 10, 48, duly)), catalog) == []
    delayed = _scored("credit_history", 10, 48, "delay in paying off in the past")
    assert [r.code for r in principal_reasons(_result(delayed), catalog)] == ["RC-HIS-04"]


def test_with_the_scorecard_eligibility_is_points_below_the_neutral_points(
    training_result, catalog
):
    # Points that fall as WoE rises (points = 30 - 20 * woe): only the points tell what worked
    # against the applicant; without the scorecard the bin's WoE stands in for them.
    bins = (
        ScorecardBin("business", points=40.0, woe=-0.5, categories=("business",)),
        ScorecardBin("car (new)", points=35.0, woe=-0.25, categories=("car (new)",)),
        ScorecardBin("education", points=25.0, woe=0.25, categories=("education",)),
        ScorecardBin("repairs", points=20.0, woe=0.5, categories=("repairs",)),
        ScorecardBin("Special", points=30.0, woe=0.0, kind="special"),
        ScorecardBin("Missing", points=30.0, woe=0.0, kind="missing"),
    )
    purpose = dataclasses.replace(
        next(c for c in training_result.compiled.characteristics if c.name == "purpose"),
        bins=bins,
    )
    scorecard = dataclasses.replace(training_result.compiled, characteristics=(purpose,))
    assert neutral_points(purpose) == pytest.approx(30.0)
    new_car = _result(_scored("purpose", 35.0, 40.0, "car (new)", scorecard_bin=bins[1]))
    repairs = _result(_scored("purpose", 20.0, 40.0, "repairs", scorecard_bin=bins[3]))
    assert principal_reasons(new_car, catalog, scorecard=scorecard) == []
    assert [r.code for r in principal_reasons(repairs, catalog, scorecard=scorecard)] == [
        "RC-PUR-06"
    ]
    assert [r.code for r in principal_reasons(new_car, catalog)] == ["RC-PUR-01"]


# --- Statements in the applicant's currency ------------------------------------------------------


def test_checking_statement_quotes_the_threshold_the_balance_was_classified_against(
    default_policy, scorer, training_result, catalog
):
    document = make_application(
        crm__checking_balance=Decimal("99.99"), crm__salary_assigned_since=None
    )
    derivation = derive_characteristics(document, as_of=AS_OF, policy=default_policy)
    scored = scorer.score_applicant(derivation.characteristics)
    reasons = principal_reasons(
        scored, catalog, limit=20, money=MoneyContext.of(default_policy, "EUR"),
        scorecard=training_result.compiled,
    )
    checking = next(r for r in reasons if r.characteristic == "checking_account_status")
    assert checking.statement.startswith("Checking account balance below 100 EUR")


def test_statements_follow_the_applicants_currency_and_its_own_thresholds(catalog):
    money = MoneyContext(
        "CHF",
        CurrencyRule(
            to_model_unit=Decimal("2"),
            min_amount=Decimal(1),
            max_amount=Decimal(100000),
            checking_threshold=Decimal("120"),
            savings_thresholds=(Decimal("60"), Decimal("300"), Decimal("600")),
        ),
    )
    low_savings = _scored("savings_account", 10, 50, "100 <= ... < 500 DM")
    large = ScorecardBin(label=">= 7839.5", points=10, woe=-1.0, lower=7839.5)
    amount = _scored("credit_amount", 10, 60, 9000.0, "numerical", large)
    statements = [r.statement for r in principal_reasons(_result(low_savings, amount), catalog,
                                                         money=money)]
    # 7839.5 model units at 2 per CHF is 3919.75 CHF: rounded down to 3,900.
    assert statements == ["Requested amount of 3,900 CHF or more",
                          "Savings of only 60 CHF to under 300 CHF"]


def test_long_term_statement_is_worded_from_the_bin(catalog):
    long_term = ScorecardBin(label=">= 35.5", points=10, woe=-0.5, lower=35.5, upper=None)
    reason = principal_reasons(
        _result(_scored("duration_months", 10, 60, 48, "numerical", long_term)), catalog
    )[0]
    assert reason.statement == "Length of the requested loan term: 36 months or more"


@pytest.mark.parametrize(
    ("name", "lower", "upper", "expected"),
    [
        ("amount_per_month", 358.4343414, None,
         "Large monthly repayment of the amount requested: 180 EUR or more a month over the "
         "term, before interest"),
        ("installment_income_capacity", None, 14.28645849,
         "Small amount repaid per month for the share of disposable income the repayment takes"),
        ("term_burden", 123.0, None,
         "Very long repayment period for the share of income the monthly repayment takes"),
    ],
)
def test_derived_characteristics_have_plain_adverse_statements(
    catalog, name, lower, upper, expected
):
    band = ScorecardBin(label="x", points=10, woe=-0.7, lower=lower, upper=upper)
    value = (lower or upper) + (1 if lower else -1)
    [reason] = principal_reasons(
        _result(_scored(name, 10, 50, value, "numerical", band)), catalog, money=EUR
    )
    assert reason.statement == expected


@pytest.mark.parametrize(
    ("amount", "up", "expected"),
    [
        ("488.03", False, "480"),
        ("488.03", True, "490"),
        ("4008.27", False, "4000"),
        ("4008.27", True, "4100"),
        ("183.26", False, "180"),
        ("3.2", True, "4"),
        ("2000", True, "2000"),
    ],
)
def test_range_bounds_round_outwards_to_two_significant_figures(amount, up, expected):
    assert round_outwards(Decimal(amount), up=up) == Decimal(expected)


def test_money_has_thousands_separators_and_cents_only_when_there_are_any():
    assert EUR.format(Decimal("12345")) == "12,345 EUR"
    assert EUR.format(Decimal("1234.5")) == "1,234.50 EUR"


def test_unknown_characteristic_falls_back_to_a_template_naming_the_bin(catalog):
    band = ScorecardBin(label="[0.5, 0.8)", points=10, woe=-0.5, lower=0.5, upper=0.8)
    reason = principal_reasons(
        _result(_scored("utilisation", 10, 40, 0.6, "numerical", band)), catalog
    )[0]
    assert (reason.code, reason.statement) == ("RC-UTILISATION-01", "Utilisation: [0.5, 0.8)")


# --- Both sides of a valley (or peak) ------------------------------------------------------------


def _amount_scorecard(training_result, woes):
    """The bundled scorecard with only a credit amount binned < 1000, [1000, 8000), >= 8000 DM,
    of these WoEs (points = 30 + 20 * WoE)."""
    regular = [
        ScorecardBin("< 1000", points=30 + 20 * woes[0], woe=woes[0], upper=1000.0),
        ScorecardBin("[1000, 8000)", points=30 + 20 * woes[1], woe=woes[1], lower=1000.0,
                     upper=8000.0),
        ScorecardBin(">= 8000", points=30 + 20 * woes[2], woe=woes[2], lower=8000.0),
    ]
    amount = dataclasses.replace(
        next(c for c in training_result.compiled.characteristics if c.name == "credit_amount"),
        bins=(*regular, ScorecardBin("Special", points=30.0, woe=0.0, kind="special"),
              ScorecardBin("Missing", points=30.0, woe=0.0, kind="missing")),
        splits=(1000.0, 8000.0),
    )
    return dataclasses.replace(training_result.compiled, characteristics=(amount,))


def _amount_reasons(scorecard, amount_in_model_unit, catalog):
    scored = CompiledScorer(scorecard).score_applicant({"credit_amount": amount_in_model_unit})
    return [(r.code, r.statement)
            for r in principal_reasons(scored, catalog, money=EUR, scorecard=scorecard)]


def test_each_side_of_a_valley_is_a_reason_naming_its_own_range(training_result, catalog):
    valley = _amount_scorecard(training_result, (-0.6, 0.4, -0.8))
    # 1000 DM is 511.29 EUR (shown rounded up) and 8000 DM 4090.33 EUR (rounded down).
    assert _amount_reasons(valley, 500.0, catalog) == [
        ("RC-AMT-01", "Requested amount below 520 EUR")]
    assert _amount_reasons(valley, 9000.0, catalog) == [
        ("RC-AMT-03", "Requested amount of 4,000 EUR or more")]
    assert _amount_reasons(valley, 3000.0, catalog) == []


def test_the_middle_of_a_peak_is_a_reason_naming_its_range_and_the_sides_are_not(
    training_result, catalog
):
    peak = _amount_scorecard(training_result, (0.5, -0.7, 0.3))
    assert _amount_reasons(peak, 3000.0, catalog) == [
        ("RC-AMT-02", "Requested amount of 510 EUR to under 4,100 EUR")]
    assert _amount_reasons(peak, 500.0, catalog) == []
    assert _amount_reasons(peak, 9000.0, catalog) == []


def test_the_bundled_amount_valley_gives_small_and_large_loans_their_own_reason(
    training_result, scorer, catalog
):
    assert training_result.trends["credit_amount"] == "valley"
    amount = next(c for c in training_result.compiled.characteristics
                  if c.name == "credit_amount")
    smallest, *_, largest = amount.regular_bins
    assert smallest.woe < 0 and largest.woe < 0  # both ends riskier than average
    small, large = smallest.upper / 2, largest.lower * 1.5
    reasons = {}
    for value in (small, large):
        scored = scorer.score_applicant({"credit_amount": value})
        [reason] = principal_reasons(scored, catalog, money=EUR,
                                     scorecard=training_result.compiled)
        reasons[value] = reason.statement
    eur_small, eur_large = Decimal(repr(small)) / RATE, Decimal(repr(large)) / RATE
    assert reasons[small].startswith("Requested amount below ")
    assert eur_small < _amounts(reasons[small])[0]
    assert reasons[large].startswith("Requested amount of ")
    assert reasons[large].endswith(" or more")
    assert eur_large >= _amounts(reasons[large])[0]
    best = max(amount.regular_bins, key=lambda b: b.points)
    middle = scorer.score_applicant({"credit_amount": (best.lower + best.upper) / 2})
    assert principal_reasons(middle, catalog, money=EUR, scorecard=training_result.compiled) == []


# --- Retirement and study ------------------------------------------------------------------------


def _decision_inputs(default_policy, scorer, **changes):
    document = make_application(**changes)
    derivation = derive_characteristics(document, as_of=AS_OF, policy=default_policy)
    return derivation, scorer.score_applicant(derivation.characteristics)


def test_retired_and_student_applicants_score_alike_and_neutrally(
    default_policy, scorer, training_result, catalog
):
    unemployed = _decision_inputs(default_policy, scorer, kyc__employment__status="unemployed")[1]
    retired_derivation, retired = _decision_inputs(
        default_policy, scorer, kyc__employment__status="retired"
    )
    student = _decision_inputs(default_policy, scorer, kyc__employment__status="student")[1]
    assert retired.score == student.score
    assert retired_derivation.characteristics["employment_since"] is None
    assert retired_derivation.characteristics["job"] is None
    scorecard = training_result.compiled
    by_name = {c.name: c for c in scorecard.characteristics}
    for breakdown in (retired.breakdown, student.breakdown):
        for scored in breakdown:
            if scored.characteristic in ("employment_since", "job"):
                neutral = neutral_points(by_name[scored.characteristic])
                assert scored.points == pytest.approx(neutral)
    employment = {c.characteristic: c.points for c in unemployed.breakdown}["employment_since"]
    assert employment < neutral_points(by_name["employment_since"])
    assert retired.score > unemployed.score
    reasons = principal_reasons(retired, catalog, limit=20, scorecard=scorecard)
    assert not {r.characteristic for r in reasons} & {"employment_since", "job"}


# --- Knock-outs and underwriters' reasons --------------------------------------------------------


KNOCKOUT_CODES = ("KO-AGE", "KO-KYC-ID", "KO-KYC-ADDRESS", "KO-KYC-EMPLOYMENT", "KO-KYC-DOB",
                  "KO-SANCTIONS-MATCH", "KO-SANCTIONS-REVIEW", "KO-INCOME", "KO-DTI")
DETAILS = {"cap": "40%", "currency": "EUR", "monthly_payment": Decimal("512.34"),
           "max_monthly_payment": Decimal("400.00"), "minimum_age": 18}


@pytest.mark.parametrize("code", KNOCKOUT_CODES)
def test_every_knockout_has_a_statement_with_or_without_details(catalog, code):
    minimal = {"cap": "40%"} if code == "KO-DTI" else {}
    for details in (DETAILS, minimal):
        reason = catalog.knockout_reason(code, **details)
        assert reason.kind == "knockout" and "{" not in reason.statement


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("KO-KYC-ID", "national identity number not provided"),
        ("KO-KYC-ADDRESS", "address not provided"),
        ("KO-KYC-DOB", "date of birth not provided"),
        ("KO-KYC-EMPLOYMENT", "employment status not provided"),
        ("KO-INCOME", "income not provided"),
        ("KO-AGE", "under 18"),
    ],
)
def test_knockouts_say_what_is_missing_or_wrong(catalog, code, says):
    assert says in catalog.knockout_reason(code, **DETAILS).statement


def test_dti_knockout_gives_the_cap_and_the_monthly_figures_when_passed(catalog):
    reason = catalog.knockout_reason("KO-DTI", **DETAILS)
    assert (reason.code, reason.kind) == ("KO-DTI", "knockout")
    assert reason.statement == (
        "Monthly payment on this loan of 512.34 EUR is more than the 400 EUR that keeps all "
        "debt payments within 40% of monthly income, the most we allow"
    )
    assert catalog.knockout_reason("KO-DTI", cap=Decimal("0.40")).statement == (
        "Payments on this loan and existing debts would exceed 40% of monthly income, "
        "the most we allow"
    )


def test_underwriter_reasons_are_listed_and_looked_up_by_code(catalog):
    codes = catalog.underwriter_codes()
    assert len(codes) >= 10 and all(code.startswith("UW-") for code in codes)
    assert {"UW-INCOME-UNVERIFIED", "UW-OBLIGATIONS-EXCESSIVE", "UW-CREDIT-HISTORY"} <= set(codes)
    reason = catalog.underwriter_reason("UW-OBLIGATIONS-EXCESSIVE")
    assert (reason.kind, reason.statement) == (
        "underwriter", "Excessive obligations in relation to income"
    )
    assert all("{" not in catalog.underwriter_reason(code).statement for code in codes)


def test_an_unknown_underwriter_code_raises_key_error(catalog):
    with pytest.raises(KeyError):
        catalog.underwriter_reason("UW-NOT-A-REASON")


def test_the_catalogue_version_records_the_changed_statements(catalog):
    assert catalog.version == "2026.1"
