import pytest

from risk_models.compiled import CharacteristicScore, ScorecardBin, ScoreResult
from risk_models.default_model import default_training_frame
from risk_models.reasons import ReasonCatalog, principal_reasons


@pytest.fixture(scope="module")
def catalog():
    return ReasonCatalog.bundled()


def _values_of(characteristic, scorecard_bin, observed):
    """Every value the bin can hold: its categories, or the training values inside it."""
    if scorecard_bin.kind != "regular":
        return [None]
    if characteristic.kind == "categorical":
        return list(scorecard_bin.categories)
    lower = -float("inf") if scorecard_bin.lower is None else scorecard_bin.lower
    upper = float("inf") if scorecard_bin.upper is None else scorecard_bin.upper
    return [v for v in observed if lower <= v < upper]


def test_every_bin_of_the_bundled_model_has_a_specific_statement(training_result, catalog):
    frame, _ = default_training_frame()  # derived characteristics included
    for characteristic in training_result.compiled.characteristics:
        observed = sorted(set(frame[characteristic.name]))
        for index, scorecard_bin in enumerate(characteristic.bins):
            for value in _values_of(characteristic, scorecard_bin, observed):
                statement = catalog.statement(
                    characteristic.name, scorecard_bin, index, value, characteristic.kind
                )
                assert statement.specific, (characteristic.name, scorecard_bin.label, value)


def _scored(name, points, best, value, kind="categorical", scorecard_bin=None):
    scorecard_bin = scorecard_bin or ScorecardBin(
        label=str(value), points=points, woe=0.0, categories=(str(value),)
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


def test_statement_names_the_applicants_own_category(catalog):
    reason = principal_reasons(
        _result(_scored("checking_account_status", 10, 60, "< 0 DM")), catalog
    )[0]
    assert reason.statement == "Checking account balance below 0"


def test_long_term_statement_is_worded_from_the_bin(catalog):
    long_term = ScorecardBin(label=">= 35.5", points=10, woe=0.0, lower=35.5, upper=None)
    reason = principal_reasons(
        _result(_scored("duration_months", 10, 60, 48, "numerical", long_term)), catalog
    )[0]
    assert reason.statement == "Requested loan term of 36 months or more"


def test_unknown_characteristic_falls_back_to_a_template_naming_the_bin(catalog):
    band = ScorecardBin(label="[0.5, 0.8)", points=10, woe=0.0, lower=0.5, upper=0.8)
    reason = principal_reasons(
        _result(_scored("utilisation", 10, 40, 0.6, "numerical", band)), catalog
    )[0]
    assert (reason.code, reason.statement) == ("RC-UTILISATION-01", "Utilisation: [0.5, 0.8)")


def test_knockout_reasons_have_codes_and_fill_their_details(catalog):
    reason = catalog.knockout_reason("KO-DTI", cap="40%")
    assert (reason.code, reason.kind) == ("KO-DTI", "knockout")
    assert "40%" in reason.statement
