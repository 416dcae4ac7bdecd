import dataclasses
import hashlib

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from risk_models.columns import ProtectedFeatureError
from risk_models.early_warning import behavioural
from risk_models.early_warning.behavioural import (
    BEHAVIOURAL_CHARACTERISTICS,
    BEHAVIOURAL_PARAMS,
    BEHAVIOURAL_TARGET,
    PROTECTED,
    TRAINED_CHARACTERISTICS,
    as_of,
    characteristics_from_cycles,
    load_taiwan,
    taiwan_cycles,
    taiwan_path,
    train_behavioural,
    training_frame,
    wide_characteristics,
)
from risk_models.early_warning.history import Cycle
from risk_models.scorer import CompiledScorer

TAIWAN_SHA256 = "263ebe35e1c6ebbe988a79a4c207ac7c090e7dd89787bf6f18692877c67d6b76"
SAMPLE_ROWS = 3000
# One round of 3-fold CV keeps the shared training run to a few seconds.
QUICK = dataclasses.replace(BEHAVIOURAL_PARAMS, cv_folds=3, cv_repeats=1)


@pytest.fixture(scope="module")
def taiwan() -> pd.DataFrame:
    return load_taiwan()


@pytest.fixture(scope="module")
def taiwan_sample(taiwan) -> pd.DataFrame:
    sample, _ = train_test_split(taiwan, train_size=SAMPLE_ROWS, stratify=taiwan["default"],
                                 random_state=0)
    return sample


@pytest.fixture(scope="module")
def sample_result(taiwan_sample):
    return train_behavioural(taiwan_sample, benchmarks=False, params=QUICK)


def cycle(period, balance, paid, days_past_due=0, limit=10_000.0, due=None):
    return Cycle(period=period, balance=balance, paid=paid, days_past_due=days_past_due,
                 limit=limit, due=due)


# Seven cycles, so the six-month window leaves out the first (a bad month that must not count).
HISTORY = [
    cycle("2025-01", 9_000.0, 0.0, days_past_due=90),
    cycle("2025-02", 2_000.0, 1_000.0, due=9_000.0),
    cycle("2025-03", 3_000.0, 0.0, days_past_due=30, due=2_000.0),
    cycle("2025-04", 4_000.0, 500.0, days_past_due=60, due=3_000.0),
    cycle("2025-05", 2_500.0, 2_000.0, due=4_000.0),
    cycle("2025-06", 5_000.0, 0.0, days_past_due=30, due=2_500.0),
    cycle("2025-07", 6_000.0, 1_000.0, due=5_000.0),
]
EXPECTED = {
    "months_on_book": 7.0,
    "credit_limit": 10_000.0,
    "days_past_due_now": 0.0,
    "worst_days_past_due_6m": 60.0,
    "months_delinquent_6m": 3.0,
    "missed_payments_6m": 2.0,
    "utilisation_avg_6m": 22_500.0 / 6 / 10_000.0,
    "payment_ratio_now": 1_000.0 / 5_000.0,
    "payment_ratio_3m": 3_000.0 / 11_500.0,
    "payments_to_limit_3m": 3_000.0 / 10_000.0,
    "balance_trend": 6_000.0 / (16_500.0 / 5),
}


def wide_row(limit=20_000.0, balances=(), paid=(), statuses=(), months=6):
    """One wide row of ``months`` months, month 1 the most recent; months not given are
    missing."""
    row = {"limit": limit}
    for k in range(1, months + 1):
        row[f"balance_{k}"] = balances[k - 1] if k <= len(balances) else np.nan
        row[f"paid_{k}"] = paid[k - 1] if k <= len(paid) else np.nan
        row[f"status_{k}"] = statuses[k - 1] if k <= len(statuses) else np.nan
    return row


def per_account(frame: pd.DataFrame) -> pd.DataFrame:
    rows = [characteristics_from_cycles(taiwan_cycles(row)) for _, row in frame.iterrows()]
    return pd.DataFrame(rows, index=frame.index, columns=list(BEHAVIOURAL_CHARACTERISTICS),
                        dtype=float)


