"""Rule-set versions: every problem named with its path, shadow before publication, a second
person publishes, one-step rollback, and a shadow run never acts."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from app.auth.roles import Role
from app.models import AccountAction, AuditEvent, CustomerSnooze, WatchListEntry
from tests.app.early_warning.conftest import LEAD, UW, book, monthly_events, send

MV = Role.MODEL_VALIDATOR


def _document(client, auth_headers) -> dict:  # type: ignore[no-untyped-def]
    return client.get("/rule-sets/1", headers=auth_headers[UW]).json()["body"]


def _count(engine, model) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_bad_document_is_refused_with_every_problem_at_its_path(client, auth_headers,
                                                                   monitoring):
    document = _document(client, auth_headers)
    document["rules"][0]["when"] = {"signal": "sex", "op": "==", "value": "female"}
    document["rules"][1]["actions"] = [{"kind": "teleport"}]
    answer = client.post("/rule-sets", headers=auth_headers[LEAD], json={"body": document})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_rule_set"
    paths = {p["path"] for p in error["details"]}
    assert {"rules[0].when.signal", "rules[1].actions[0].kind"} <= paths
    assert client.get("/rule-sets/2", headers=auth_headers[UW]).status_code == 404


def test_publication_needs_a_shadow_run_and_a_second_person(client, auth_headers, monitoring):
    document = _document(client, auth_headers)
    document["description"] = "tighter reminders"
    draft = client.post("/rule-sets", headers=auth_headers[LEAD],
                        json={"body": document, "based_on": 1}).json()
    assert (draft["version"], draft["state"]) == (2, "draft")
    early = client.post("/rule-sets/2/publish", headers=auth_headers[MV],
                        json={"reason": "looks right"})
    assert early.json()["error"]["code"] == "shadow_run_required"
    shadowed = client.post("/rule-sets/2/shadow", headers=auth_headers[LEAD]).json()
    assert shadowed["shadow"]["sha256"] == draft["sha256"]
    own = client.post("/rule-sets/2/publish", headers=auth_headers[LEAD],
                      json={"reason": "my own"})
    assert own.status_code == 403
    published = client.post("/rule-sets/2/publish", headers=auth_headers[MV],
                            json={"reason": "reviewed the shadow figures"}).json()
    assert published["state"] == "published"
    assert client.get("/rule-sets/1", headers=auth_headers[UW]).json()["state"] == "superseded"


def test_rollback_puts_the_previous_version_back_in_one_step(client, auth_headers, engine,
                                                             monitoring):
    document = _document(client, auth_headers)
    document["description"] = "version two"
    client.post("/rule-sets", headers=auth_headers[LEAD], json={"body": document})
    client.post("/rule-sets/2/shadow", headers=auth_headers[LEAD]).raise_for_status()
    client.post("/rule-sets/2/publish", headers=auth_headers[MV],
                json={"reason": "shadow reviewed"}).raise_for_status()
    back = client.post("/rule-sets/rollback", headers=auth_headers[MV],
                       json={"reason": "too many alerts"})
    assert back.status_code == 200 and back.json()["version"] == 1
    states = {r["version"]: r["state"] for r in
              client.get("/rule-sets", headers=auth_headers[UW]).json()}
    assert states == {1: "published", 2: "withdrawn"}
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).where(
            AuditEvent.entity_type == "rule_set").order_by(AuditEvent.seq)).all()]
    assert actions[-1] == "ruleset.rolled_back"
    nothing = client.post("/rule-sets/rollback", headers=auth_headers[MV],
                          json={"reason": "again"})
    assert nothing.status_code == 409


def test_a_shadow_run_reports_what_it_would_do_and_does_nothing(client, auth_headers, engine,
                                                                monitoring):
    account_id = book(client, auth_headers)
    send(client, auth_headers, monthly_events(account_id, 3, paid=[1000, 0, 0], dpd=[0, 20, 40]))
    document = _document(client, auth_headers)
    document["rules"] = [{"id": "everyone", "description": "every account, every time",
                          "when": {"signal": "months_on_book", "op": ">=", "value": 0},
                          "actions": [{"kind": "schedule_outreach", "channel": "call"},
                                      {"kind": "add_to_watch_list"}]}]
    client.post("/rule-sets", headers=auth_headers[LEAD], json={"body": document})
    before = (_count(engine, AccountAction), _count(engine, WatchListEntry),
              _count(engine, CustomerSnooze))
    shadow = client.post("/rule-sets/2/shadow", headers=auth_headers[LEAD]).json()["shadow"]
    assert shadow["accounts_alerted"] == 1 and shadow["snapshots"] >= 1
    assert (_count(engine, AccountAction), _count(engine, WatchListEntry),
            _count(engine, CustomerSnooze)) == before


def test_each_version_keeps_its_own_figures(client, auth_headers, engine, monitoring):
    account_id = book(client, auth_headers)
    send(client, auth_headers, monthly_events(account_id, 2, paid=[1000, 0], dpd=[0, 12]))
    figures = client.get("/rule-sets/1", headers=auth_headers[UW]).json()["figures"]
    assert figures["accounts_with_actions"] == 1
    assert set(figures["actions"]) >= {"raise_alert", "schedule_outreach"}
