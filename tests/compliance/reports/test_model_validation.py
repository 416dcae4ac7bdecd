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
    perf = validation_input.performance
    assert f"AUC (out of fold) {perf.auc:.3f}" in text
    assert f"{perf.cv_auc_mean:.3f} ± {perf.cv_auc_std:.3f}" in text
    assert "Calibration by PD decile" in text and "Observed bad rate" in text


def test_embeds_the_two_charts(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    assert sum(len(page.images) for page in reader.pages) == 2


def test_renders_fairness_flags_and_caveat(validation_input, text):
    assert FOUR_FIFTHS_CAVEAT in text
    for flag in validation_input.fairness_audit["flags"]:
        assert f"{flag['attribute']} {flag['group']}" in text


def test_lists_limitations_and_blank_sign_off_lines(validation_input, text):
    for limitation in validation_input.limitations:
        assert limitation[:50] in text
    assert "Validated by ____" in text and "Approved by ____" in text
    assert "Prepared by Model Development" in text


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
