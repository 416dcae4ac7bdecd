"""The early-warning console screens: the portfolio with its harm counters, the queue and its
buttons by role and state, an account's detail and watch-list exit, the rule-set versions, the
home panels, and four eyes on approvals made through the console."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from app.auth.roles import Role
from app.early_warning import actions as actions_service
from app.models import AccountAction, AuditEvent, WatchListEntry
from tests.app.early_warning.conftest import (  # noqa: F401 (fixtures, found by name)
    LEAD,
    UW,
    behavioural_training,
    book,
    monitoring,
    monthly_events,
    send,
)

pytestmark = pytest.mark.postgres
CO, AU, MV, LO, SV = (Role.COMPLIANCE_OFFICER, Role.AUDITOR, Role.MODEL_VALIDATOR,
                      Role.LOAN_OFFICER, Role.SERVICING)
# The behavioural champion and the bundled rule set, in force in the test's database.
monitored = pytest.mark.usefixtures("monitoring")
PAGES = {"portfolio": "/console/portfolio", "queue": "/console/early-warning",
         "rule sets": "/console/rule-sets"}


def _delinquent(client, auth_headers) -> str:
    """An account three months in, 40 days past due: the bundled rules open a case on it."""
    account_id = book(client, auth_headers)
    send(client, auth_headers, monthly_events(account_id, 3, paid=[1000, 0, 0], dpd=[0, 20, 40]))
    return account_id


def _proposal(client, auth_headers, account_id: str,
              maker: Role) -> str:
    """A restructuring proposed by hand: it waits for a person other than ``maker``."""
    answer = client.post(f"/accounts/{account_id}/proposals", headers=auth_headers[maker],
                         json={"kind": "propose_restructuring", "note": "hardship"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == "awaiting_approval"
    return str(answer.json()["id"])


def _action(engine, action_id: str) -> AccountAction:
    with Session(engine) as session:
        found = session.get(AccountAction, action_id)
        assert found is not None
        return found


def _kinds(html: str) -> list[str]:
    """The kind of each action row of a queue page, in order."""
    return re.findall(r'<tr id="action-[^"]+">\s*<th scope="row">.*?</th>\s*<td>([^<]+)', html,
                      re.S)


def _row(html: str, action_id: str) -> str:
    found = re.search(rf'<tr id="action-{action_id}">.*?</tr>', html, re.S)
    assert found is not None, html
    return found.group(0)


# --- Each page for an allowed role, refused to another ---------------------------------------


@monitored
@pytest.mark.parametrize(("page", "role"), [("portfolio", CO), ("queue", UW),
                                            ("rule sets", MV)])
def test_each_early_warning_page_renders_for_a_role_allowed_it(page, role, console):
    answer = console(role).get(PAGES[page])
    assert answer.status_code == 200, answer.text
    assert f'href="{PAGES[page]}" aria-current="page"' in answer.text


@pytest.mark.parametrize(("page", "role"), [("portfolio", LO), ("queue", LO),
                                            ("rule sets", SV)])
def test_each_early_warning_page_is_refused_to_a_role_not_allowed_it(page, role, console):
    answer = console(role).get(PAGES[page])
    assert answer.status_code == 403
    assert "role_not_allowed" in answer.text and PAGES[page] not in re.findall(
        r'href="([^"]+)"', answer.text)


@monitored
def test_the_account_page_shows_terms_signals_history_and_actions_to_an_auditor(
        console, client, auth_headers):
    account_id = _delinquent(client, auth_headers)
    answer = console(AU).get(f"/console/accounts/{account_id}")
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert "5,000.00" in html  # the credit limit it was booked with
    assert '<th scope="row" class="mono">days_past_due</th><td>40</td>' in html
    assert "Level history" in html and "<td>events</td>" in html
    assert 'id="action-' in html
    # An auditor reads; working the account is an underwriter's.
    assert "<form method=\"post\" action=\"/console/early-warning/actions/" not in html


@monitored
def test_the_account_page_is_refused_to_a_loan_officer(console, client, auth_headers):
    account_id = book(client, auth_headers)
    assert console(LO).get(f"/console/accounts/{account_id}").status_code == 403


# --- Portfolio -------------------------------------------------------------------------------


@monitored
def test_the_portfolio_counts_accounts_by_level_and_bucket_with_a_table_beside_each_chart(
        console, client, auth_headers):
    _delinquent(client, auth_headers)
    book(client, auth_headers)
    html = console(CO).get("/console/portfolio").text
    assert "2 open loan accounts" in html
    assert '<tr><th scope="row">31-60</th><td class="num">1</td></tr>' in html
    assert '<tr><th scope="row">current</th><td class="num">1</td></tr>' in html
    assert html.count("<svg") == 3
    assert "Zero, as it must be" in html and "Not zero" not in html


@monitored
def test_a_non_zero_harm_counter_stands_out_on_the_portfolio(console, monkeypatch):
    monkeypatch.setattr(actions_service, "harm_counters", lambda session, cap=None: {
        "contacts_above_cap": 0, "limit_cuts_without_second_approver": 1,
        "limit_cuts_without_notice": 0})
    html = console(CO).get("/console/portfolio").text
    row = re.search(r'<tr id="harm-limit_cuts_without_second_approver">.*?</tr>', html, re.S)
    assert row is not None and "Not zero: must be 0" in row.group(0)
    assert 'class="notice error" role="alert"' in html


# --- The queue and four eyes -----------------------------------------------------------------


@monitored
def test_the_queue_filters_by_kind(console, client, auth_headers):
    account_id = _delinquent(client, auth_headers)
    _proposal(client, auth_headers, account_id, UW)
    browser = console(LEAD)
    everything = browser.get("/console/early-warning").text
    only = browser.get("/console/early-warning", params={"kind": "propose_restructuring"}).text
    assert {"open case", "propose restructuring"} <= set(_kinds(everything))
    assert _kinds(only) == ["propose restructuring"]


@monitored
def test_the_maker_is_told_a_different_person_must_approve_instead_of_a_button(
        console, client, auth_headers):
    action_id = _proposal(client, auth_headers, book(client, auth_headers), UW)
    row = _row(console(UW).get("/console/early-warning").text, action_id)
    assert "a different person must approve it" in row
    assert f"/console/early-warning/actions/{action_id}/approve" not in row


@monitored
def test_an_approve_posted_by_the_maker_is_refused_and_changes_nothing(
        console, client, auth_headers, engine):
    action_id = _proposal(client, auth_headers, book(client, auth_headers), UW)
    answer = console(UW).post(f"/console/early-warning/actions/{action_id}/approve",
                              {"note": "my own"})
    assert answer.status_code == 403
    assert "four_eyes_same_person" in answer.text and "different person" in answer.text
    assert _action(engine, action_id).state == "awaiting_approval"


@monitored
def test_a_second_person_approves_through_the_console_and_the_ledger_records_it(
        console, client, auth_headers, engine, users):
    action_id = _proposal(client, auth_headers, book(client, auth_headers), UW)
    browser = console(LEAD)
    assert f"/console/early-warning/actions/{action_id}/approve" in _row(
        browser.get("/console/early-warning").text, action_id)
    answer = browser.post(f"/console/early-warning/actions/{action_id}/approve",
                          {"note": "terms agreed", "next": "/console/early-warning"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/early-warning?result=approved"
    action = _action(engine, action_id)
    assert action.state == "approved" and action.checker_id == str(users[LEAD].id)
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(
            AuditEvent.entity_id == action_id,
            AuditEvent.action == "account.action_approved")).all()
    assert len(events) == 1 and events[0].actor_id == str(users[LEAD].id)


@monitored
def test_a_decision_without_a_reason_is_shown_beside_its_field_and_changes_nothing(
        console, client, auth_headers, engine):
    action_id = _proposal(client, auth_headers, book(client, auth_headers), UW)
    answer = console(LEAD).post(f"/console/early-warning/actions/{action_id}/approve",
                                {"note": "x"})
    assert answer.status_code == 422
    assert f'aria-describedby="note-approve-{action_id}-error"' in answer.text
    assert _action(engine, action_id).state == "awaiting_approval"


@monitored
def test_closing_a_case_from_the_account_page_goes_back_to_it(
        console, client, auth_headers, engine):
    account_id = _delinquent(client, auth_headers)
    with Session(engine) as session:
        alert = session.exec(select(AccountAction).where(
            AccountAction.account_id == account_id, AccountAction.kind == "open_case",
            AccountAction.state == "open")).first()
    assert alert is not None
    page = f"/console/accounts/{account_id}"
    answer = console(UW).post(f"/console/early-warning/actions/{alert.id}/close",
                              {"note": "customer called back", "next": page})
    assert answer.status_code == 303 and answer.headers["location"] == f"{page}?result=closed"
    assert _action(engine, alert.id).state == "closed"


@monitored
def test_a_watch_list_exit_asked_by_one_person_is_approved_by_another(
        console, client, auth_headers, engine, users):
    account_id = book(client, auth_headers)
    entry = client.post(f"/accounts/{account_id}/watch-list", headers=auth_headers[LEAD],
                        json={"owner_id": str(users[UW].id), "reason": "salary stopped"}).json()
    page = f"/console/accounts/{account_id}"
    asker, checker = console(UW), console(LEAD)
    asked = asker.post(f"/console/watch-list/{entry['id']}/exit",
                       {"note": "paying again", "next": page})
    assert asked.status_code == 303
    own = asker.get(page).text
    assert "a different person must approve it" in own
    assert f"/console/watch-list/{entry['id']}/exit/approve" not in own
    assert f"/console/watch-list/{entry['id']}/exit/approve" in checker.get(page).text
    done = checker.post(f"/console/watch-list/{entry['id']}/exit/approve",
                        {"note": "agreed", "next": page})
    assert done.status_code == 303
    with Session(engine) as session:
        row = session.get(WatchListEntry, entry["id"])
    assert row is not None and row.state == "exited" and row.exited_by == str(users[LEAD].id)


# --- Rule sets and home panels ---------------------------------------------------------------


@monitored
def test_the_rule_sets_page_shows_the_published_version_and_its_sha(
        console, client, auth_headers):
    [published] = [v for v in client.get("/rule-sets", headers=auth_headers[MV]).json()
                   if v["state"] == "published"]
    html = console(MV).get("/console/rule-sets").text
    assert f'id="version-{published["version"]}"' in html and published["sha256"] in html
    assert "<form method=\"post\"" not in html.split('<main id="main"', 1)[1]


@monitored
def test_the_underwriter_home_counts_actions_awaiting_them_but_not_their_own_proposal(
        console, client, auth_headers):
    _proposal(client, auth_headers, book(client, auth_headers), UW)
    figures = {role: re.search(r'Early-warning actions awaiting you</h2>\s*<p class="figure">'
                                r'(\d+)</p>', console(role).get("/console").text)
               for role in (UW, LEAD)}
    assert figures[UW] is not None and figures[UW].group(1) == "0"
    assert figures[LEAD] is not None and figures[LEAD].group(1) == "1"


@monitored
def test_the_compliance_home_summarises_the_portfolio_with_its_harm_counters(
        console, client, auth_headers):
    book(client, auth_headers)
    html = console(CO).get("/console").text
    assert re.search(r'Portfolio and harm counters</h2>\s*<p class="figure">1</p>', html)
    assert "Harm counters all zero" in html
    assert "Portfolio and harm counters" not in console(UW).get("/console").text


def test_flows_between_levels_are_laid_out_a_row_a_month_newest_first():
    from app.console.pages.early_warning import _flow_rows

    rows = _flow_rows([
        {"month": "2026-02", "from_month": "2026-01",
         "moves": [{"from": "low", "to": "low", "accounts": 5},
                   {"from": "low", "to": "high", "accounts": 2}]},
        {"month": "2026-03", "from_month": "2026-02",
         "moves": [{"from": "high", "to": "medium", "accounts": 1}]}])
    assert [r["month"] for r in rows] == ["2026-03", "2026-02"]
    # Columns run from low → low to high → high.
    assert rows[1]["counts"] == [5, 0, 2, 0, 0, 0, 0, 0, 0] and rows[1]["changed"] == 2
    assert rows[0]["counts"][7] == 1 and rows[0]["changed"] == 1
