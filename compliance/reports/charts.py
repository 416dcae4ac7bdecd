"""Matplotlib figures for reports: ROC curve and score distribution by outcome.

Figures are built without pyplot (no global state) under fixed style settings, so their PNGs
are the same on every build.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType
from sklearn.metrics import roc_auc_score, roc_curve

_STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "axes.edgecolor": "#52606d",
    "axes.linewidth": 0.6,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "path.simplify": True,
}
GOOD_COLOUR = "#2f6f9f"
BAD_COLOUR = "#c2452d"
FIGSIZE = (3.4, 2.6)


def roc_figure(y_bad: Sequence[int], probability_of_default: Sequence[float]) -> Figure:
    """ROC curve of predicted PD against observed default, with the AUC in the title.

    Parameters
    ----------
    y_bad : sequence of int
        1 where the loan defaulted (the event the PD predicts).
    probability_of_default : sequence of float
        Out-of-fold predicted PD.
    """
    y = np.asarray(y_bad, dtype=int)
    pd_hat = np.asarray(probability_of_default, dtype=float)
    fpr, tpr, _ = roc_curve(y, pd_hat)
    auc = roc_auc_score(y, pd_hat)
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=FIGSIZE)
        axes = figure.add_subplot()
        axes.plot([0, 1], [0, 1], color="#9aa5b1", linewidth=0.8, linestyle="--")
        axes.plot(fpr, tpr, color=GOOD_COLOUR, linewidth=1.4)
        axes.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="False positive rate (goods)")
        axes.set_ylabel("True positive rate (bads)")
        axes.set_title(f"ROC curve, out of fold (AUC {auc:.3f})")
        figure.tight_layout()
    return figure


def score_distribution_figure(
    y_bad: Sequence[int], score: Sequence[float], bins: int = 30,
    cutoffs: Sequence[tuple[str, float]] = (),
) -> Figure:
    """Histograms (as shares) of scores for good and bad outcomes on shared bins.

    Parameters
    ----------
    y_bad : sequence of int
        1 where the loan defaulted.
    score : sequence of float
        Out-of-fold scorecard points.
    bins : int
        Number of equal-width bins over the observed score range.
    cutoffs : sequence of (label, score)
        The policy's score floors, drawn as labelled vertical lines.
    """
    y = np.asarray(y_bad, dtype=int)
    points = np.asarray(score, dtype=float)
    edges = np.histogram_bin_edges(points, bins=bins)
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=FIGSIZE)
        axes = figure.add_subplot()
        for label, mask, colour in (("good", y == 0, GOOD_COLOUR), ("bad", y == 1, BAD_COLOUR)):
            values = points[mask]
            weights = np.full(len(values), 1.0 / max(len(values), 1))
            axes.hist(values, bins=edges.tolist(), weights=weights, alpha=0.55, color=colour,
                      label=label)
        for label, floor in cutoffs:
            axes.axvline(floor, color="#1f2933", linewidth=0.9, linestyle=":")
            axes.annotate(f"{label} {floor:g}", xy=(floor, 1.0), xycoords=("data", "axes fraction"),
                          xytext=(2, -8), textcoords="offset points", fontsize=6, rotation=90,
                          va="top")
        axes.set_xlabel("Score (points)")
        axes.set_ylabel("Share of outcome group")
        axes.set_title("Score distribution by outcome")
        # A fixed place: "best" searches the data for room, and warns when that search is slow.
        axes.legend(loc="upper left")
        figure.tight_layout()
    return figure
