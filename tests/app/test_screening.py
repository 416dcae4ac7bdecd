"""Sanctions screening in the service: list versions, screening at intake, four-eyes
dispositions that are remembered, and rescreening when a new list version is loaded."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.auth.roles import Role
from tests.app.application_documents import good_application

# An individual on the bundled OFAC SDN list (entry 7647): "ADEMI, Xhevat", DOB 08 Dec 1962.
LISTED = {"kyc.full_name": "Xhevat Ademi", "kyc.date_of_birth": "1962-12-08"}
LISTED_ENTRY = "7647"
OFAC_LINE = ('{ent},"{name}","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
             '"DOB {dob}."\r\n')
SMALL_LIST = (OFAC_LINE.format(ent=1, name="ADEMI, Xhevat", dob="08 Dec 1962")
              + OFAC_LINE.format(ent=2, name="ROE, Richard", dob="01 Jan 1950"))


def _submit(client, auth_headers, document):
    response = client.post("/applications", json=document,
                           headers=auth_headers[Role.LOAN_OFFICER])
    assert response.status_code == 201, response.text
    return response.json()


def _cases(client, auth_headers, application_id):
    response = client.get("/cases", params={"limit": 500},
                          headers=auth_headers[Role.UNDERWRITER])
    return [c for c in response.json()["items"] if c["application_id"] == application_id]


def _load(engine, data: str | bytes, *, name: str = "sdn.csv", accept: bool = False):
    from app.auth.principal import Principal
    from app.db import session_scope
    from app.jobs import queue_rescreen
    from app.screening import service

    raw = data.encode() if isinstance(data, str) else data
    with session_scope(engine) as session:
        loaded = service.load_list(session, Principal.system("test"), "ofac-sdn", raw, name,
                                   accept_problems=accept, allow_shrink=True)
        rescreen_id = loaded.rescreen.id if loaded.rescreen else None
        version_id = loaded.version.id
    if rescreen_id is not None:
        queue_rescreen(rescreen_id)  # runs now: the suite's jobs are immediate
    return version_id, rescreen_id


def _dispose(client, auth_headers, case_id, disposition, entry_ids=(), *,
             maker=Role.UNDERWRITER, checker=Role.UNDERWRITING_LEAD):
    proposed = client.post(f"/cases/{case_id}/disposition", json={
        "disposition": disposition, "entry_ids": list(entry_ids),
        "note": "compared the identity documents with the listing"},
        headers=auth_headers[maker])
    assert proposed.status_code == 202, proposed.text
    approved = client.post(f"/approvals/{proposed.json()['id']}/approve",
                           headers=auth_headers[checker])
    assert approved.status_code == 201, approved.text
    return approved.json()


def test_a_listed_applicant_is_referred_with_a_sanctions_case_whatever_the_caller_says(
        client, auth_headers, active_model, engine):
    app = _submit(client, auth_headers, good_application(**LISTED))
    assert app["outcome"] == "refer"
    assert "KO-SANCTIONS-REVIEW" in [k["code"] for k in app["decisions"][0]["knockouts"]]
    cases = _cases(client, auth_headers, app["id"])
    # The match is the underwriters' first job: one sanctions case, no referral beside it.
    assert [c["kind"] for c in cases] == ["sanctions_match"]
    party = cases[0]["detail"]["parties"][0]
    assert party["party"] == "applicant"
    assert [m["entry_id"] for m in party["matches"]] == [LISTED_ENTRY]
    detail = client.get(f"/cases/{cases[0]['id']}", headers=auth_headers[Role.UNDERWRITER])
    match = detail.json()["matches"][0]
    assert match["entry"]["name"] == "ADEMI, Xhevat" and match["score"] >= 0.85
    assert match["features"]["dob_match"] > 0

    from app.models import AuditEvent
    with Session(engine) as session:
        payloads = [json.dumps(e.payload) for e in session.exec(select(AuditEvent)).scalars()]
    # Names go to the matcher, never to the ledger.
    assert not any("Ademi" in p or "ADEMI" in p or "Xhevat" in p for p in payloads)


def test_a_clear_applicant_stays_clear_and_the_callers_stricter_status_wins(
        client, auth_headers, active_model):
    clear = _submit(client, auth_headers, good_application())
    assert clear["outcome"] == "approve"
    caller_says = _submit(client, auth_headers, good_application(
        **{"kyc.sanctions_screening.status": "potential_match"}))
    assert caller_says["outcome"] == "refer"
    cases = _cases(client, auth_headers, caller_says["id"])
    assert [c["kind"] for c in cases] == ["sanctions_match"]
    assert cases[0]["detail"]["caller_status"] == "potential_match"


def test_co_applicant_and_guarantor_are_screened(client, auth_headers, active_model):
    guarantor = _submit(client, auth_headers, good_application(guarantor={
        "full_name": "Xhevat Ademi", "date_of_birth": "1962-12-08", "national_id": "G1234567"}))
    assert guarantor["outcome"] == "refer"
    parties = _cases(client, auth_headers, guarantor["id"])[0]["detail"]["parties"]
    assert [p["party"] for p in parties] == ["guarantor"]
    co = _submit(client, auth_headers, good_application(co_applicant={
        "full_name": "Ademi Xhevat", "date_of_birth": "1962-12-08", "national_id": "C1234567",
        "monthly_income": "1000.00"}))
    assert [p["party"] for p in _cases(client, auth_headers, co["id"])[0]["detail"]["parties"]
            ] == ["co_applicant"]


def test_no_one_decides_an_application_while_its_sanctions_case_waits(
        client, auth_headers, active_model):
    app = _submit(client, auth_headers, good_application(**LISTED))
    response = client.post(f"/applications/{app['id']}/review", json={
        "outcome": "approve", "note": "looks fine"}, headers=auth_headers[Role.UNDERWRITER])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sanctions_match_open"


def test_a_disposition_is_four_eyes(client, auth_headers, active_model):
    app = _submit(client, auth_headers, good_application(**LISTED))
    case_id = _cases(client, auth_headers, app["id"])[0]["id"]
    proposed = client.post(f"/cases/{case_id}/disposition", json={
        "disposition": "false_positive", "note": "different person"},
        headers=auth_headers[Role.UNDERWRITER])
    assert proposed.status_code == 202
    assert proposed.json()["rules"] == ["sanctions_match_disposition"]
    own = client.post(f"/approvals/{proposed.json()['id']}/approve",
                      headers=auth_headers[Role.UNDERWRITER])
    assert own.status_code in (403, 409)
    # Until a second underwriter approves, the case waits and nothing is remembered.
    case = client.get(f"/cases/{case_id}", headers=auth_headers[Role.UNDERWRITER]).json()
    assert case["state"] == "pending_approval"
    assert case["matches"][0]["disposition"] is None
    assert client.get(f"/applications/{app['id']}",
                      headers=auth_headers[Role.UNDERWRITER]).json()["outcome"] == "refer"


def test_a_false_positive_suppresses_that_person_against_that_entry_only(
        client, auth_headers, active_model):
    first = _submit(client, auth_headers, good_application(**LISTED))
    case_id = _cases(client, auth_headers, first["id"])[0]["id"]
    done = _dispose(client, auth_headers, case_id, "false_positive")
    assert [d["entry_id"] for d in done["dispositions"]] == [LISTED_ENTRY]
    # Cleared, the application is decided on its merits: it joins the referral queue.
    kinds = {c["kind"]: c["state"] for c in _cases(client, auth_headers, first["id"])}
    assert kinds == {"sanctions_match": "decided", "referral": "open"}

    again = _submit(client, auth_headers, good_application(**LISTED))
    assert again["outcome"] == "approve"  # the same person: not raised again
    other = _submit(client, auth_headers, good_application(**{
        **LISTED, "kyc.national_id": "X99000111"}))
    assert other["outcome"] == "refer"  # another person of that name and birth date: raised


def test_a_changed_listing_raises_a_cleared_person_again(client, auth_headers, active_model,
                                                          engine):
    first = _submit(client, auth_headers, good_application(**LISTED))
    _dispose(client, auth_headers, _cases(client, auth_headers, first["id"])[0]["id"],
             "false_positive")
    # The entry is relisted with an alias: the disposition was made on other facts.
    _load(engine, OFAC_LINE.format(ent=7647, name="ADEMI, Xhevat", dob="08 Dec 1962")
          .replace('"DOB 08 Dec 1962."', '"a.k.a. \'ADEMI, Xh.\'; DOB 08 Dec 1962."'))
    assert _submit(client, auth_headers, good_application(**LISTED))["outcome"] == "refer"


def test_a_true_match_declines_and_is_remembered(client, auth_headers, active_model):
    app = _submit(client, auth_headers, good_application(**LISTED))
    case_id = _cases(client, auth_headers, app["id"])[0]["id"]
    wrong = client.post(f"/cases/{case_id}/disposition", json={
        "disposition": "true_match", "entry_ids": ["999999"], "note": "x"},
        headers=auth_headers[Role.UNDERWRITER])
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "entry_ids_invalid"
    done = _dispose(client, auth_headers, case_id, "true_match", [LISTED_ENTRY])
    assert done["decision"]["outcome"] == "decline"
    assert [r["code"] for r in done["decision"]["reasons"]] == ["KO-SANCTIONS-MATCH"]
    stored = client.get(f"/applications/{app['id']}", headers=auth_headers[Role.UNDERWRITER])
    assert stored.json()["outcome"] == "decline"
    # Next time the same person applies, the confirmed match declines at once.
    again = _submit(client, auth_headers, good_application(**LISTED))
    assert again["outcome"] == "decline"
    assert "KO-SANCTIONS-MATCH" in [k["code"] for k in again["decisions"][0]["knockouts"]]


def test_rescreening_raises_a_case_for_a_customer_newly_listed(client, auth_headers,
                                                               active_model, engine):
    customer = _submit(client, auth_headers, good_application(**{
        "kyc.full_name": "Richard Roe", "kyc.date_of_birth": "1950-01-01"}))
    assert customer["outcome"] == "approve"
    bystander = _submit(client, auth_headers, good_application())
    assert _cases(client, auth_headers, customer["id"]) == []
    _, rescreen_id = _load(engine, SMALL_LIST)
    cases = _cases(client, auth_headers, customer["id"])
    assert [(c["kind"], c["detail"]["source"]) for c in cases] == [("sanctions_match",
                                                                     "rescreen")]
    assert cases[0]["detail"]["parties"][0]["matches"][0]["entry_id"] == "2"
    assert _cases(client, auth_headers, bystander["id"]) == []
    runs = client.get("/screening/rescreens", headers=auth_headers[Role.COMPLIANCE_OFFICER])
    run = next(r for r in runs.json() if r["id"] == rescreen_id)
    assert (run["state"], run["screened"], run["raised"]) == ("done", 2, 1)
    # A customer already decided keeps the decision; a true match is on record for them.
    done = _dispose(client, auth_headers, cases[0]["id"], "true_match", ["2"])
    assert done["decision"] is None
    assert client.get(f"/applications/{customer['id']}", headers=auth_headers[
        Role.UNDERWRITER]).json()["outcome"] == "approve"


def test_a_rescreening_run_resumes_after_its_last_batch(client, auth_headers, active_model,
                                                        engine):
    from app.db import session_scope
    from app.screening import rescreen, service

    for _ in range(3):
        _submit(client, auth_headers, good_application(**{
            "kyc.full_name": "Richard Roe", "kyc.date_of_birth": "1950-01-01"}))
    from app.auth.principal import Principal
    with session_scope(engine) as session:
        loaded = service.load_list(session, Principal.system("test"), "ofac-sdn",
                                   SMALL_LIST.encode(), "sdn.csv", allow_shrink=True)
        rescreen_id = loaded.rescreen.id
    calls = {"n": 0}
    real = service.screen_people

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    service.screen_people = failing
    try:
        with pytest.raises(RuntimeError):
            rescreen.run(rescreen_id, engine=engine, batch_size=1)
    finally:
        service.screen_people = real
    with session_scope(engine) as session:
        cut = service.get_rescreen(session, rescreen_id)
        assert (cut.state, cut.screened, cut.raised) == ("running", 1, 1)
    finished = rescreen.run(rescreen_id, engine=engine, batch_size=1)
    assert (finished.state, finished.screened, finished.raised) == ("done", 3, 3)


def test_a_list_with_unreadable_lines_is_refused_and_the_version_in_force_stays(
        engine, settings_env):
    from app.db import session_scope
    from app.errors import Unprocessable
    from app.screening import service

    first, _ = _load(engine, SMALL_LIST)
    broken = SMALL_LIST + '3,"DOE, Jane","individual"\r\n'
    with pytest.raises(Unprocessable) as refused:
        _load(engine, broken)
    assert refused.value.code == "list_problems"
    assert refused.value.details["problems"][0]["line"] == 3
    with session_scope(engine) as session:
        assert [v.list_id for v in service.lists_in_force(session)] == [first]
    loaded, _ = _load(engine, broken, accept=True)
    with session_scope(engine) as session:
        [version] = service.lists_in_force(session)
        assert version.list_id == loaded and version.problems[0]["line"] == 3


def test_a_load_that_fails_halfway_leaves_the_previous_version(engine, settings_env,
                                                                monkeypatch):
    from app.db import session_scope
    from app.screening import service

    first, _ = _load(engine, SMALL_LIST)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "append_event", broken)  # after entries and the supersede
    with pytest.raises(RuntimeError):
        _load(engine, SMALL_LIST + OFAC_LINE.format(ent=3, name="DOE, Jane", dob="1970"))
    with session_scope(engine) as session:
        assert [v.list_id for v in service.lists_in_force(session)] == [first]
        from app.models import ScreeningList
        assert len(session.exec(select(ScreeningList)).all()) == 1


def test_the_bundled_list_is_in_force_until_one_is_loaded(client, auth_headers):
    lists = client.get("/screening/lists", headers=auth_headers[Role.AUDITOR]).json()
    assert [(v["list_name"], v["bundled"]) for v in lists] == [("ofac-sdn", True)]
    assert lists[0]["individual_count"] > 6000


def test_an_on_demand_check_answers_with_the_entry_and_its_features(client, auth_headers):
    response = client.post("/screening/checks", json={
        "name": "Xhevat ADEMI", "date_of_birth": "1962-12-08"},
        headers=auth_headers[Role.LOAN_OFFICER])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "potential_match"
    assert body["matches"][0]["entry_id"] == LISTED_ENTRY
    assert body["matches"][0]["name"] == "ADEMI, Xhevat"
    clear = client.post("/screening/checks", json={"name": "Alex Example"},
                        headers=auth_headers[Role.LOAN_OFFICER])
    assert clear.json() == {**clear.json(), "status": "clear", "matches": []}
    refused = client.post("/screening/checks", json={"name": "x", "country": "Germany"},
                          headers=auth_headers[Role.LOAN_OFFICER])
    assert refused.status_code == 422


def test_a_run_matched_across_processes_finds_what_one_process_finds(
        client, auth_headers, active_model, engine):
    from app.auth.principal import Principal
    from app.db import session_scope
    from app.screening import rescreen, service

    for name, dob in (("Richard Roe", "1950-01-01"), ("Alex Example", "1980-05-17"),
                      ("Xhevat Ademi", "1962-12-08")):
        _submit(client, auth_headers, good_application(**{
            "kyc.full_name": name, "kyc.date_of_birth": dob,
            "kyc.sanctions_screening.status": "clear"}))
    with session_scope(engine) as session:
        rescreen_id = service.load_list(session, Principal.system("test"), "ofac-sdn",
                                        SMALL_LIST.encode(), "sdn.csv",
                                        allow_shrink=True).rescreen.id
    done = rescreen.run(rescreen_id, engine=engine, processes=2, parallel_from=1)
    # Richard Roe newly listed: raised; Xhevat Ademi's case from intake is still open.
    assert (done.state, done.screened, done.raised) == ("done", 3, 1)


# Unaffordable for this income: the automated decision offers a smaller loan.
COUNTEROFFERED = {"kyc.monthly_income": "1000.00", "kyc.monthly_obligations": "300.00",
                  "loan.amount": "9000.00"}


def test_no_counteroffer_is_answered_while_a_sanctions_case_waits(client, auth_headers,
                                                                   active_model, engine):
    app = _submit(client, auth_headers, good_application(**{
        **COUNTEROFFERED, "kyc.full_name": "Richard Roe", "kyc.date_of_birth": "1950-01-01"}))
    assert app["status"] == "counteroffered"
    _load(engine, SMALL_LIST)  # Richard Roe is listed now: the rescreen raises a case
    for answer in ("accept", "decline"):
        response = client.post(f"/applications/{app['id']}/counteroffer/{answer}",
                               headers=auth_headers[Role.LOAN_OFFICER])
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "sanctions_match_open"


def test_new_matches_join_a_waiting_case_and_withdraw_a_disposition_proposed_before(
        client, auth_headers, active_model, engine):
    app = _submit(client, auth_headers, good_application(**LISTED))
    case_id = _cases(client, auth_headers, app["id"])[0]["id"]
    proposed = client.post(f"/cases/{case_id}/disposition", json={
        "disposition": "false_positive", "note": "a namesake"},
        headers=auth_headers[Role.UNDERWRITER]).json()
    _load(engine, SMALL_LIST)  # lists the same person again, as entry 1
    case = client.get(f"/cases/{case_id}", headers=auth_headers[Role.UNDERWRITER]).json()
    assert sorted(m["entry_id"] for m in case["matches"]) == ["1", LISTED_ENTRY]
    assert case["state"] == "assigned"  # back to its holder
    stale = client.post(f"/approvals/{proposed['id']}/approve",
                        headers=auth_headers[Role.UNDERWRITING_LEAD])
    assert stale.status_code == 409
    # Cleared now, the disposition covers both entries: the person is not raised again.
    done = _dispose(client, auth_headers, case_id, "false_positive")
    assert sorted(d["entry_id"] for d in done["dispositions"]) == ["1", LISTED_ENTRY]
    assert _submit(client, auth_headers, good_application(**LISTED))["outcome"] != "refer"


def test_a_decline_waiting_to_be_overridden_is_rescreened(client, auth_headers, active_model,
                                                          engine):
    from tests.app.application_documents import risky_application

    declined = _submit(client, auth_headers, risky_application(**{
        "kyc.full_name": "Richard Roe", "kyc.date_of_birth": "1950-01-01"}))
    assert declined["outcome"] == "decline"
    proposed = client.post(f"/applications/{declined['id']}/review", json={
        "outcome": "approve", "note": "collateral outside the model"},
        headers=auth_headers[Role.UNDERWRITER])
    assert proposed.status_code == 202
    _load(engine, SMALL_LIST)
    assert [c["kind"] for c in _cases(client, auth_headers, declined["id"])] == [
        "sanctions_match"]
    approved = client.post(f"/approvals/{proposed.json()['id']}/approve",
                           headers=auth_headers[Role.UNDERWRITING_LEAD])
    assert approved.status_code == 409
    assert approved.json()["error"]["code"] == "sanctions_match_open"


def test_a_true_match_on_the_callers_screening_is_remembered_and_names_no_stranger_entry(
        client, auth_headers, active_model):
    document = good_application(**{"kyc.full_name": "Carol Caller",
                                   "kyc.sanctions_screening.status": "potential_match"})
    app = _submit(client, auth_headers, document)
    case_id = _cases(client, auth_headers, app["id"])[0]["id"]
    bogus = client.post(f"/cases/{case_id}/disposition", json={
        "disposition": "true_match", "entry_ids": ["bogus-entry"], "note": "x"},
        headers=auth_headers[Role.UNDERWRITER])
    assert bogus.status_code == 422
    done = _dispose(client, auth_headers, case_id, "true_match")
    assert done["decision"]["outcome"] == "decline"
    again = _submit(client, auth_headers, good_application(**{"kyc.full_name": "Carol Caller"}))
    assert again["outcome"] == "decline"


def test_the_worker_runs_a_rescreening_from_the_sqlite_queue(client, auth_headers,
                                                             active_model, engine, tmp_path):
    """The default queue, in a process of its own, as `riskdesk worker` consumes it."""
    import os
    import subprocess
    import sys

    from app.auth.principal import Principal
    from app.db import session_scope
    from app.screening import service

    customer = _submit(client, auth_headers, good_application(**{
        "kyc.full_name": "Richard Roe", "kyc.date_of_birth": "1950-01-01"}))
    with session_scope(engine) as session:
        rescreen_id = service.load_list(session, Principal.system("test"), "ofac-sdn",
                                        SMALL_LIST.encode(), "sdn.csv",
                                        allow_shrink=True).rescreen.id
    script = ("from app.jobs import huey, queue_unfinished\n"
              "assert queue_unfinished()\n"
              "task = huey.dequeue()\n"
              "print(huey.execute(task))\n")
    env = {**os.environ, "RISKDESK_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
           "RISKDESK_RESCREEN_PROCESSES": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with session_scope(engine) as session:
        assert service.get_rescreen(session, rescreen_id).state == "done"
    assert [c["kind"] for c in _cases(client, auth_headers, customer["id"])] == [
        "sanctions_match"]
