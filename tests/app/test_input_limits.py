"""Bad input gets a clear 4xx naming what to fix, never a 500, and leaves nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Application
from tests.app.application_documents import good_application

pytestmark = pytest.mark.usefixtures("active_model")


def _count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Application)).one()


def test_a_body_over_the_limit_is_refused_before_it_is_parsed(client, auth_headers, engine):
    huge = b'{"loan": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client.post("/applications", content=huge, headers={
        **auth_headers["loan_officer"], "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert _count(engine) == 0


def test_a_chunked_body_over_the_limit_is_refused_too(client, auth_headers):
    def chunks():
        for _ in range(200):
            yield b"x" * 1024

    response = client.post("/applications", content=chunks(), headers={
        **auth_headers["loan_officer"], "Content-Type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize("text", ["Alex\x00Example", "Alex\x1bExample", "Alex\x7fExample"])
def test_control_characters_in_text_are_refused(client, auth_headers, engine, text):
    response = client.post("/applications", json=good_application(**{"kyc.full_name": text}),
                           headers=auth_headers["loan_officer"])
    assert response.status_code == 422
    assert "kyc.full_name" in response.json()["error"]["message"]
    assert _count(engine) == 0


def test_a_note_may_have_line_breaks_but_no_nul(client, auth_headers):
    body = client.post("/applications", json=good_application(),
                       headers=auth_headers["loan_officer"]).json()
    review = {"outcome": "decline", "reason_codes": ["UW-INCOME-UNVERIFIED"]}
    refused = client.post(f"/applications/{body['id']}/review", headers=auth_headers[
        "underwriter"], json={**review, "note": "Payslips\x00 do not match."})
    assert refused.status_code == 422
    accepted = client.post(f"/applications/{body['id']}/review", headers=auth_headers[
        "underwriter"], json={**review, "note": "Payslips do not match.\nChecked twice."})
    assert accepted.status_code == 201


@pytest.mark.parametrize(("path", "role"), [
    ("/reports/99999999999999999999", "compliance_officer"),
    ("/fairness/audits/9223372036854775808", "compliance_officer"),
    ("/applications?offset=99999999999999999999", "loan_officer"),
    ("/audit/events?after_seq=9223372036854775807", "auditor"),
])
def test_integers_beyond_the_columns_range_are_a_422(client, auth_headers, path, role):
    response = client.get(path, headers=auth_headers[role])
    assert response.status_code == 422, response.text


def test_integers_beyond_the_document_bounds_are_a_422(client, auth_headers):
    response = client.post("/applications", json=good_application(
        **{"kyc.dependents": 10**30, "loan.term_months": 2**63}),
        headers=auth_headers["loan_officer"])
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert {"kyc.dependents", "loan.term_months"} <= fields
