"""The auditor's console screens: the ledger explorer (filters, keyset pages), one event's
detail, an application's trail as a timeline, verifying the chain (intact and tampered) with
its checkpoint, verifying an uploaded report PDF (genuine and altered), and CSRF on each form."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit import service
from app.auth.principal import Principal
from app.auth.roles import Role
from app.db import session_scope
from app.models import AuditEvent
from tests.app.application_documents import good_application
from tests.app.test_ledger import _without_triggers

pytestmark = pytest.mark.postgres

AU, LO, UW, CO = Role.AUDITOR, Role.LOAN_OFFICER, Role.UNDERWRITER, Role.COMPLIANCE_OFFICER
_ROW = re.compile(r'href="/console/ledger/(\d+)" aria-label="Event \d+: ([^"]+)"')
_OLDER = re.compile(r'<a href="(/console/ledger\?[^"]+)" rel="next">Older events</a>')
_TIMELINE = re.compile(r'<ol class="timeline".*?</ol>', re.S)


def _rows(body: str) -> list[tuple[int, str]]:
    """(seq, action) of each event row the explorer lists, in page order."""
    return [(int(seq), action) for seq, action in _ROW.findall(body)]


def _append(engine, n: int, action: str = "test.event") -> None:
    with session_scope(engine) as session:
        for i in range(n):
            service.append_event(session, Principal.system("test"), action, "thing", i, {"i": i})


def _application(client, auth_headers) -> str:
    created = client.post("/applications", json=good_application(),
                          headers=auth_headers[LO])
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _events_about(engine, application_id: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(
            AuditEvent.entity_type == "application", AuditEvent.entity_id == application_id)
            .order_by(col(AuditEvent.seq))).all())


# --- The explorer --------------------------------------------------------------------------------


def test_the_explorer_filters_by_action_prefix(console, engine):
    _append(engine, 3, "test.alpha")
    _append(engine, 2, "other.beta")
    found = _rows(console(AU).get("/console/ledger", params={"action": "test."}).text)
    assert [action for _, action in found] == ["test.alpha"] * 3


def test_the_explorer_filters_by_entity_newest_first(console, client, auth_headers, engine,
                                                    active_model):
    application_id = _application(client, auth_headers)
    _application(client, auth_headers)
    expected = [e.seq for e in _events_about(engine, application_id)]
    answer = console(AU).get("/console/ledger", params={"entity_type": "application",
                                                        "entity_id": application_id})
    assert answer.status_code == 200
    assert [seq for seq, _ in _rows(answer.text)] == expected[::-1]


def test_the_explorer_pages_by_sequence_without_repeats_or_gaps(console, engine):
    _append(engine, 120, "page.test")
    auditor = console(AU)
    path = "/console/ledger?action=page."
    seen: list[int] = []
    pages = 0
    while path:
        body = auditor.get(html.unescape(path)).text
        seen += [seq for seq, _ in _rows(body)]
        pages += 1
        link = _OLDER.search(body)
        path = link.group(1) if link else ""
    with Session(engine) as session:
        expected = session.exec(select(AuditEvent.seq).where(AuditEvent.action == "page.test")
                                .order_by(col(AuditEvent.seq).desc())).all()
    assert pages == 3
    assert seen == list(expected)


def test_the_explorers_page_link_carries_the_last_sequence_number_not_an_offset(console, engine):
    _append(engine, 60, "cursor.test")
    body = console(AU).get("/console/ledger?action=cursor.").text
    last_seq = _rows(body)[-1][0]
    link = html.unescape(_OLDER.search(body).group(1))
    assert f"before={last_seq}" in link and "offset" not in link


def test_an_invalid_date_is_named_next_to_its_field(console):
    answer = console(AU).get("/console/ledger", params={"from": "yesterday"})
    assert answer.status_code == 422
    assert 'id="f-from" name="from" value="yesterday" aria-invalid="true"' in answer.text
    assert 'id="f-from-error">Enter a date as YYYY-MM-DD.' in answer.text


def test_the_ledger_is_not_open_to_a_loan_officer(console):
    assert console(LO).get("/console/ledger").status_code == 403


# --- One event ------------------------------------------------------------------------------------


def test_an_events_detail_shows_its_chain_hashes_payload_and_a_link_to_the_trail(
        console, client, auth_headers, engine, active_model):
    application_id = _application(client, auth_headers)
    event = _events_about(engine, application_id)[0]
    body = console(AU).get(f"/console/ledger/{event.seq}").text
    assert f"<h1>Ledger event {event.seq}</h1>" in body
    assert event.hash in body and event.prev_hash in body
    pretty = json.dumps(json.loads(event.payload), indent=2, sort_keys=True, ensure_ascii=False)
    assert html.escape(pretty, quote=False) in body.replace("&#34;", '"').replace(
        "&#39;", "'")
    assert f'href="/console/applications/{application_id}/trail"' in body


def test_an_unknown_event_is_not_found(console):
    assert console(AU).get("/console/ledger/999999").status_code == 404


# --- The trail -----------------------------------------------------------------------------------


def test_the_trail_lists_the_applications_events_in_order_and_records_the_reading(
        console, client, auth_headers, engine, active_model):
    application_id = _application(client, auth_headers)
    expected = [e.seq for e in _events_about(engine, application_id)]
    answer = console(AU).get(f"/console/applications/{application_id}/trail")
    assert answer.status_code == 200, answer.text
    timeline = _TIMELINE.search(answer.text).group(0)
    listed = [int(s) for s in re.findall(r'href="/console/ledger/(\d+)">Event', timeline)]
    assert listed == expected
    read = _events_about(engine, application_id)[-1]
    assert read.action == "application.trail_viewed"


def test_the_trail_is_proven_against_the_whole_chain_on_request(
        console, client, auth_headers, engine, active_model):
    application_id = _application(client, auth_headers)
    auditor = console(AU)
    shown = auditor.get(f"/console/applications/{application_id}/trail")
    assert "Not checked" in shown.text and "Proven" not in shown.text
    proven = auditor.get(f"/console/applications/{application_id}/trail?prove=true")
    assert "Proven" in proven.text and "In verified chain" in proven.text


def test_the_trail_of_an_unknown_application_is_not_found(console):
    assert console(AU).get("/console/applications/nope/trail").status_code == 404


# --- Verifying the chain ------------------------------------------------------------------------


def test_verifying_an_untouched_chain_shows_it_intact_and_records_the_verification(
        console, engine):
    _append(engine, 5)
    auditor = console(AU)
    answer = auditor.post("/console/ledger/verify", {"deep": "yes"})
    assert answer.status_code == 200, answer.text
    assert "The chain is intact" in answer.text
    assert "every tracked row matches its recorded digest" in answer.text
    with Session(engine) as session:
        recorded = session.exec(select(AuditEvent).where(
            AuditEvent.action == "ledger.verified")).one()
    assert json.loads(recorded.payload)["ok"] is True
    home = auditor.get("/console").text
    assert "Chain verification" in home and "Intact" in home


def test_verifying_a_tampered_chain_names_the_first_broken_event(console, engine):
    _append(engine, 6)
    with Session(engine) as session:
        target = service.verify(session).head_seq - 3
    _without_triggers(engine, "UPDATE audit_events SET payload = :p WHERE seq = :s",
                      {"s": target, "p": '{"i":999}'})
    answer = console(AU).post("/console/ledger/verify", {})
    assert answer.status_code == 200
    assert "The chain is broken at event " + str(target) in answer.text
    assert "Intact" not in answer.text.split("<h2")[1]


def test_the_checkpoint_download_is_signed_and_verifies_through_the_api(
        console, client, auth_headers, engine):
    _append(engine, 3)
    answer = console(AU).get("/console/ledger/checkpoint")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment;")
    checked = client.post("/audit/verify", json=answer.json(), headers=auth_headers[AU])
    assert checked.status_code == 200 and checked.json()["ok"] is True


def test_the_public_key_downloads_as_pem(console):
    answer = console(AU).get("/console/ledger/public-key")
    assert answer.status_code == 200
    assert answer.text.startswith("-----BEGIN PUBLIC KEY-----")


def test_a_saved_checkpoint_uploaded_back_holds(console, engine):
    _append(engine, 3)
    auditor = console(AU)
    saved = auditor.get("/console/ledger/checkpoint").content
    answer = auditor.post("/console/ledger/checkpoint/verify",
                          files={"checkpoint": ("checkpoint.json", saved, "application/json")})
    assert answer.status_code == 200, answer.text
    assert "The chain still holds the checkpoint" in answer.text


def test_a_checkpoint_with_a_forged_signature_is_refused_next_to_the_field(console, engine):
    _append(engine, 3)
    auditor = console(AU)
    saved = auditor.get("/console/ledger/checkpoint").json()
    saved["head_seq"] += 1
    answer = auditor.post("/console/ledger/checkpoint/verify", files={
        "checkpoint": ("checkpoint.json", json.dumps(saved).encode(), "application/json")})
    assert answer.status_code == 422
    assert 'id="checkpoint-error">the checkpoint&#39;s signature is not valid' in answer.text


# --- Verifying a report PDF -----------------------------------------------------------------------


@pytest.fixture
def report_pdf(client, auth_headers, active_model) -> tuple[int, bytes]:
    """A decline notice's PDF, as its holder downloaded it."""
    application_id = _application(client, auth_headers)
    review = client.post(f"/applications/{application_id}/review", json={
        "outcome": "decline", "note": "Payslips do not match the stated income.",
        "reason_codes": ["UW-INCOME-UNVERIFIED"]}, headers=auth_headers[UW])
    assert review.status_code == 201, review.text
    notices = client.get(f"/applications/{application_id}/notices",
                         headers=auth_headers[LO]).json()
    generated = client.post(f"/notices/{notices[0]['id']}/generate", headers=auth_headers[LO])
    assert generated.status_code == 201, generated.text
    report_id = int(generated.json()["report_id"])
    pdf = client.get(f"/reports/{report_id}/pdf", headers=auth_headers[CO])
    assert pdf.status_code == 200, pdf.text
    return report_id, pdf.content


