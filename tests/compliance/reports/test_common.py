"""Shared report machinery: deterministic metadata, footers on every page, formats."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pypdf import PdfReader

from compliance.reports.common import (
    LedgerHead,
    build_pdf,
    fmt_money,
    fmt_p,
    fmt_pct,
    long_date,
    para,
)
from tests.compliance.reports.conftest import page_texts

HEAD = LedgerHead(7, "c0ffee" * 10 + "beef")
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _long_story() -> list:
    return [para(f"Paragraph {i} " + "text " * 80) for i in range(60)]


def test_every_page_has_kind_ledger_head_and_page_x_of_y():
    pdf = build_pdf(
        _long_story(),
        kind="Test report",
        title="t",
        subject="s",
        generated_at=WHEN,
        ledger_head=HEAD,
    )
    pages = page_texts(pdf)
    assert len(pages) > 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Test report" in text
        assert f"Ledger head seq 7 hash {HEAD.hash}" in text


def test_creation_date_comes_from_generated_at_not_the_clock():
    east = WHEN.astimezone(timezone(timedelta(hours=5)))
    pdf = build_pdf(
        [para("x")],
        kind="k",
        title="Title",
        subject="Subject",
        generated_at=east,
        ledger_head=HEAD,
    )
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info["/CreationDate"] == "D:20260102030405+00'00'"
    assert info["/Title"] == "Title" and info["/Author"] == "riskdesk"
    assert f"ledger-hash:{HEAD.hash}" in info["/Keywords"]


def test_naive_generated_at_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        build_pdf(
            [para("x")],
            kind="k",
            title="t",
            subject="s",
            generated_at=datetime(2026, 1, 1),
            ledger_head=HEAD,
        )


def test_user_text_is_escaped_not_parsed_as_markup():
    pdf = build_pdf(
        [para("Smith & <Sons> Ltd")],
        kind="k",
        title="t",
        subject="s",
        generated_at=WHEN,
        ledger_head=HEAD,
    )
    assert "Smith & <Sons> Ltd" in page_texts(pdf)[0]


def test_money_is_rounded_half_up_to_the_cent():
    assert fmt_money(Decimal("1234.565"), "USD") == "USD 1,234.57"


def test_small_p_values_and_percentages_format():
    assert fmt_p(0.0000123) == "< 0.001"
    assert fmt_p(None) == "—"
    assert fmt_pct(0.12345) == "12.3%"
    assert long_date(date(2026, 3, 2)) == "March 2, 2026"
