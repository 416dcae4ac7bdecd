"""Population stability of a scorecard between its development sample and another sample.

PSI (population stability index) of the score and CSI (characteristic stability index) of each
characteristic, as optbinning's ``ScorecardMonitoring`` computes them: the score is binned by a
CART tree fitted on the development sample's scores, each characteristic by its own scorecard
bins, and the index is ``sum((a - e) * ln(a / e))`` over the bins' shares.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from optbinning import Scorecard
from optbinning.scorecard import ScorecardMonitoring

__all__ = ["PSI_BINS", "stability_record"]

# At most this many score bins; with at least 5 % of the development sample in each.
PSI_BINS = 10


def stability_record(scorecard: Scorecard, development: pd.DataFrame, y_development: np.ndarray,
                     comparison: pd.DataFrame, y_comparison: np.ndarray,
                     characteristics: Sequence[str], *, comparison_name: str) -> dict[str, Any]:
    """PSI of the score and CSI of each characteristic, JSON-safe.

    Parameters
    ----------
    scorecard : optbinning.Scorecard
        Fitted on ``development``.
    development, comparison : pandas.DataFrame
        The characteristics of the two samples (``expected`` and ``actual`` in PSI terms).
    y_development, y_comparison : array of 0/1
    characteristics : sequence of str
        The characteristics to report (those the scorecard uses).
    comparison_name : str
        What the comparison sample is ("hold-out sample", "applications 2024-Q1" ...).

    Returns
    -------
    dict
        ``comparison``, ``development_rows``, ``comparison_rows``, ``score_psi``, ``score_bins``
        (rows of bin, development and comparison counts and shares, psi) and ``characteristics``
        (rows of name and csi, in the order given).
    """
    monitor = ScorecardMonitoring(scorecard=scorecard, psi_method="cart", psi_n_bins=PSI_BINS)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="optbinning")
        monitor.fit(comparison, y_comparison, development, y_development)
    table = monitor.psi_table().drop(index="Totals")
    score_bins: list[dict[str, Any]] = [
        {"bin": str(row["Bin"]), "development_count": int(row["Count E"]),
         "comparison_count": int(row["Count A"]), "development_share": _f(row["Count E (%)"]),
         "comparison_share": _f(row["Count A (%)"]), "psi": _f(row["PSI"])}
        for _, row in table.iterrows()]
    csi = monitor.psi_variable_table(style="summary").set_index("Variable")["PSI"]
    return {
        "comparison": comparison_name,
        "development_rows": len(development),
        "comparison_rows": len(comparison),
        "score_psi": float(sum(float(b["psi"]) for b in score_bins)),
        "score_bins": score_bins,
        "characteristics": [{"name": str(name), "csi": _f(csi.get(name, 0.0))}
                            for name in characteristics],
    }


def _f(value: Any) -> float:
    number = float(value)
    return number if math.isfinite(number) else 0.0
