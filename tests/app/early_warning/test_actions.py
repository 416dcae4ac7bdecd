"""Rules → actions with guardrails: contact caps and snoozes, four eyes on high-impact actions,
the notice a limit cut owes, sentiment never cutting a limit alone, the exception queue and the
watch list's second-person exit."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.auth.roles import Role
from app.early_warning import actions, rulesets
from app.models import AccountAction, AuditEvent, Decision, LoanAccount, NoticeObligation
from app.models.base import utcnow
from tests.app.early_warning.conftest import LEAD, SV, UW, book, month, monthly_events, send

CO = Role.COMPLIANCE_OFFICER


def _publish(engine, document: dict) -> int:
    """Put ``document`` in force as a new version (drafted and published by the service in
    this set-up; the four-eyes path of publication is tested in test_rule_sets)."""
    with Session(engine) as session:
        actor = Principal.system("test")
        row = rulesets.draft(session, actor, document)
        rulesets._put_in_force(session, actor, row, "test set-up", event="ruleset.published")
        session.commit()
        return row.version


def _rule_set(*rules: dict) -> dict:
    document = rulesets.default_document()
    document["rules"] = list(rules)
    return document


def _actions(engine, account_id: str) -> list[AccountAction]:
    with Session(engine) as session:
        return list(session.exec(select(AccountAction).where(
            AccountAction.account_id == account_id).order_by(AccountAction.created_at)).all())


def _propose(client, auth_headers, role, account_id, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/accounts/{account_id}/proposals", headers=auth_headers[role],
                       json={"note": "by hand", **body})


def test_the_eighth_call_within_seven_days_is_held_and_email_is_not_capped(
        client, auth_headers, engine, monitoring):
    account_id = book(client, auth_headers)
    answers = [_propose(client, auth_headers, UW, account_id, kind="schedule_outreach",
                        channel="call").json() for _ in range(8)]
    assert [a["state"] for a in answers] == ["scheduled"] * 7 + ["held"]
    assert answers[-1]["held_reason"] == "contact_cap"
    email = _propose(client, auth_headers, UW, account_id, kind="schedule_outreach",
                     channel="email").json()
    assert email["state"] == "scheduled"
    portfolio = client.get("/portfolio", headers=auth_headers[CO]).json()
    assert portfolio["harm_counters"]["contacts_above_cap"] == 0


def test_a_snoozed_customer_gets_no_outreach_but_the_alert_is_still_raised(
        client, auth_headers, engine, monitoring):
    account_id = book(client, auth_headers)
    until = (utcnow() + timedelta(days=30)).isoformat()
    snooze = client.post(f"/accounts/{account_id}/snoozes", headers=auth_headers[UW],
                         json={"until": until, "reason": "hardship arrangement"})
    assert snooze.status_code == 201, snooze.text
    send(client, auth_headers, monthly_events(account_id, 2, paid=[1000.0, 0.0], dpd=[0, 12]))
    made = {(a.kind, a.state, a.held_reason) for a in _actions(engine, account_id)}
    assert ("schedule_outreach", "held", "snoozed") in made
    assert ("raise_alert", "open", None) in made
    lifted = client.post(f"/snoozes/{snooze.json()['id']}/lift", headers=auth_headers[UW])
    assert lifted.status_code == 200 and lifted.json()["lifted_at"] is not None


def test_a_limit_reduction_needs_a_second_person_and_opens_its_notice(
        client, auth_headers, engine, monitoring):
    account_id = book(client, auth_headers)
    # A current account whose payments fell: a cut not caused by delinquency is adverse.
    send(client, auth_headers, monthly_events(account_id, 6,
                                              paid=[1000, 1000, 1000, 1000, 200, 100]))
    proposed = _propose(client, auth_headers, UW, account_id, kind="propose_limit_reduction",
                        reduce_by_pct=30).json()
    assert proposed["state"] == "awaiting_approval" and proposed["maker_id"]
    own = client.post(f"/early-warning/actions/{proposed['id']}/approve",
                      headers=auth_headers[UW], json={"note": "approve my own"})
    assert own.status_code == 403 and own.json()["error"]["code"] == "four_eyes_same_person"
    approved = client.post(f"/early-warning/actions/{proposed['id']}/approve",
                           headers=auth_headers[LEAD], json={"note": "payments fell"})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["state"] == "approved" and body["notice_id"] and body["decision_id"]
    with Session(engine) as session:
        account = session.get(LoanAccount, account_id)
        notice = session.get(NoticeObligation, body["notice_id"])
        decision = session.get(Decision, body["decision_id"])
        events = [e.action for e in session.exec(select(AuditEvent).where(
            AuditEvent.entity_id == proposed["id"])).all()]
    assert str(account.credit_limit) == "3500.00"
    assert notice.kind == "limit_reduction" and notice.status == "pending"
    assert decision.adverse_action == "limit_reduction"
    assert events == ["account.action_raised", "account.action_approved"]
    harm = client.get("/portfolio", headers=auth_headers[CO]).json()["harm_counters"]
    assert harm == {"contacts_above_cap": 0, "limit_cuts_without_second_approver": 0,
                    "limit_cuts_without_notice": 0}


def test_a_cut_because_of_this_accounts_delinquency_owes_no_notice(
        client, auth_headers, engine, monitoring):
    account_id = book(client, auth_headers)
    send(client, auth_headers, monthly_events(account_id, 3, paid=[1000, 0, 0], dpd=[0, 30, 45]))
    proposed = _propose(client, auth_headers, LEAD, account_id, kind="propose_limit_reduction",
                        reduce_by_pct=50).json()
    approved = client.post(f"/early-warning/actions/{proposed['id']}/approve",
                           headers=auth_headers[UW], json={"note": "45 days past due"}).json()
    assert approved["state"] == "approved" and approved["notice_id"] is None
    assert approved["params"]["delinquent_at_approval"] is True


def test_a_rules_limit_reduction_is_endorsed_by_one_person_and_approved_by_another(
        client, auth_headers, engine, monitoring):
    _publish(engine, _rule_set({
        "id": "cut-on-high", "description": "cut",
        "when": {"signal": "payment_ratio_drop_threshold", "op": "==", "value": True},
        "actions": [{"kind": "propose_limit_reduction", "reduce_by_pct": 20}]}))
    account_id = book(client, auth_headers)
    send(client, auth_headers, monthly_events(account_id, 5, paid=[1000, 1000, 1000, 1000, 50]))
    [cut] = [a for a in _actions(engine, account_id) if a.kind == "propose_limit_reduction"]
    assert cut.state == "awaiting_endorsement" and cut.maker_id is None
    early = client.post(f"/early-warning/actions/{cut.id}/approve", headers=auth_headers[LEAD],
                        json={"note": "straight through"})
    assert early.status_code == 409  # nobody has taken it up yet: one signature is not two
    client.post(f"/early-warning/actions/{cut.id}/endorse", headers=auth_headers[UW],
                json={"note": "agree"}).raise_for_status()
    done = client.post(f"/early-warning/actions/{cut.id}/approve", headers=auth_headers[LEAD],
                       json={"note": "agree too"})
    assert done.status_code == 200 and done.json()["checker_id"] != done.json()["maker_id"]


def test_sentiment_alone_never_proposes_a_limit_cut(client, auth_headers, engine, monitoring):
    _publish(engine, _rule_set({
        "id": "angry-customer", "description": "sentiment only",
        "when": {"signal": "sentiment", "op": "<=", "value": -0.3},
        "actions": [{"kind": "propose_limit_reduction", "reduce_by_pct": 30},
                    {"kind": "raise_alert", "severity": "warning"}]}))
    account_id = book(client, auth_headers)
    send(client, auth_headers, [*monthly_events(account_id, 2), {
        "id": f"talk-{account_id}", "account_id": account_id, "kind": "support_interaction",
        "occurred_at": month(1).isoformat(), "channel": "phone",
        "text": "I was made redundant and I will file for bankruptcy"}])
    made = {a.kind: a for a in _actions(engine, account_id)}
    assert made["propose_limit_reduction"].state == "held"
    assert made["propose_limit_reduction"].held_reason == "sentiment_alone"
    assert made["raise_alert"].state == "open"


def test_an_account_turning_high_that_no_rule_covers_goes_to_the_exception_queue(
        client, auth_headers, engine, monitoring):
    _publish(engine, _rule_set({
        "id": "never", "description": "does not fire",
        "when": {"signal": "months_on_book", "op": ">", "value": 999},
        "actions": [{"kind": "raise_alert", "severity": "info"}]}))
    account_id = book(client, auth_headers)
    send(client, auth_headers, monthly_events(account_id, 4, paid=[1000, 1000, 0, 0],
                                              dpd=[0, 0, 35, 65]))
    queue = client.get("/early-warning/actions", params={"kind": "exception"},
                       headers=auth_headers[UW]).json()
    assert [q["account_id"] for q in queue] == [account_id]
    assert queue[0]["params"]["level"] == "high"


def test_leaving_the_watch_list_takes_a_second_person(client, auth_headers, engine, users,
                                                      monitoring):
    account_id = book(client, auth_headers)
    owner = str(users[UW].id)
    entry = client.post(f"/accounts/{account_id}/watch-list", headers=auth_headers[LEAD],
                        json={"owner_id": owner, "reason": "salary stopped"}).json()
    assert entry["owner_id"] == owner and entry["state"] == "active"
    requested = client.post(f"/watch-list/{entry['id']}/exit", headers=auth_headers[UW],
                            json={"note": "paying again"}).json()
    assert requested["state"] == "exit_requested"
    own = client.post(f"/watch-list/{entry['id']}/exit/approve", headers=auth_headers[UW],
                      json={"note": "fine by me"})
    assert own.status_code == 403
    approved = client.post(f"/watch-list/{entry['id']}/exit/approve",
                           headers=auth_headers[LEAD], json={"note": "agreed"}).json()
    assert approved["state"] == "exited" and approved["exited_by"] == str(users[LEAD].id)
    listed = client.get("/watch-list", headers=auth_headers[CO]).json()
    assert entry["id"] not in [e["id"] for e in listed]


def test_a_rule_adds_to_the_watch_list_with_a_named_owner(client, auth_headers, engine,
                                                          monitoring):
    account_id = book(client, auth_headers)
    send(client, auth_headers, monthly_events(account_id, 3, paid=[1000, 0, 0], dpd=[0, 20, 40]))
    [entry] = client.get("/watch-list", headers=auth_headers[LEAD]).json()
    assert entry["account_id"] == account_id and entry["owner_id"]
    with Session(engine) as session:
        published = rulesets.published(session)
    assert entry["owner_id"] == published.published_by


@pytest.mark.parametrize("kind", ["propose_limit_reduction", "propose_restructuring"])
def test_a_service_or_key_cannot_take_part_in_four_eyes(engine, monitoring, kind):
    with Session(engine) as session:
        with pytest.raises(Exception) as caught:
            actions.propose(session, Principal.system("x"), "NO-SUCH", kind,
                            {"reduce_by_pct": 10}, "note")
    assert "account" in str(caught.value) or "person" in str(caught.value)


def test_the_default_rule_set_is_the_bundled_document(engine, monitoring):
    with Session(engine) as session:
        row = rulesets.published(session)
    assert row.version == 1 and copy.deepcopy(row.body)["rules"]


def test_a_closed_account_takes_no_more_events_or_actions(client, auth_headers, engine, users,
                                                          monitoring):
    account_id = book(client, auth_headers)
    send(client, auth_headers, monthly_events(account_id, 2))
    pending = _propose(client, auth_headers, LEAD, account_id, kind="propose_limit_reduction",
                       reduce_by_pct=30).json()
    by_underwriter = client.post(f"/accounts/{account_id}/close", headers=auth_headers[UW],
                                 json={"reason": "repaid", "note": "paid off"})
    assert by_underwriter.status_code == 403
    closed = client.post(f"/accounts/{account_id}/close", headers=auth_headers[SV],
                         json={"reason": "repaid", "note": "paid off in full"})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["state"], closed.json()["closed_reason"],
            closed.json()["closed_note"]) == ("closed", "repaid", "paid off in full")
    again = client.post(f"/accounts/{account_id}/close", headers=auth_headers[SV],
                        json={"reason": "repaid", "note": "twice"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "account_closed"
    refused = [
        _propose(client, auth_headers, LEAD, account_id, kind="schedule_outreach",
                 channel="call"),
        client.post(f"/accounts/{account_id}/watch-list", headers=auth_headers[LEAD],
                    json={"owner_id": str(users[UW].id), "reason": "late"}),
        client.post(f"/accounts/{account_id}/snoozes", headers=auth_headers[UW],
                    json={"until": (utcnow() + timedelta(days=3)).isoformat(),
                          "reason": "bereavement"}),
        client.post(f"/early-warning/actions/{pending['id']}/approve",
                    headers=auth_headers[UW], json={"note": "cut"}),
    ]
    assert [(r.status_code, r.json()["error"]["code"]) for r in refused] == [
        (409, "account_closed")] * 4
    load = send(client, auth_headers, monthly_events(account_id, 1, start=2))
    assert {p["code"] for p in load["problems"]} == {"account_closed"}
    with Session(engine) as session:
        account = session.get(LoanAccount, account_id)
        closing = session.exec(select(AuditEvent).where(
            AuditEvent.action == "account.closed")).one()
    assert str(account.credit_limit) == "5000.00" and account.closed_by
    assert account.closed_note == "paid off in full"
    assert "paid off" not in closing.payload


def test_a_watch_list_entry_is_owned_by_someone_who_works_accounts(
        client, auth_headers, users, monitoring):
    account_id = book(client, auth_headers)
    answer = client.post(f"/accounts/{account_id}/watch-list", headers=auth_headers[LEAD],
                         json={"owner_id": str(users[Role.LOAN_OFFICER].id), "reason": "late"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "owner_cannot_work"