def _upload(console_client, pdf: bytes, **kwargs):
    return console_client.post("/console/reports/verify",
                               files={"pdf": ("notice.pdf", pdf, "application/pdf")}, **kwargs)


def test_a_genuine_report_pdf_verifies_and_names_its_report_and_ledger_event(
        console, engine, report_pdf):
    report_id, pdf = report_pdf
    answer = _upload(console(AU), pdf)
    assert answer.status_code == 200, answer.text
    assert f"This file is report {report_id} (adverse action), unaltered" in answer.text
    with Session(engine) as session:
        created = session.exec(select(AuditEvent).where(
            AuditEvent.action == "report.created", AuditEvent.entity_id == str(report_id))).one()
        verified = session.exec(select(AuditEvent).where(
            AuditEvent.action == "report.verified", AuditEvent.entity_id == str(report_id))).one()
    assert f'href="/console/ledger/{created.seq}">Event {created.seq}</a>' in answer.text
    assert json.loads(verified.payload)["ok"] is True


def test_a_report_pdf_with_one_byte_changed_is_not_genuine_and_says_why(console, report_pdf):
    report_id, pdf = report_pdf
    middle = len(pdf) // 2
    altered = pdf[:middle] + bytes([pdf[middle] ^ 0x01]) + pdf[middle + 1:]
    answer = _upload(console(CO), altered)
    assert answer.status_code == 200
    assert "Not genuine" in answer.text and "Genuine</span>" not in answer.text
    assert (f"the file names report {report_id}, but its sha256" in answer.text
            and "the file was altered, or it is not that report" in answer.text)


