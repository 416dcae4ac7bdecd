"""The compiled scorer reproduces optbinning; batch scoring bins every value as one row does."""

import json

import numpy as np
import pandas as pd
import pytest

from risk_models import scorer as scorer_module
from risk_models.artifact import (
    CATEGORICAL,
    MISSING,
    NUMERICAL,
    SPECIAL,
    Characteristic,
    CompiledScorecard,
    ScorecardBin,
    ScoreScaling,
)
from risk_models.columns import characteristic_frame, plan_columns
from risk_models.default_model import PROTECTED, default_training_frame
from risk_models.scorer import KEY_SAMPLE_ROWS, CompiledScorer

# Enough rows for the batch scorer to sample a text column for its string objects.
LARGE_BATCH = KEY_SAMPLE_ROWS * 16


@pytest.fixture(scope="module")
def training_rows():
    frame, _ = default_training_frame()
    plan = plan_columns(frame, target="outcome", protected=PROTECTED)
    return characteristic_frame(frame, plan)


@pytest.fixture(scope="module")
def optbinning_figures(training_result, training_rows):
    estimator = training_result.estimator
    return estimator.score(training_rows), estimator.predict_proba(training_rows)[:, 1]


@pytest.fixture(scope="module")
def reloaded_scorer(training_result):
    return CompiledScorer(CompiledScorecard.from_json(training_result.compiled.to_json()))


def test_batch_scores_reproduce_optbinning_for_every_training_row(
    reloaded_scorer, training_rows, optbinning_figures
):
    score, probability = optbinning_figures
    batch = reloaded_scorer.score_batch(training_rows)
    assert np.max(np.abs(batch["score"].to_numpy() - score)) < 1e-6
    assert np.max(np.abs(batch["probability_of_default"].to_numpy() - probability)) < 1e-9


def test_single_applicant_scores_reproduce_optbinning_for_every_training_row(
    reloaded_scorer, training_rows, optbinning_figures
):
    score, probability = optbinning_figures
    results = [reloaded_scorer.score_applicant(row) for row in training_rows.to_dict("records")]
    assert max(abs(r.score - s) for r, s in zip(results, score, strict=True)) < 1e-6
    assert (
        max(abs(r.probability_of_default - p) for r, p in zip(results, probability, strict=True))
        < 1e-9
    )


def test_probability_of_default_follows_exactly_from_the_score(scorer, training_rows):
    result = scorer.score_applicant(training_rows.iloc[0].to_dict())
    scaling = scorer.scorecard.scaling
    assert scaling.probability_of_default(result.score) == pytest.approx(
        result.probability_of_default, abs=1e-12
    )


def test_base_score_is_worth_the_base_odds(scorer):
    scaling = scorer.scorecard.scaling
    assert scaling.probability_of_default(600) == pytest.approx(1 / 51)
    assert scaling.probability_of_default(620) == pytest.approx(1 / 101)


def test_unseen_category_is_scored_in_the_missing_bin(scorer, training_rows):
    row = training_rows.iloc[0].to_dict()
    row["purpose"] = "space travel"
    scored = {c.characteristic: c for c in scorer.score_applicant(row).breakdown}
    assert scored["purpose"].bin_label == "Missing"


def test_absent_characteristic_is_scored_in_the_missing_bin(scorer, training_rows):
    row = training_rows.iloc[0].to_dict()
    del row["duration_months"]
    scored = {c.characteristic: c for c in scorer.score_applicant(row).breakdown}
    assert scored["duration_months"].bin_label == "Missing"


def test_batch_and_single_agree_on_unseen_and_missing_values(scorer, training_rows):
    rows = training_rows.iloc[:3].copy()
    rows.loc[rows.index[0], "purpose"] = "space travel"
    rows.loc[rows.index[1], "duration_months"] = np.nan
    batch = scorer.score_batch(rows)["score"].to_numpy()
    single = [scorer.score_applicant(r).score for r in rows.to_dict("records")]
    assert batch == pytest.approx(single, abs=1e-9)


