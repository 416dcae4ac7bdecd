"""The compliance report states what an examiner files: final outcomes beside automated ones,
reviews and overrides by direction, underwriter (named) and group, referrals still waiting with
their ageing, denial reasons and offers by group, notice coverage and timeliness, the previous
period beside this one, and a sign-off; all from real decisions made through the API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.auth.roles import Role
from tests.app.application_documents import good_application, risky_application
from tests.compliance.reports.conftest import pdf_text

pytestmark = pytest.mark.usefixtures("active_model")
REFERRED = {"kyc.sanctions_screening.status": "potential_match"}


def _submit(client, headers, document):
    response = client.post("/applications", json=document, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_compliance_report_states_the_periods_figures(client, auth_headers, users):
    officer, underwriter = auth_headers[Role.LOAN_OFFICER], auth_headers[Role.UNDERWRITER]
    approved = [_submit(client, officer, good_application()) for _ in range(2)]
    declined = [_submit(client, officer, risky_application(**{"monitoring.sex": "male"}))
                for _ in range(2)]
    referred = _submit(client, officer, good_application(**REFERRED))
    assert [a["outcome"] for a in approved] == ["approve"] * 2
    assert [d["outcome"] for d in declined] == ["decline"] * 2 and referred["outcome"] == "refer"
    # An underwriter turns one approval into a decline with a human reason.
    client.post(f"/applications/{approved[0]['id']}/review", json={
        "outcome": "decline", "note": "Payslips do not match.",
        "reason_codes": ["UW-INCOME-UNVERIFIED"]}, headers=underwriter).raise_for_status()
    # One decline's notice is delivered today (on time).
    notice = client.get(f"/applications/{declined[0]['id']}/notices", headers=officer).json()[0]
    client.post(f"/notices/{notice['id']}/generate", headers=officer).raise_for_status()
    client.post(f"/notices/{notice['id']}/delivery", json={"channel": "mail"},
                headers=officer).raise_for_status()

    today = datetime.now(UTC).date()
    report = client.post("/reports", json={
        "kind": "compliance", "date_from": (today - timedelta(days=6)).isoformat(),
        "date_to": today.isoformat()}, headers=auth_headers[Role.COMPLIANCE_OFFICER]).json()
    pdf = client.get(f"/reports/{report['id']}/pdf",
                     headers=auth_headers[Role.COMPLIANCE_OFFICER]).content
    text = " ".join(pdf_text(pdf).split())

    # Final beside automated: automated 2 approve, 2 decline, 1 refer; final 1 approve,
    # 3 decline, 1 pending (the referral).
    assert "Outcomes after review (final), beside the automated ones" in text
    assert re.search(r"decline 2 3 .*approve 2 1 .*Total 5 5", text)
    assert re.search(r"pending 0 1|refer 1 0", text)
    # Reviews by direction and by underwriter, named.
    assert re.search(r"override approve decline 1", text)
    name = users[Role.UNDERWRITER].username
    assert re.search(rf"{re.escape(name)} underwriter 0 1 0 1", text)
    # By group: 4 women (1 changed), 2 men; both small groups, flagged.
    assert "Sex: female * 3 1 33.3%" in text and "Sex: male * 2 0 0.0%" in text
    assert "fewer than 30 applications" in text
    # The referral still waits, aged 0-7 days; its case waits in the review queue, within
    # its service level.
    assert "1 application was still waiting" in text and "0-7 days 1" in text
    assert ("1 case (referrals and potential sanctions matches) waiting at the cut-off, 0 past "
            "the policy's service level; 0 decided in the period") in text
    assert "under 24 hours 1" in text
    # Denial reasons by group: the underwriter's reason for the woman declined.
    assert re.search(r"Sex: female \* 1 UW-INCOME-UNVERIFIED 1 100.0%", text)
    # Offers by group: the one woman still approved, her amount and APR.
    assert re.search(r"Sex: female \* 1 2,500.00 \d+\.\d\d%", text)
    # Notices: 3 owed (2 declines, 1 review decline), 1 delivered on time, 2 not yet due.
    assert "Notices owed 3" in text and "Delivered by the due date 1" in text
    assert "Not yet due 2" in text
    # The previous period beside this one (empty), and the sign-off naming the preparer.
    assert "This period Previous period" in text
    compliance = users[Role.COMPLIANCE_OFFICER].username
    assert f"Prepared by {compliance} (compliance_officer)" in text
    assert "INTERIM" in text
