"""Adverse action notice: required content, limits on reasons, reproducible bytes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from compliance.reports import (
    ECOA_NOTICE,
    ActionTaken,
    Counteroffer,
    LedgerHead,
    Reason,
    build_adverse_action_notice,
)
from tests.compliance.reports.conftest import page_texts, pdf_text


@pytest.fixture(scope="module")
def text(notice) -> str:
    return pdf_text(build_adverse_action_notice(notice))


def test_states_each_reason_with_its_code(notice, text):
    for reason in notice.reasons:
        assert f"{reason.statement} (reason code {reason.code})" in text


def test_names_creditor_applicant_and_application(notice, text):
    assert notice.creditor.name in text and notice.applicant_name in text
    assert notice.application_ref in text and "March 2, 2026" in text
    for line in [*notice.creditor.address_lines, *notice.applicant_address_lines]:
        assert line in text


def test_discloses_score_range_date_and_key_factors(notice, text):
    score = notice.credit_score
    assert f"Your credit score: {score.score}" in text
    assert f"from a low of {score.range_min} to a high of {score.range_max}" in text
    assert "Date the score was created: March 1, 2026" in text
    for factor in score.key_factors:
        assert factor.statement in text


def test_states_rights_to_reasons_and_free_report_from_the_agency(notice, text):
    assert "statement of the specific reasons" in text and "within 60 days" in text
    assert "free copy of your report" in text
    agency = notice.consumer_reporting_agency
    assert agency.name in text and agency.phone in text


def test_carries_the_ecoa_notice_and_supervising_agency(notice, text):
    assert ECOA_NOTICE in text
    assert notice.supervising_agency.name in text
    assert notice.supervising_agency.address_lines[0] in text


def test_fits_one_page_with_ledger_head_in_footer(notice):
    pages = page_texts(build_adverse_action_notice(notice))
    assert len(pages) == 1
    assert f"Ledger head seq {notice.ledger_head.seq} hash {notice.ledger_head.hash}" in pages[0]
    assert "Page 1 of 1" in pages[0]


def test_same_input_gives_identical_bytes(notice):
    assert build_adverse_action_notice(notice) == build_adverse_action_notice(notice)


def test_other_ledger_head_gives_other_bytes(notice):
    moved = replace(notice, ledger_head=LedgerHead(notice.ledger_head.seq + 1, "ab" * 32))
    assert build_adverse_action_notice(moved) != build_adverse_action_notice(notice)


def test_counteroffer_states_terms_offered(notice):
    offer = Counteroffer(Decimal("3000"), "USD", 24, Decimal("11.9"), ["No prepayment penalty"])
    text = pdf_text(
        build_adverse_action_notice(replace(notice, action="counteroffer", counteroffer=offer))
    )
    assert "Amount: USD 3,000.00" in text and "Term: 24 months" in text
    assert "Annual percentage rate: 11.90%" in text and "No prepayment penalty" in text


def test_counteroffer_without_terms_is_rejected(notice):
    with pytest.raises(ValueError, match="counteroffer"):
        replace(notice, action=ActionTaken.COUNTEROFFER, counteroffer=None)


@pytest.mark.parametrize("count", [0, 5])
def test_reason_count_must_be_one_to_four(notice, count):
    reasons = [Reason(f"R{i}", f"Reason {i}") for i in range(count)]
    with pytest.raises(ValueError, match="1 to 4"):
        replace(notice, reasons=reasons)


def test_unknown_action_is_rejected(notice):
    with pytest.raises(ValueError):
        replace(notice, action="maybe")


def test_notice_without_score_or_agency_omits_those_sections(notice):
    bare = replace(notice, credit_score=None, consumer_reporting_agency=None)
    text = pdf_text(build_adverse_action_notice(bare))
    assert "Your credit score" not in text and "Consumer report" not in text
    assert ECOA_NOTICE in text