def test_numerical_bins_are_closed_below_and_open_above(scorer):
    duration = next(c for c in scorer.scorecard.characteristics if c.name == "duration_months")
    edge = duration.splits[0]
    below = scorer.score_applicant({"duration_months": edge - 1e-9}).breakdown
    at_edge = scorer.score_applicant({"duration_months": edge}).breakdown
    index = [c.characteristic for c in below].index("duration_months")
    assert (below[index].bin_index, at_edge[index].bin_index) == (0, 1)


def test_batch_accepts_a_mapping_of_arrays(scorer, training_rows):
    columns = {name: training_rows[name].to_numpy() for name in training_rows.columns}
    frame_scores = scorer.score_batch(training_rows)["score"].to_numpy()
    assert scorer.score_batch(columns)["score"].to_numpy() == pytest.approx(frame_scores)


def test_score_result_is_json_safe(scorer, training_rows):
    json.dumps(scorer.score_applicant(training_rows.iloc[0].to_dict()).to_dict())


def test_scoring_a_frame_with_string_dtype_matches_object_dtype(scorer, training_rows):
    as_strings = training_rows.copy()
    for column in as_strings.select_dtypes(include="object"):
        as_strings[column] = as_strings[column].astype(pd.StringDtype())
    assert scorer.score_batch(as_strings)["score"].to_numpy() == pytest.approx(
        scorer.score_batch(training_rows)["score"].to_numpy()
    )


def test_category_dtype_columns_score_like_text_columns(scorer, training_rows):
    encoded = training_rows.astype(dict.fromkeys(training_rows.select_dtypes("object"), "category"))
    encoded.loc[encoded.index[0], "purpose"] = np.nan
    expected = training_rows.copy()
    expected.loc[expected.index[0], "purpose"] = None
    assert scorer.score_batch(encoded)["score"].to_numpy() == pytest.approx(
        scorer.score_batch(expected)["score"].to_numpy()
    )


def _single_scores(scorer, frame):
    return np.array([scorer.score_applicant(r).score for r in frame.to_dict("records")])


def test_batch_scores_are_the_very_floats_single_scoring_adds_up(scorer, training_rows):
    batch = scorer.score_batch(training_rows)["score"].to_numpy()
    assert np.array_equal(batch, _single_scores(scorer, training_rows))


def _fresh_text(rows: pd.DataFrame) -> pd.DataFrame:
    """The same text in new string objects, one per cell, as a JSON decoder would give."""
    fresh = rows.copy()
    for column in fresh.select_dtypes(include="object"):
        fresh[column] = ["".join(list(v)) if isinstance(v, str) else v for v in fresh[column]]
    return fresh


