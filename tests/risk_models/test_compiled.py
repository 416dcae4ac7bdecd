import json

import numpy as np
import pandas as pd
import pytest

from risk_models.columns import characteristic_frame, plan_columns
from risk_models.compiled import CompiledScorecard, CompiledScorer
from risk_models.default_model import PROTECTED


@pytest.fixture(scope="module")
def training_rows(german_frame):
    plan = plan_columns(german_frame, target="outcome", protected=PROTECTED)
    return characteristic_frame(german_frame, plan)


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


def test_json_round_trip_keeps_the_artifact_hash(training_result):
    compiled = training_result.compiled
    assert (
        CompiledScorecard.from_json(compiled.to_json()).artifact_sha256 == compiled.artifact_sha256
    )


def test_json_is_canonical_sorted_and_compact(training_result):
    raw = training_result.compiled.to_json()
    assert (
        raw
        == json.dumps(
            json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    )


def test_artifact_records_features_params_data_hash_and_utc_training_time(training_result):
    metadata = json.loads(training_result.compiled.to_json())["metadata"]
    assert metadata["features"] == training_result.features
    assert metadata["data_sha256"] == training_result.data_sha256
    assert metadata["trained_at"].endswith("+00:00")
    assert metadata["params"]["base_score"] == 600


def test_from_json_refuses_a_document_of_another_format(training_result):
    payload = json.loads(training_result.compiled.to_json())
    payload["format"] = "pickle"
    with pytest.raises(ValueError, match="format"):
        CompiledScorecard.from_json(json.dumps(payload))


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


def test_best_points_is_the_maximum_over_regular_bins(training_result):
    for characteristic in training_result.compiled.characteristics:
        assert characteristic.best_points == max(b.points for b in characteristic.regular_bins)


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
