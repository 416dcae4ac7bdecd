"""Champion against challenger: how two decision-makers differ on the same applications.

Pure computation on one frame of paired decisions; the fairness side (adverse impact ratios) is
:mod:`compliance.fairness`'s.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from risk_models.policy import APPROVE, DECLINE

__all__ = ["compare_decisions"]


def compare_decisions(frame: pd.DataFrame) -> dict[str, Any]:
    """Score correlation, approval rates, the swap set and its realised bad rates.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per application both decided: ``champion_outcome``, ``challenger_outcome``
        (``approve``, ``decline``, ``refer`` ...), ``champion_score``, ``challenger_score`` and
        ``defaulted`` (1, 0, or missing while no outcome is observed).

    Returns
    -------
    dict
        JSON-safe: ``applications``; ``score_correlation`` (Pearson) and
        ``score_rank_correlation`` (Spearman), ``None`` below two rows or with a constant
        score; ``approval_rate`` of each and ``approval_rate_difference`` (challenger minus
        champion); ``swap_set``: ``swap_in`` (approved by the challenger, declined by the
        champion) and ``swap_out`` (the reverse), each with ``count``, ``with_outcome``,
        ``defaults`` and ``bad_rate`` (``None`` until an outcome is observed: declined
        applications have none, so a swap-in's bad rate is known only where the champion was
        overridden); ``agreement`` (share of identical outcomes).
    """
    n = len(frame)
    champion_approved = frame["champion_outcome"] == APPROVE
    challenger_approved = frame["challenger_outcome"] == APPROVE
    swap_in = challenger_approved & (frame["champion_outcome"] == DECLINE)
    swap_out = champion_approved & (frame["challenger_outcome"] == DECLINE)
    return {
        "applications": int(n),
        "score_correlation": _correlation(frame, "pearson"),
        "score_rank_correlation": _correlation(frame, "spearman"),
        "approval_rate": {"champion": _share(champion_approved),
                          "challenger": _share(challenger_approved)},
        "approval_rate_difference": (None if n == 0 else
                                     _share(challenger_approved) - _share(champion_approved)),
        "agreement": (None if n == 0 else
                      _share(frame["champion_outcome"] == frame["challenger_outcome"])),
        "swap_set": {"swap_in": _swap(frame.loc[swap_in]),
                     "swap_out": _swap(frame.loc[swap_out]),
                     "total": int(swap_in.sum() + swap_out.sum())},
        "bad_rate_approved": {"champion": _bad_rate(frame.loc[champion_approved]),
                              "challenger": _bad_rate(frame.loc[challenger_approved])},
    }


def _share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def _correlation(frame: pd.DataFrame, method: str) -> float | None:
    # A constant score has no correlation with anything (and numpy would warn dividing by 0).
    if min(frame["champion_score"].nunique(), frame["challenger_score"].nunique()) < 2:
        return None
    value = frame["champion_score"].corr(frame["challenger_score"], method=method)
    return None if value is None or not math.isfinite(value) else float(value)


def _bad_rate(rows: pd.DataFrame) -> dict[str, Any]:
    known = rows["defaulted"].dropna()
    defaults = int(np.sum(known.to_numpy() == 1))
    return {"with_outcome": int(len(known)), "defaults": defaults,
            "bad_rate": None if len(known) == 0 else defaults / len(known)}


def _swap(rows: pd.DataFrame) -> dict[str, Any]:
    return {"count": int(len(rows)), **_bad_rate(rows)}