def blank_before(frame: pd.DataFrame, months: int) -> pd.DataFrame:
    """The frame with every month older than ``months`` missing."""
    blanked = frame.copy()
    for k in range(months + 1, 7):
        for prefix in ("balance", "paid", "status"):
            blanked[f"{prefix}_{k}"] = np.nan
    return blanked


def assert_same_characteristics(left: pd.DataFrame, right: pd.DataFrame) -> None:
    np.testing.assert_array_equal(left.isna().to_numpy(), right.isna().to_numpy())
    np.testing.assert_allclose(left.to_numpy(), right.to_numpy(), rtol=1e-9, atol=1e-9)


def test_bundled_csv_is_the_published_file():
    assert hashlib.sha256(taiwan_path().read_bytes()).hexdigest() == TAIWAN_SHA256


def test_load_taiwan_gives_the_wide_layout_with_protected_columns_aside(taiwan):
    layout = {"limit"} | {f"{p}_{k}" for p in ("balance", "paid", "status") for k in range(1, 7)}
    assert set(taiwan.columns) == layout | {BEHAVIOURAL_TARGET, *PROTECTED}
    assert (len(taiwan), int(taiwan["default"].sum())) == (30_000, 6_636)


def test_september_status_comes_from_pay_0(taiwan):
    # The first holder of the file: PAY_0 = 2, PAY_2 = 2, PAY_3 = -1.
    assert taiwan.loc[0, ["status_1", "status_2", "status_3"]].tolist() == [2, 2, -1]


def test_taiwan_cycles_maps_a_hand_written_row():
    row = wide_row(limit=50_000.0, balances=(900.0, -200.0, 3_000.0, 0.0, 1_500.0, 700.0),
                   paid=(0.0, 3_000.0, 100.0, 0.0, 700.0, 50.0), statuses=(2, -1, 1, -2, 0, 0))
    assert taiwan_cycles(row) == [
        Cycle("2005-04", 700.0, 50.0, 0, 50_000.0, None),
        Cycle("2005-05", 1_500.0, 700.0, 0, 50_000.0, 700.0),
        Cycle("2005-06", 0.0, 0.0, 0, 50_000.0, 1_500.0),
        Cycle("2005-07", 3_000.0, 100.0, 30, 50_000.0, 0.0),
        Cycle("2005-08", -200.0, 3_000.0, 0, 50_000.0, 3_000.0),
        Cycle("2005-09", 900.0, 0.0, 60, 50_000.0, 0.0),
    ]


def test_taiwan_cycles_end_at_the_first_missing_month_and_count_back_from_the_given_period():
    row = wide_row(balances=(100.0, 200.0), paid=(10.0, 20.0), statuses=(0, 0))
    cycles = taiwan_cycles(row, last_period="2006-01")
    assert [(c.period, c.due) for c in cycles] == [("2005-12", None), ("2006-01", 200.0)]


@pytest.mark.parametrize("name", BEHAVIOURAL_CHARACTERISTICS)
def test_characteristic_on_a_hand_built_history(name):
    assert characteristics_from_cycles(HISTORY)[name] == pytest.approx(EXPECTED[name])


def test_an_empty_history_has_no_month_on_book_and_nothing_else():
    expected = {**dict.fromkeys(BEHAVIOURAL_CHARACTERISTICS), "months_on_book": 0.0}
    assert characteristics_from_cycles([]) == expected


def test_an_instalment_loan_has_no_limit_based_characteristics():
    loan = [cycle("2025-01", 5_000.0, 0.0, limit=None),
            cycle("2025-02", 4_800.0, 200.0, limit=None, due=200.0)]
    values = characteristics_from_cycles(loan)
    limit_based = ("credit_limit", "utilisation_avg_6m", "payments_to_limit_3m")
    assert [values[name] for name in limit_based] == [None, None, None]