@pytest.mark.parametrize("shared_objects", [True, False])
def test_large_text_batch_matches_single_scoring_with_unseen_and_missing_values(
    scorer, training_rows, shared_objects
):
    rows = pd.concat([training_rows] * -(-LARGE_BATCH // len(training_rows)), ignore_index=True)
    rows.loc[::7, "purpose"] = "space travel"
    rows.loc[::11, "housing"] = None
    rows.loc[::13, "savings_account"] = np.nan
    rows.loc[::17, "duration_months"] = np.nan
    if not shared_objects:
        rows = _fresh_text(rows)
    batch = scorer.score_batch(rows)["score"].to_numpy()
    sample = rows.iloc[::97]
    assert np.array_equal(batch[::97], _single_scores(scorer, sample))


def test_batch_without_pandas_object_hash_table_scores_the_same(scorer, training_rows, monkeypatch):
    rows = pd.concat([training_rows] * -(-LARGE_BATCH // len(training_rows)), ignore_index=True)
    rows.loc[::7, "purpose"] = "space travel"
    expected = scorer.score_batch(rows).to_numpy()
    monkeypatch.setattr(scorer_module, "_ObjectHashTable", None)
    assert np.array_equal(scorer.score_batch(rows).to_numpy(), expected)


def _card_with_special_codes() -> CompiledScorecard:
    def bins(regular):
        return (
            *regular,
            ScorecardBin(label="Special", points=25.0, woe=0.1, kind=SPECIAL),
            ScorecardBin(label="Missing", points=20.0, woe=0.2, kind=MISSING),
        )

    amount = Characteristic(
        name="amount",
        kind=NUMERICAL,
        coefficient=-0.8,
        splits=(10.0, 20.0),
        special_codes=(-999,),
        bins=bins(
            (
                ScorecardBin(label="< 10", points=40.0, woe=-0.5, upper=10.0),
                ScorecardBin(label="[10, 20)", points=30.0, woe=0.0, lower=10.0, upper=20.0),
                ScorecardBin(label=">= 20", points=10.0, woe=0.7, lower=20.0),
            )
        ),
    )
    colour = Characteristic(
        name="colour",
        kind=CATEGORICAL,
        coefficient=-1.1,
        special_codes=("withheld",),
        bins=bins(
            (
                ScorecardBin(label="red", points=35.0, woe=-0.3, categories=("red",)),
                ScorecardBin(
                    label="green, blue", points=15.0, woe=0.4, categories=("green", "blue")
                ),
            )
        ),
    )
    return CompiledScorecard(
        characteristics=(amount, colour),
        intercept=-1.0,
        scaling=ScoreScaling(base_score=600.0, base_odds=50.0, pdo=20.0),
    )


@pytest.mark.parametrize("colour_dtype", [object, "category", pd.StringDtype()])
@pytest.mark.parametrize("n_rows", [9, LARGE_BATCH])
def test_batch_bins_special_codes_edges_and_missing_values_like_single_scoring(
    colour_dtype, n_rows
):
    scorer = CompiledScorer(_card_with_special_codes())
    amounts = [-999.0, 9.999, 10.0, 19.5, 20.0, np.inf, -np.inf, np.nan, 15.0]
    colours = ["red", "withheld", "green", "blue", None, "violet", "red", "blue", "withheld"]
    rows = pd.DataFrame(
        {
            "amount": (amounts * n_rows)[:n_rows],
            "colour": pd.Series((colours * n_rows)[:n_rows], dtype=colour_dtype),
        }
    )
    batch = scorer.score_batch(rows)
    single = [scorer.score_applicant(r) for r in rows.iloc[:9].to_dict("records")]
    assert np.array_equal(batch["score"].to_numpy()[:9], [r.score for r in single])
    assert batch["probability_of_default"].to_numpy()[:9] == pytest.approx(
        [r.probability_of_default for r in single], rel=1e-12
    )
    labels = [[c.bin_label for c in r.breakdown] for r in single]
    assert labels[:2] == [["Special", "red"], ["< 10", "Special"]]
    assert [r[0] for r in labels[2:8]] == [
        "[10, 20)",
        "[10, 20)",
        ">= 20",
        ">= 20",
        "< 10",
        "Missing",
    ]
    assert [r[1] for r in labels[2:6]] == ["green, blue", "green, blue", "Missing", "Missing"]


@pytest.mark.parametrize("dtype", ["int64", "Int64", "Float64", object])
def test_numerical_columns_of_any_numeric_dtype_score_like_floats(dtype):
    scorer = CompiledScorer(_card_with_special_codes())
    amounts = [5, 10, 25, -999]
    rows = pd.DataFrame({"amount": pd.Series(amounts, dtype=dtype), "colour": "red"})
    floats = pd.DataFrame({"amount": np.array(amounts, dtype=float), "colour": "red"})
    assert np.array_equal(
        scorer.score_batch(rows)["score"].to_numpy(), scorer.score_batch(floats)["score"].to_numpy()
    )
