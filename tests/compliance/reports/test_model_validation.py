"""Model validation report: binning, performance, fairness, limitations, sign-off, determinism."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pypdf import PdfReader

from compliance.fairness import FOUR_FIFTHS_CAVEAT
from compliance.reports import LedgerHead, build_model_validation_report
from compliance.reports.common import fmt_num
from tests.compliance.reports.conftest import page_texts, pdf_text


@pytest.fixture(scope="module")
def pdf(validation_input) -> bytes:
    return build_model_validation_report(validation_input)


@pytest.fixture(scope="module")
def text(pdf) -> str:
    return pdf_text(pdf)


def test_shows_purpose_and_data_fingerprint(validation_input, text):
    assert validation_input.purpose[:60] in text
    assert validation_input.data.sha256 in text
    assert "1,000" in text


def test_shows_every_bin_and_total_iv(validation_input, text):
    for characteristic in validation_input.characteristics:
        assert characteristic.name in text
        total = sum(b.iv for b in characteristic.bins)
        assert fmt_num(total, 4) in text
        for row in characteristic.bins:
            assert row.label in text


def test_shows_performance_figures_and_calibration(validation_input, text):
    import re

    from risk_models.evaluation import roc_auc

    perf = validation_input.performance
    auc = roc_auc(validation_input.y_bad, validation_input.probability_of_default)
    found = re.search(r"AUC \(out of fold\) (\d\.\d{3}) \(95% CI (\d\.\d{3}) to (\d\.\d{3})\)",
                      text)
    assert found is not None and found.group(1) == f"{auc:.3f}"
    low, high = float(found.group(2)), float(found.group(3))
    assert low < auc < high
    # Gini is 2 × AUC − 1 of the AUC printed beside it, interval included.
    gini = re.search(r"Gini \(2 × AUC − 1\) (-?\d\.\d{3}) \(95% CI (-?\d\.\d{3}) to "
                     r"(-?\d\.\d{3})\)", text)
    assert gini is not None and gini.group(1) == f"{2 * auc - 1:.3f}"
    assert abs(float(gini.group(2)) - (2 * low - 1)) < 0.0015
    assert re.search(r"KS \d\.\d{3} \(95% CI", text)
    assert f"{perf.cv_auc_mean:.3f} ± {perf.cv_auc_std:.3f}" in text
    assert "Calibration by PD decile" in text and "Observed bad rate" in text


def test_embeds_the_two_charts(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    assert sum(len(page.images) for page in reader.pages) == 2


def test_renders_fairness_flags_and_caveat(validation_input, text):
    assert FOUR_FIFTHS_CAVEAT in text
    for flag in validation_input.fairness_audit["flags"]:
        assert f"{flag['attribute']} {flag['group']}" in text


def test_lists_limitations_and_says_plainly_who_has_not_signed(validation_input, text):
    for limitation in validation_input.limitations:
        assert limitation[:50] in text
    assert "Validated by not yet validated" in text and "Approved by not yet approved" in text
    assert "Not yet validated: no independent validation" in text
    assert "Prepared by Model Development" in text
    assert "___" not in text


def test_shows_the_outcome_mix_under_shifted_cut_offs_and_the_monitoring_plan(text):
    from compliance.monitoring import STABILITY_ACT, STABILITY_WARN

    assert "Sensitivity of the outcome mix to the cut-offs" in text
    for shift in ("-20", "-10", "as set", "+10", "+20"):
        assert shift in text
    assert "Ongoing monitoring plan" in text
    assert f"warn at {STABILITY_WARN:.2f}; act at {STABILITY_ACT:.2f}" in text


def test_every_page_carries_the_ledger_head(validation_input, pdf):
    pages = page_texts(pdf)
    head = validation_input.ledger_head
    assert all(f"Ledger head seq {head.seq} hash {head.hash}" in page for page in pages)
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_same_input_gives_identical_bytes(validation_input, pdf):
    assert build_model_validation_report(validation_input) == pdf


def test_other_ledger_head_gives_other_bytes(validation_input, pdf):
    moved = replace(validation_input, ledger_head=LedgerHead(1, "0" * 64))
    assert build_model_validation_report(moved) != pdf


def test_arrays_of_unequal_length_are_rejected(validation_input):
    with pytest.raises(ValueError, match="equal length"):
        replace(validation_input, score=validation_input.score[:-1])


def test_lists_counter_intuitive_bins_with_why_they_are_kept_or_that_no_one_said(
        validation_input, text):
    assert "Counter-intuitive bins" in text and "Why they are kept" in text
    with_rationale, without = validation_input.counter_intuitive
    assert with_rationale.rationale[:60] in text
    # A bin nobody has explained is not passed over: the validator is told to decide on it.
    assert (f"{without.characteristic} (expected: {without.expectation}) No rationale is "
            "recorded") in text


def test_benchmark_table_shows_each_method_and_its_gap_to_the_model(validation_input, text):
    own, *others = validation_input.benchmarks
    assert "Benchmark against other methods" in text and "same folds" in text
    assert f"{own.auc:.3f} ± {own.auc_std:.3f} {2 * own.auc - 1:.3f}" in text
    for row in others:
        assert row.name in text
        assert f"{row.auc - own.auc:+.3f}" in text


def test_stability_section_gives_psi_by_band_and_csi_read_against_the_plan(
        validation_input, text):
    stability = validation_input.stability
    assert "4. Stability" in text
    assert f"Score PSI {stability.score_psi:.4f}" in text
    assert f"Total (PSI) {stability.score_psi:.4f}" in text
    # The example's duration CSI (0.131) sits between the plan's warn and act levels.
    assert "duration_months 0.1310 shifting: investigate" in text
    assert "credit_history 0.0040 stable" in text


def test_a_model_trained_without_the_new_evidence_says_so(validation_input):
    bare = replace(validation_input, benchmarks=(), stability=None, counter_intuitive=(),
                   expectations_version=None)
    text = pdf_text(build_model_validation_report(bare))
    assert "No benchmark was run when this model was trained" in text
    assert "No stability figures were computed" in text
    assert "not checked against an expected risk order" in text