def test_nothing_due_gives_no_payment_ratio_and_no_missed_payment():
    values = characteristics_from_cycles([cycle("2025-01", -300.0, 0.0),
                                          cycle("2025-02", 0.0, 0.0, due=0.0)])
    assert (values["payment_ratio_now"], values["payment_ratio_3m"],
            values["missed_payments_6m"]) == (None, None, 0.0)


def test_a_credit_balance_gives_negative_utilisation_and_no_balance_trend():
    values = characteristics_from_cycles([cycle("2025-01", -300.0, 0.0),
                                          cycle("2025-02", 400.0, 0.0, due=0.0)])
    assert (values["utilisation_avg_6m"], values["balance_trend"]) == (pytest.approx(0.005), None)


@pytest.mark.parametrize("months", [6, 3, 1])
def test_wide_characteristics_agree_with_each_accounts_cycles(taiwan, months):
    rows = taiwan.sample(300, random_state=months)
    assert_same_characteristics(wide_characteristics(rows, months=months),
                                per_account(blank_before(rows, months)))


@pytest.mark.parametrize("months_back", [1, 2, 5, 6])
def test_wide_characteristics_agree_with_each_accounts_cycles_as_of_earlier_months(
        taiwan, months_back):
    rows = as_of(taiwan.sample(300, random_state=10 + months_back), months_back)
    assert_same_characteristics(wide_characteristics(rows), per_account(rows))


def test_wide_characteristics_agree_with_each_accounts_cycles_on_edge_cases():
    edge_cases = pd.DataFrame([
        # Nothing due (a zero then a negative statement), credit balances.
        wide_row(balances=(-50.0, 0.0, -400.0, 300.0), paid=(0.0, 0.0, 700.0, 0.0),
                 statuses=(-1, -2, -1, 0)),
        # No limit (an instalment loan).
        wide_row(limit=np.nan, balances=(900.0, 1_000.0, 1_100.0), paid=(100.0, 100.0, 0.0),
                 statuses=(0, 1, 0)),
        # A zero limit; every month delinquent and unpaid.
        wide_row(limit=0.0, balances=(3.0, 2.0, 1.0, 1.0, 1.0, 1.0), paid=(0.0,) * 6,
                 statuses=(6, 5, 4, 3, 2, 1)),
        # A single month, and no month at all.
        wide_row(balances=(10.0,), paid=(0.0,), statuses=(0,)),
        wide_row(),
    ])
    assert_same_characteristics(wide_characteristics(edge_cases), per_account(edge_cases))


def test_six_month_windows_hold_on_a_longer_table():
    # Months 7 and 8 are delinquent and unpaid: outside every window but months on book.
    row = wide_row(balances=(500.0,) * 8, paid=(500.0,) * 6 + (0.0, 0.0),
                   statuses=(0,) * 6 + (3, 2), months=8)
    frame = pd.DataFrame([row])
    characteristics = wide_characteristics(frame, months=8)
    assert characteristics.loc[0, ["months_on_book", "worst_days_past_due_6m",
                                   "months_delinquent_6m", "missed_payments_6m"]].tolist() == [
        8.0, 0.0, 0.0, 0.0]
    assert_same_characteristics(characteristics, per_account(frame))


def test_wide_characteristics_with_fewer_months_do_not_read_older_columns(taiwan):
    rows = taiwan.head(50)
    scrambled = rows.copy()
    scrambled[["balance_4", "paid_4", "status_4"]] = [1e9, 0.0, 8]
    pd.testing.assert_frame_equal(wide_characteristics(scrambled, months=3),
                                  wide_characteristics(rows, months=3))


def test_wide_characteristics_refuse_more_months_than_the_table_holds(taiwan):
    with pytest.raises(ValueError, match="between 1 and 6"):
        wide_characteristics(taiwan.head(), months=7)


def test_as_of_makes_an_earlier_month_the_most_recent():
    frame = pd.DataFrame([wide_row(balances=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0), paid=(0.0,) * 6,
                                   statuses=(0,) * 6)])
    shifted = as_of(frame, 2)
    assert shifted.loc[0, [f"balance_{k}" for k in range(1, 7)]].tolist()[:4] == [3, 4, 5, 6]
    assert shifted[["balance_5", "paid_6", "status_5"]].isna().all().all()


