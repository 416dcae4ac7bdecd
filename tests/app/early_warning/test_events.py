"""Receiving account events: idempotent, order-independent, strict per event without losing the
good ones, interaction text sealed and never in the clear."""

from __future__ import annotations

import json
import random

from sqlmodel import Session, select

from app.models import AccountAssessment, AccountEvent, AuditEvent, LoanAccount
from tests.app.early_warning.conftest import SV, book, month, monthly_events, send


def _account(engine, account_id: str) -> LoanAccount:
    with Session(engine) as session:
        account = session.get(LoanAccount, account_id)
        assert account is not None
        return account


def test_booking_takes_the_granted_terms_and_refuses_an_unapproved_application(
        client, auth_headers, engine, monitoring):
    account_id = book(client, auth_headers)
    answer = client.get(f"/accounts/{account_id}", headers=auth_headers[SV])
    assert answer.status_code == 403  # servicing books and sends events; it reads no accounts
    account = _account(engine, account_id)
    assert (account.product, str(account.credit_limit), account.level) == (
        "revolving", "5000.00", "low")
    assert account.principal > 0 and account.monthly_payment > 0
    again = client.post("/accounts", headers=auth_headers[SV], json={
        "account_id": "OTHER-1", "application_id": account.application_id,
        "product": "instalment"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "application_booked"


def test_sending_a_batch_twice_applies_it_once(client, auth_headers, engine, monitoring):
    account_id = book(client, auth_headers)
    events = monthly_events(account_id, 4)
    first = send(client, auth_headers, events)
    second = send(client, auth_headers, events)
    assert (first["applied"], first["duplicates"], first["rejected"]) == (len(events), 0, 0)
    assert (second["applied"], second["duplicates"], second["rejected"]) == (0, len(events), 0)
    with Session(engine) as session:
        stored = session.exec(select(AccountEvent).where(
            AccountEvent.account_id == account_id)).all()
    assert len(stored) == len(events)
    assert _account(engine, account_id).events_applied == len(events)


def test_events_arriving_out_of_order_leave_the_account_as_in_order(
        client, auth_headers, engine, monitoring):
    in_order, shuffled = book(client, auth_headers), book(client, auth_headers)
    paid = [1000.0, 1000.0, 400.0, 0.0, 0.0]
    dpd = [0, 0, 0, 35, 65]
    send(client, auth_headers, monthly_events(in_order, 5, paid=paid, dpd=dpd))
    events = monthly_events(shuffled, 5, paid=paid, dpd=dpd)
    random.Random(3).shuffle(events)
    for start in range(0, len(events), 3):  # in several batches, each out of order
        send(client, auth_headers, events[start:start + 3])
    a, b = _account(engine, in_order), _account(engine, shuffled)
    assert a.history == b.history
    assert (a.days_past_due, a.level, a.behavioural_pd) == (b.days_past_due, b.level,
                                                            b.behavioural_pd)
    assert a.days_past_due == 65 and a.dpd_bucket == "61-90" and a.level == "high"


def test_a_bad_event_is_reported_and_the_good_ones_are_loaded(
        client, auth_headers, engine, monitoring):
    account_id = book(client, auth_headers)
    good = monthly_events(account_id, 1)
    bad = [
        {"id": "bad-1", "account_id": account_id, "kind": "payment_due",
         "occurred_at": month(0).isoformat(), "amount": "-5.00"},
        {"id": "bad-2", "account_id": account_id, "kind": "teleport",
         "occurred_at": month(0).isoformat()},
        {"id": "bad-3", "account_id": "NO-SUCH", "kind": "engagement",
         "occurred_at": month(0).isoformat(), "activity": "sign_in"},
        {"id": "bad-4", "account_id": account_id, "kind": "engagement",
         "occurred_at": "2026-01-05T09:00:00", "activity": "sign_in"},  # no offset
        "not an object",
    ]
    load = send(client, auth_headers, [bad[0], *good, *bad[1:]])
    assert (load["applied"], load["rejected"]) == (len(good), len(bad))
    codes = {(p["index"], p["code"]) for p in load["problems"]}
    assert {(0, "invalid_event"), (len(good) + 2, "account_not_found")} <= codes
    assert {p["index"] for p in load["problems"]} == {0, *range(len(good) + 1, len(good) + 5)}
    [teleport] = [p for p in load["problems"] if p["event_id"] == "bad-2"]
    assert teleport["field"] == "kind" and "payment_due" in teleport["message"]
    named = send(client, auth_headers, [dict(bad[1], id="bad-5", kind="Alex Example")])
    assert "Alex" not in json.dumps(named)
    extra = client.post("/events", headers=auth_headers[SV],
                        json={"events": good, "source": "nightly"})
    assert extra.status_code == 422
    reused = dict(good[0], amount="1.00")
    again = send(client, auth_headers, [reused])
    assert again["problems"][0]["code"] == "event_id_reused" and again["applied"] == 0


def test_interaction_text_is_sealed_and_only_its_scores_are_clear(
        client, auth_headers, engine, monitoring):
    account_id = book(client, auth_headers)
    text = "I was made redundant and my payment will be late"
    send(client, auth_headers, [{
        "id": "talk-1", "account_id": account_id, "kind": "support_interaction",
        "occurred_at": month(0).isoformat(), "channel": "phone", "text": text}])
    with Session(engine) as session:
        event = session.get(AccountEvent, "talk-1")
        assert event is not None and event.text_sealed is not None
        assert text.encode() not in event.text_sealed
        assert "text" not in event.payload and event.derived["compound"] < -0.3
        ledger = " ".join(e.payload for e in session.exec(select(AuditEvent)).all())
        account = session.get(LoanAccount, account_id)
    assert "redundant" not in ledger and "redundant" not in json.dumps(account.history)
    assert account.signals["distress_terms"] >= 2


def test_every_load_is_one_ledger_event_and_each_assessment_is_kept(
        client, auth_headers, engine, monitoring):
    account_id = book(client, auth_headers)
    load = send(client, auth_headers, monthly_events(account_id, 3))
    with Session(engine) as session:
        [event] = session.exec(select(AuditEvent).where(
            AuditEvent.action == "events.loaded", AuditEvent.entity_id == load["id"])).all()
        assessments = session.exec(select(AccountAssessment).where(
            AccountAssessment.account_id == account_id)).all()
    payload = json.loads(event.payload)
    assert payload["applied"] == load["applied"] and payload["rule_set_version"] == 1
    assert len(assessments) == 1 and assessments[0].signals["months_on_book"] == 2


def test_an_event_from_the_future_or_the_distant_past_is_refused_on_its_own(
        client, auth_headers, engine, monitoring):
    # A payment dated 2099 would otherwise stand as the latest status for decades and hide
    # every arrears reported meanwhile; the year 1 overflows once converted to UTC.
    account_id = book(client, auth_headers)
    good = monthly_events(account_id, 2)
    odd = [
        {"id": "future", "account_id": account_id, "kind": "payment_paid",
         "occurred_at": "2099-01-01T00:00:00+00:00", "amount": "10.00", "days_past_due": 0},
        {"id": "year-1", "account_id": account_id, "kind": "engagement",
         "occurred_at": "0001-01-01T00:30:00+01:00", "activity": "sign_in"},
        {"id": "year-9999", "account_id": account_id, "kind": "engagement",
         "occurred_at": "9999-12-31T23:30:00-01:00", "activity": "sign_in"},
        {"id": "year-1900", "account_id": account_id, "kind": "engagement",
         "occurred_at": "1900-06-01T00:00:00+00:00", "activity": "sign_in"},
    ]
    load = send(client, auth_headers, [*odd, *good])
    assert (load["applied"], load["rejected"]) == (len(good), len(odd))
    assert {(p["event_id"], p["code"]) for p in load["problems"]} == {
        (e["id"], "occurred_at_out_of_range") for e in odd}
    send(client, auth_headers, monthly_events(account_id, 1, paid=[0.0], dpd=[75], start=2))
    assert _account(engine, account_id).days_past_due == 75


def test_two_statuses_at_the_same_moment_give_the_worse_in_any_order(
        client, auth_headers, engine, monitoring):
    at = month(0).isoformat()

    def late(account_id: str, days: int) -> dict:
        return {"id": f"tie-{account_id}-{days}", "account_id": account_id,
                "kind": "payment_late", "occurred_at": at, "days_past_due": days}

    first, second, together = (book(client, auth_headers) for _ in range(3))
    send(client, auth_headers, [late(first, 10)])
    send(client, auth_headers, [late(first, 80)])
    send(client, auth_headers, [late(second, 80)])
    send(client, auth_headers, [late(second, 10)])
    send(client, auth_headers, [late(together, 80), late(together, 10)])
    accounts = [_account(engine, a) for a in (first, second, together)]
    assert [a.days_past_due for a in accounts] == [80, 80, 80]
    assert accounts[0].history["cycles"] == accounts[1].history["cycles"]


def test_an_erased_customers_interaction_is_refused_and_the_batch_goes_on(
        client, auth_headers, engine, users, monitoring):
    from app.auth.principal import Principal
    from app.models import DataSubject
    from app.models.base import utcnow
    from app.subjects.erasure import shred

    erased, other = book(client, auth_headers), book(client, auth_headers)
    with Session(engine) as session:
        subject = session.get(DataSubject, _account(engine, erased).subject_id)
        shred(session, Principal.system("test"), subject, cause="erasure", now=utcnow(),
              details={})
        session.commit()
    talk = {"id": "talk-erased", "account_id": erased, "kind": "support_interaction",
            "occurred_at": month(0).isoformat(), "channel": "phone", "text": "hello"}
    good = monthly_events(other, 2)
    load = send(client, auth_headers, [talk, *good, *monthly_events(erased, 1)])
    assert load["applied"] == len(good) + 2 and load["rejected"] == 1
    assert [(p["event_id"], p["code"]) for p in load["problems"]] == [
        ("talk-erased", "personal_data_erased")]


def test_a_full_batch_fits_in_one_request_and_a_longer_problem_list_says_what_it_left_out(
        client, auth_headers, engine, monitoring):
    account_id = book(client, auth_headers)
    base = month(0)
    full = [{"id": f"full-{i:05d}", "account_id": account_id, "kind": "engagement",
             "occurred_at": base.isoformat(), "activity": "sign_in"} for i in range(4_990)]
    full += monthly_events(account_id, 5)
    load = send(client, auth_headers, full)
    assert load["applied"] == len(full) == 5_000
    bad = [{"id": f"bad-{i}", "account_id": account_id, "kind": "engagement",
            "occurred_at": base.isoformat(), "activity": "dancing"} for i in range(250)]
    listed = send(client, auth_headers, bad)
    assert listed["rejected"] == 250 and len(listed["problems"]) == 201
    assert listed["problems"][-1]["code"] == "more_problems"
    assert listed["problems"][-1]["index"] == 200 and "50 more" in listed["problems"][-1]["message"]
