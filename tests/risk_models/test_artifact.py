"""The compiled scorecard's artifact: canonical JSON that round-trips with its hash."""

import json

import pytest

from risk_models.artifact import CompiledScorecard


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


def test_best_points_is_the_maximum_over_regular_bins(training_result):
    for characteristic in training_result.compiled.characteristics:
        assert characteristic.best_points == max(b.points for b in characteristic.regular_bins)
