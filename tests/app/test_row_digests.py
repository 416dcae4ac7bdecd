"""The digest of a row: every column of a tracked table accounted for, and values put in one
form whatever type the database or the service hands over."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.audit.rows import TRACKED, digest_of, row_entry
from app.models import Application, NoticeObligation, Report, User
from risk_models.notices import NoticeStatus


@pytest.mark.parametrize("tracked", TRACKED, ids=lambda t: t.name)
def test_every_column_of_a_tracked_table_is_digested_or_excluded_with_a_reason(tracked):
    columns = {c.name for c in tracked.table.columns}
    assert set(tracked.columns) | set(tracked.excluded) == columns
    assert not set(tracked.columns) & set(tracked.excluded)
    assert all(len(reason) > 20 for reason in tracked.excluded.values())
    assert "id" in tracked.columns and tracked.legacy_key in tracked.columns


def _notice(**values):
    base = {"id": "n1", "application_id": "a1", "decision_id": "d1", "kind": "decline",
            "status": "pending", "opened_at": datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC),
            "due_date": date(2026, 3, 31), "missing": [], "respond_by": None,
            "report_id": None, "generated_at": None, "delivered_at": None,
            "delivery_channel": None, "delivered_by": None, "closed_reason": None}
    return {**base, **values}


NOTICES = next(t for t in TRACKED if t.model is NoticeObligation)
APPLICATIONS = next(t for t in TRACKED if t.model is Application)


def test_a_value_gets_one_form_whatever_the_backend_returns():
    written = _notice(status=NoticeStatus.PENDING)
    # SQLite: timestamps come back naive UTC; a StrEnum is written as its value.
    sqlite = _notice(opened_at=datetime(2026, 3, 1, 9, 30, 0, 123456))
    # Another zone, same instant.
    elsewhere = _notice(opened_at=datetime.fromisoformat("2026-03-01T10:30:00.123456+01:00"))
    assert digest_of(NOTICES, written) == digest_of(NOTICES, sqlite) == digest_of(
        NOTICES, elsewhere)
    assert digest_of(NOTICES, written) != digest_of(NOTICES, _notice(status="generated"))


def test_money_is_digested_at_its_columns_scale():
    values = {c.name: None for c in APPLICATIONS.table.columns}
    digests = {digest_of(APPLICATIONS, {**values, "id": "a", "amount": amount, "score": score})
               for amount, score in ((Decimal("2500"), 600), (Decimal("2500.00"), 600.0),
                                     (2500.0, 600.0))}
    assert len(digests) == 1
    assert digest_of(APPLICATIONS, {**values, "id": "a", "amount": Decimal("2500.01"),
                                    "score": 600.0}) not in digests


def test_a_reports_bytes_are_digested_by_their_sha256():
    report = Report(id=3, kind="compliance", parameters="{}", created_by="1",
                    created_by_role="auditor", ledger_head_seq=1, ledger_head_hash="0" * 64,
                    sha256="x", size=4, pdf=b"%PDF")
    entry = row_entry(report)
    assert entry["table"] == "reports" and entry["id"] == "3"
    changed = Report(**{**report.model_dump(), "pdf": b"%PDX"})
    assert row_entry(changed)["sha256"] != entry["sha256"]


def test_only_tracked_rows_with_an_id_can_be_recorded():
    with pytest.raises(TypeError, match="not recorded by digest"):
        row_entry(User(username="u", password_hash="x", role="admin"))
    with pytest.raises(ValueError, match="flush it"):
        row_entry(Report(kind="compliance", parameters="{}", created_by="1",
                         created_by_role="auditor", ledger_head_seq=1,
                         ledger_head_hash="0" * 64, sha256="x", size=4, pdf=b""))
