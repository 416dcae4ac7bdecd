"""Compliance report: decisions, overrides, fairness, reasons, ledger verification, determinism."""

from __future__ import annotations

from dataclasses import replace

import pytest

from compliance.fairness import FOUR_FIFTHS_CAVEAT
from compliance.reports import LedgerHead, LedgerVerification, build_compliance_report
from tests.compliance.reports.conftest import page_texts, pdf_text


@pytest.fixture(scope="module")
def pdf(compliance_input) -> bytes:
    return build_compliance_report(compliance_input)


@pytest.fixture(scope="module")
def text(pdf) -> str:
    return pdf_text(pdf)


def test_counts_decisions_by_outcome_and_tier(compliance_input, text):
    assert "5,000 decisions were made in the period" in text
    for row in [*compliance_input.decisions_by_outcome, *compliance_input.decisions_by_tier]:
        assert f"{row.label} {row.count:,} {100 * row.count / 5000:.1f}%" in text


def test_lists_each_override(compliance_input, text):
    assert (f"{len(compliance_input.overrides)} of 5,000 decisions were decided or changed by "
            "an underwriter") in " ".join(text.split())
    for row in compliance_input.overrides:
        assert f"{row.decision_id} {row.from_outcome} {row.to_outcome} {row.by_role}" in text


def test_lists_reasons_most_often_given(compliance_input, text):
    for reason in compliance_input.top_reasons:
        assert f"{reason.code} {reason.statement} {reason.count:,}" in text


def test_renders_fairness_groups_and_caveat(compliance_input, text):
    assert FOUR_FIFTHS_CAVEAT in text
    for attribute in compliance_input.fairness_audit["attributes"]:
        assert f"{attribute['label']} ({attribute['name']})" in text


def test_shows_verification_and_signed_checkpoint(compliance_input, text):
    verification = compliance_input.ledger_verification
    checkpoint = compliance_input.checkpoint
    assert "OK: every event re-hashes" in text
    assert f"Head hash {verification.head_hash}" in text
    assert checkpoint.signature in text
    assert checkpoint.public_key_fingerprint in text
    # As signed, not reformatted: what the signature covers.
    assert "Signed at 2026-03-31T23:59:59.000000Z" in text


def test_the_checkpoint_is_printed_as_a_copyable_block(compliance_input, text):
    import json
    import re

    block = re.search(r'\{ "head_seq".*?\}', text)
    assert block is not None
    checkpoint = compliance_input.checkpoint
    assert json.loads(block.group(0)) == {
        "head_seq": checkpoint.seq, "head_hash": checkpoint.hash,
        "signed_at": checkpoint.signed_at, "signature": checkpoint.signature,
        "key_fingerprint": checkpoint.public_key_fingerprint}


def test_failed_verification_names_the_first_bad_event(compliance_input):
    broken = LedgerVerification(
        ok=False,
        events=120,
        head_seq=120,
        head_hash="f" * 64,
        first_bad_seq=57,
        problem="stored fields do not hash to the stored hash",
    )
    text = pdf_text(build_compliance_report(replace(compliance_input, ledger_verification=broken)))
    assert "FAILED" in text and "First bad sequence 57" in text
    assert "stored fields do not hash to the stored hash" in text


def test_every_page_carries_the_ledger_head(compliance_input, pdf):
    head = compliance_input.ledger_head
    pages = page_texts(pdf)
    for number, page in enumerate(pages, start=1):
        assert f"Ledger head seq {head.seq} hash {head.hash}" in page
        assert f"Page {number} of {len(pages)}" in page


def test_same_input_gives_identical_bytes(compliance_input, pdf):
    assert build_compliance_report(compliance_input) == pdf


def test_other_ledger_head_gives_other_bytes(compliance_input, pdf):
    moved = replace(compliance_input, ledger_head=LedgerHead(2, "1" * 64))
    assert build_compliance_report(moved) != pdf


def test_report_without_audit_or_checkpoint_says_so(compliance_input):
    bare = replace(compliance_input, fairness_audit=None, checkpoint=None, overrides=[])
    text = pdf_text(build_compliance_report(bare))
    assert "No fairness audit was supplied" in text
    assert "No signed checkpoint was supplied" in text