def test_a_file_that_is_no_report_is_not_genuine(console):
    answer = _upload(console(AU), b"%PDF-1.4 not a riskdesk report")
    assert "Not genuine" in answer.text
    assert "does not name a riskdesk report" in answer.text


def test_verifying_without_a_file_asks_for_one(console):
    answer = console(AU).post("/console/reports/verify", {})
    assert answer.status_code == 422
    assert 'id="pdf-error">Choose the report&#39;s PDF file.' in answer.text


def test_report_verification_is_not_open_to_an_underwriter(console):
    assert console(UW).get("/console/reports/verify").status_code == 403


# --- CSRF -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/console/ledger/verify", "/console/reports/verify",
                                  "/console/ledger/checkpoint/verify"])
def test_a_form_without_the_csrf_token_is_refused(console, engine, path):
    answer = console(AU).post(path, {}, csrf=False)
    assert answer.status_code == 403
    with Session(engine) as session:
        assert session.exec(select(AuditEvent).where(
            AuditEvent.action == "ledger.verified")).first() is None


# --- Home ---------------------------------------------------------------------------------------


def test_the_auditors_home_counts_todays_events_and_shows_the_latest_checkpoint(
        console, engine, settings_env):
    from app.config import get_settings

    _append(engine, 4)
    with Session(engine) as session:
        head = service.verify(session).head_seq
    service.take_checkpoint(engine, get_settings())
    home = console(AU).get("/console").text
    midnight = datetime.combine(datetime.now(UTC).date(), time.min, tzinfo=UTC)
    with Session(engine) as session:
        today = session.exec(select(func.count()).select_from(AuditEvent).where(
            col(AuditEvent.occurred_at) >= midnight)).one()
    figure = re.search(r'<p class="figure">([\d,]+)</p>', home)
    assert figure is not None and int(figure.group(1).replace(",", "")) == today
    assert f"Event {head}, signed" in home


def test_the_auditor_panels_are_not_on_a_loan_officers_home(console):
    assert "Chain verification" not in console(LO).get("/console").text