def test_as_of_never_reads_later_months(taiwan):
    rows = taiwan.head(200)
    changed = rows.copy()
    changed[["balance_1", "paid_1", "status_1", "balance_2", "paid_2", "status_2"]] = [
        5e5, 0.0, 8, 5e5, 0.0, 7]
    pd.testing.assert_frame_equal(wide_characteristics(as_of(changed, 2)),
                                  wide_characteristics(as_of(rows, 2)))


def test_as_of_reads_the_month_it_starts_from(taiwan):
    rows = taiwan.head(200)
    changed = rows.copy()
    changed["status_3"] = 8
    moved = wide_characteristics(as_of(changed, 2))["days_past_due_now"]
    assert (moved == 240).all()
    assert not wide_characteristics(as_of(rows, 2))["days_past_due_now"].eq(240).all()


def test_protected_columns_do_not_move_any_characteristic(taiwan_sample):
    varied = taiwan_sample.copy()
    varied["sex"] = 3 - varied["sex"]
    varied["age"] = varied["age"] + 30
    varied["marriage"] = 0
    varied["education"] = 0
    pd.testing.assert_frame_equal(wide_characteristics(varied),
                                  wide_characteristics(taiwan_sample))


def test_training_frame_keeps_protected_columns_beside_the_characteristics(taiwan_sample):
    table = training_frame(taiwan_sample)
    assert list(table.columns) == [*BEHAVIOURAL_CHARACTERISTICS, BEHAVIOURAL_TARGET, *PROTECTED]


def test_compiled_scorecard_uses_no_protected_column(sample_result):
    assert set(sample_result.compiled.features) <= set(TRAINED_CHARACTERISTICS)
    assert not set(sample_result.compiled.features) & set(PROTECTED)


def test_protected_columns_are_carried_only_for_audits(sample_result):
    assert set(PROTECTED) <= set(sample_result.oof_predictions.columns)
    assert sample_result.compiled.metadata["protected"] == list(PROTECTED)


@pytest.mark.parametrize("column", PROTECTED)
def test_asking_for_a_protected_column_is_refused(taiwan_sample, column):
    with pytest.raises(ProtectedFeatureError):
        train_behavioural(taiwan_sample, features=[*TRAINED_CHARACTERISTICS, column],
                          benchmarks=False)


def test_bundled_training_records_the_csv_sha256(monkeypatch):
    seen = {}

    def record(frame, **options):
        seen.update(options, rows=len(frame))

    monkeypatch.setattr(behavioural, "train_scorecard", record)
    train_behavioural()
    assert (seen["data_sha256"], seen["target"], seen["bad_value"], seen["rows"]) == (
        TAIWAN_SHA256, "default", 1, 30_000)


def test_training_on_a_sample_discriminates_well(sample_result):
    assert sample_result.metrics["cv_auc"] > 0.72


def test_compiled_scorer_scores_an_account_from_its_cycles(sample_result):
    scored = CompiledScorer(sample_result.compiled).score_applicant(
        characteristics_from_cycles(HISTORY))
    assert 0 < scored.probability_of_default < 1
    assert [c.characteristic for c in scored.breakdown] == sample_result.features


def test_a_worse_history_scores_a_higher_probability_of_default(sample_result):
    scorer = CompiledScorer(sample_result.compiled)
    months = [f"2005-{m:02d}" for m in range(4, 10)]
    kept_up = [cycle(p, 8_000.0, 8_000.0, limit=100_000.0, due=8_000.0) for p in months]
    falling_behind = [
        cycle(p, 19_000.0 + 100 * i, 0.0 if i >= 3 else 500.0, days_past_due=max(0, i - 2) * 30,
              limit=20_000.0, due=19_000.0 + 100 * (i - 1))
        for i, p in enumerate(months)
    ]
    good = scorer.score_applicant(characteristics_from_cycles(kept_up))
    bad = scorer.score_applicant(characteristics_from_cycles(falling_behind))
    assert bad.probability_of_default > good.probability_of_default
