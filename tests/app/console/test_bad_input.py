"""Input at the calendar's edges and unexpected failures: a person sees a page with the
console's protections, never a stack trace."""

from __future__ import annotations

import pytest

from app.auth.roles import Role
from app.console.security import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(("role", "path"), [
    (Role.LOAN_OFFICER, "/console/applications?to=9999-12-31"),
    (Role.LOAN_OFFICER, "/console/applications?before=9999-12-31T23:59:59-14:00,abc"),
    (Role.LOAN_OFFICER, "/console/applications?after=0001-01-01T00:00:00%2B14:00,abc"),
    (Role.AUDITOR, "/console/ledger?to=9999-12-31"),
    (Role.UNDERWRITER, "/console/cases?after=9999-12-31T23:59:59-14:00~abc"),
    (Role.COMPLIANCE_OFFICER,
     "/console/screening?before_at=9999-12-31T23:59:59-14:00&before_id=a"),
])
def test_a_filter_or_page_link_at_the_calendars_edge_is_answered_not_a_server_error(
        console, role, path) -> None:  # type: ignore[no-untyped-def]
    answer = console(role).get(path)
    assert answer.status_code in (200, 422), answer.text[-800:]
    assert "Traceback" not in answer.text


def test_a_period_ending_on_the_calendars_last_day_is_refused_with_its_reason(
        client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/fairness/audits", headers=auth_headers[Role.COMPLIANCE_OFFICER],
                         json={"source": "decisions", "date_from": "2026-01-01",
                               "date_to": "9999-12-31"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_period"


def test_an_unexpected_failure_is_a_page_with_the_consoles_protections(
        console, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.console.pages import home

    browser = console(Role.AUDITOR)

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setattr(home, "panels_for", broken)
    answer = browser.get("/console")
    assert answer.status_code == 500
    assert "nothing was saved" in answer.text and "a bug" not in answer.text
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "DENY"


def test_a_body_over_the_limit_is_a_page_without_script(console) -> None:  # type: ignore[no-untyped-def]
    answer = console(Role.AUDITOR).http.post("/console/login", data={"x": "y" * 70_000})
    assert answer.status_code == 413
    assert "javascript:" not in answer.text and "<script" not in answer.text
