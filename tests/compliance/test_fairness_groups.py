"""Protected-group helpers: age bands, sex and national origin labels."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from compliance.fairness import (
    age_band,
    age_band_on,
    age_bands,
    german_protected_groups,
    marital_status_from_personal_status,
    national_origin_from_foreign_worker,
    sex_from_personal_status,
)


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (18, "under 25"),
        (24.99, "under 25"),
        (25, "25-39"),
        (39, "25-39"),
        (40, "40-59"),
        (59, "40-59"),
        (60, "60 and over"),
        (91, "60 and over"),
    ],
)
def test_age_band_edges(age, band):
    assert age_band(age) == band


@pytest.mark.parametrize("age", [-1, float("nan"), float("inf")])
def test_age_band_rejects_impossible_ages(age):
    with pytest.raises(ValueError):
        age_band(age)


def test_age_band_on_counts_the_birthday_itself():
    assert age_band_on(date(2001, 3, 2), date(2026, 3, 1)) == "under 25"
    assert age_band_on(date(2001, 3, 2), date(2026, 3, 2)) == "25-39"


def test_age_band_on_rejects_as_of_before_birth():
    with pytest.raises(ValueError):
        age_band_on(date(2000, 1, 1), date(1999, 12, 31))


def test_age_bands_vectorised_matches_scalar_and_keeps_missing():
    ages = pd.Series([19, 25, 45, 72, None])
    bands = age_bands(ages)
    assert list(bands[:4]) == [age_band(a) for a in (19, 25, 45, 72)]
    assert pd.isna(bands.iloc[4])
    assert list(bands.cat.categories) == ["under 25", "25-39", "40-59", "60 and over"]


@pytest.mark.parametrize(
    ("label", "sex"),
    [
        ("female : divorced/separated/married", "female"),
        ("male : single", "male"),
        ("male : married/widowed", "male"),
        (" Male : divorced/separated", "male"),
    ],
)
def test_sex_from_personal_status(label, sex):
    assert sex_from_personal_status(label) == sex


def test_sex_from_personal_status_rejects_unknown_labels():
    with pytest.raises(ValueError):
        sex_from_personal_status("unknown")


def test_national_origin_from_foreign_worker():
    assert national_origin_from_foreign_worker("yes") == "foreign"
    assert national_origin_from_foreign_worker(" No ") == "domestic"
    with pytest.raises(ValueError):
        national_origin_from_foreign_worker("maybe")


def test_german_protected_groups_derives_four_columns():
    raw = pd.DataFrame(
        {
            "personal_status_sex": ["female : divorced/separated/married", "male : single"],
            "age_years": [22, 67],
            "foreign_worker": ["yes", "no"],
        }
    )
    groups = german_protected_groups(raw)
    assert groups.astype(str).to_dict("list") == {
        "sex": ["female", "male"],
        "marital_status": ["divorced/separated/married", "single"],
        "age_band": ["under 25", "60 and over"],
        "national_origin": ["foreign", "domestic"],
    }


def test_marital_status_is_the_datas_own_group():
    assert marital_status_from_personal_status("male : married/widowed") == "married/widowed"
    with pytest.raises(ValueError):
        marital_status_from_personal_status("male")
