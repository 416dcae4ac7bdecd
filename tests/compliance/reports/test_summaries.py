"""Decision summaries and calibration tables agree with direct pandas counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from compliance.reports import CountRow, calibration_table, summarise_decisions


def test_summarise_counts_outcomes_tiers_and_reasons():
    rows = [
        {"outcome": "declined", "risk_tier": "C", "reason_codes": ["R1", "R2"]},
        {"outcome": "declined", "risk_tier": "D", "reason_codes": ["R2"]},
        {"outcome": "approved", "risk_tier": "A", "reason_codes": []},
        {"outcome": "approved", "risk_tier": "A", "reason_codes": None},
        {"outcome": "declined", "risk_tier": "C", "reason_codes": ["R2", "R3"]},
    ]
    summary = summarise_decisions(rows, reason_statements={"R2": "Term too long"}, top_n=2)
    assert summary.total == 5
    assert summary.by_outcome == (CountRow("declined", 3), CountRow("approved", 2))
    assert summary.by_tier == (CountRow("A", 2), CountRow("C", 2), CountRow("D", 1))
    assert [(r.code, r.statement, r.count) for r in summary.top_reasons] == [
        ("R2", "Term too long", 3),
        ("R1", "", 1),
    ]


def test_summarise_accepts_a_frame_and_matches_value_counts():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"outcome": rng.choice(["approved", "declined", "referred"], 1000)})
    summary = summarise_decisions(frame)
    expected = frame["outcome"].value_counts()
    assert {r.label: r.count for r in summary.by_outcome} == expected.to_dict()
    assert summary.by_tier == () and summary.top_reasons == ()


def test_calibration_table_uses_equal_sized_pd_deciles():
    rng = np.random.default_rng(1)
    pd_hat = rng.random(1000)
    y_bad = (rng.random(1000) < pd_hat).astype(int)
    table = calibration_table(y_bad, pd_hat)
    assert [r.decile for r in table] == list(range(1, 11))
    assert all(r.count == 100 for r in table)
    order = np.argsort(pd_hat, kind="stable")
    first = order[:100]
    assert table[0].mean_pd == pytest.approx(pd_hat[first].mean(), rel=1e-12)
    assert table[0].observed_bad_rate == pytest.approx(y_bad[first].mean(), rel=1e-12)
