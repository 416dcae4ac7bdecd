"""Protected-group labels used by fairness audits: age bands, sex, marital status and national
origin.

These derive audit groups from application data; they are never model features.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

AGE_BANDS: tuple[str, ...] = ("under 25", "25-39", "40-59", "60 and over")
_AGE_EDGES = (25, 40, 60)


def age_band(age_years: float) -> str:
    """Return the audit age band for an age in whole or fractional years.

    Parameters
    ----------
    age_years : float
        Age in years; must be a finite, non-negative number.

    Returns
    -------
    str
        One of ``AGE_BANDS``: 'under 25', '25-39', '40-59' or '60 and over'.

    Raises
    ------
    ValueError
        If the age is missing, negative or not finite.
    """
    if age_years is None or not math.isfinite(age_years) or age_years < 0:
        raise ValueError(f"age must be a finite non-negative number, got {age_years!r}")
    for band, edge in zip(AGE_BANDS, _AGE_EDGES, strict=False):
        if age_years < edge:
            return band
    return AGE_BANDS[-1]


def age_in_years(date_of_birth: date, as_of: date) -> int:
    """Return the completed years of age on ``as_of``.

    Parameters
    ----------
    date_of_birth : datetime.date
        The applicant's date of birth.
    as_of : datetime.date
        The date on which age is measured (for example the application date).

    Returns
    -------
    int
        Completed years; a birthday on ``as_of`` counts as completed.

    Raises
    ------
    ValueError
        If ``as_of`` is before ``date_of_birth``.
    """
    if as_of < date_of_birth:
        raise ValueError("as_of is before the date of birth")
    before_birthday = (as_of.month, as_of.day) < (date_of_birth.month, date_of_birth.day)
    return as_of.year - date_of_birth.year - int(before_birthday)


def age_band_on(date_of_birth: date, as_of: date) -> str:
    """Return the audit age band of someone born on ``date_of_birth``, measured on ``as_of``.

    Parameters
    ----------
    date_of_birth : datetime.date
        The applicant's date of birth.
    as_of : datetime.date
        The date on which age is measured.

    Returns
    -------
    str
        One of ``AGE_BANDS``.
    """
    return age_band(age_in_years(date_of_birth, as_of))


def age_bands(ages: pd.Series) -> pd.Series:
    """Vectorised :func:`age_band`: an ordered categorical, missing ages stay missing.

    Parameters
    ----------
    ages : pandas.Series
        Ages in years.

    Returns
    -------
    pandas.Series
        Ordered categorical with categories ``AGE_BANDS`` (so reports list bands by age).
    """
    numeric = pd.to_numeric(ages, errors="coerce")
    if (numeric < 0).any():
        raise ValueError("ages must be non-negative")
    edges = [0, *_AGE_EDGES, math.inf]
    bands = pd.cut(numeric, bins=edges, right=False, labels=list(AGE_BANDS))
    return bands.astype(pd.CategoricalDtype(list(AGE_BANDS), ordered=True))


def sex_from_personal_status(label: str) -> str:
    """Return 'female' or 'male' from the German credit data's ``personal_status_sex`` label.

    Parameters
    ----------
    label : str
        A label such as ``'female : divorced/separated/married'`` or ``'male : single'``.

    Returns
    -------
    str
        'female' or 'male'.

    Raises
    ------
    ValueError
        If the label does not start with 'female' or 'male' before the colon.
    """
    sex = str(label).split(":", 1)[0].strip().lower()
    if sex not in ("female", "male"):
        raise ValueError(f"cannot derive sex from {label!r}")
    return sex


def marital_status_from_personal_status(label: str) -> str:
    """Return the marital status part of a ``personal_status_sex`` label, as the data gives it.

    Parameters
    ----------
    label : str
        A label such as ``'male : married/widowed'``.

    Returns
    -------
    str
        The text after the colon (``'married/widowed'``): the data's own groups, which mix
        statuses Regulation B keeps apart, so they are audited as they are, not re-mapped.

    Raises
    ------
    ValueError
        If the label has no marital status part.
    """
    parts = str(label).split(":", 1)
    status = parts[1].strip().lower() if len(parts) == 2 else ""
    if not status:
        raise ValueError(f"cannot derive marital status from {label!r}")
    return status


def national_origin_from_foreign_worker(flag: str) -> str:
    """Return 'foreign' or 'domestic' from the German credit data's ``foreign_worker`` flag.

    Parameters
    ----------
    flag : str
        'yes' or 'no' (case and surrounding spaces are ignored).

    Returns
    -------
    str
        'foreign' for 'yes', 'domestic' for 'no'.

    Raises
    ------
    ValueError
        For any other value.
    """
    value = str(flag).strip().lower()
    if value == "yes":
        return "foreign"
    if value == "no":
        return "domestic"
    raise ValueError(f"foreign_worker must be 'yes' or 'no', got {flag!r}")


def german_protected_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """Derive ``sex``, ``marital_status``, ``age_band`` and ``national_origin`` from
    German-credit-shaped columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        Must hold ``personal_status_sex``, ``age_years`` and ``foreign_worker``.

    Returns
    -------
    pandas.DataFrame
        Same index, columns ``sex``, ``marital_status``, ``age_band`` (ordered categorical) and
        ``national_origin``.
    """
    return pd.DataFrame(
        {
            "sex": frame["personal_status_sex"].map(sex_from_personal_status),
            "marital_status": frame["personal_status_sex"].map(
                marital_status_from_personal_status),
            "age_band": age_bands(frame["age_years"]),
            "national_origin": frame["foreign_worker"].map(national_origin_from_foreign_worker),
        },
        index=frame.index,
    )
