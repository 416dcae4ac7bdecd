"""The console's admin screens: users and roles, API keys and notice parties, and the admin's
home panels. Changes go through the users service the API uses, so its rules hold here too;
the rule that no admin deactivates themselves is pinned on the API as well."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlmodel import Session, select

from app.auth.roles import Role
from app.config import DEMO_PARTIES
from app.models import ApiKey, AuditEvent, User
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.postgres

FULL_KEY = re.compile(r"rdk_[0-9a-f]+_[A-Za-z0-9_-]+")
NEW_PASSWORD = "a brand new long passphrase"
ADMIN_PAGES = ["/console/users", "/console/api-keys", "/console/notice-parties"]


def _user(engine, username: str) -> User | None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.exec(select(User).where(User.username == username)).first()


def _events(engine, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _signs_in(client, username: str, password: str) -> bool:  # type: ignore[no-untyped-def]
    answer = client.post("/auth/token", data={"username": username, "password": password})
    return answer.status_code == 200


# --- Users ---------------------------------------------------------------------------------


def test_a_short_password_is_explained_beside_its_field_and_creates_no_one(console, engine):
    admin = console(Role.ADMIN)
    answer = admin.post("/console/users", {"username": "new-officer", "role": "loan_officer",
                                           "password": "short"})
    assert answer.status_code == 422
    assert re.search(r'<p class="field-error" id="password-error">[^<]*at least 12 characters',
                     answer.text)
    assert 'aria-invalid="true" aria-describedby="new-password-hint password-error"' \
        in answer.text
    # The username is kept for the next try; the password is never sent back.
    assert 'value="new-officer"' in answer.text and "short" not in answer.text
    assert _user(engine, "new-officer") is None


def test_a_malformed_username_is_explained_in_words_not_a_pattern(console, engine):
    answer = console(Role.ADMIN).post("/console/users", {"username": "Bad Name", "role":
                                                         "auditor", "password": TEST_PASSWORD})
    assert answer.status_code == 422
    error = re.search(r'id="username-error">([^<]*)<', answer.text)
    assert error and "a-z, 0-9" in error.group(1) and "^" not in error.group(1)
    assert _user(engine, "Bad Name") is None


def test_a_taken_username_is_explained_beside_its_field(console, users):
    answer = console(Role.ADMIN).post("/console/users", {
        "username": users[Role.AUDITOR].username, "role": "auditor", "password": TEST_PASSWORD})
    assert answer.status_code == 409
    assert 'id="username-error">This username is taken' in answer.text


def test_an_admin_creates_a_user_who_signs_in_with_the_initial_password(console, client,
                                                                        engine, users):
    answer = console(Role.ADMIN).post("/console/users", {
        "username": "new-validator", "role": "model_validator", "password": TEST_PASSWORD})
    assert answer.status_code == 201
    assert "User new-validator was created with the role model validator." in answer.text
    created = _user(engine, "new-validator")
    assert created is not None and created.role == "model_validator" and created.is_active
    assert _signs_in(client, "new-validator", TEST_PASSWORD)
    assert [e.entity_id for e in _events(engine, "user.created")
            if e.actor_id == str(users[Role.ADMIN].id)] == [str(created.id)]


def test_an_admin_changes_another_users_role_and_the_grant_is_ledgered(console, users, engine):
    auditor = users[Role.AUDITOR]
    answer = console(Role.ADMIN).post(f"/console/users/{auditor.id}/role",
                                      {"role": "compliance_officer"})
    assert answer.status_code == 200
    assert "auditor's role is now compliance officer" in html.unescape(answer.text)
    assert _user(engine, auditor.username).role == "compliance_officer"  # type: ignore[union-attr]
    grants = _events(engine, "user.role_granted")
    assert [json.loads(g.payload) for g in grants] == [{"from": "auditor",
                                                        "to": "compliance_officer"}]


def test_a_role_change_ends_that_users_console_sessions(console, users):
    underwriter = console(Role.UNDERWRITER)
    console(Role.ADMIN).post(f"/console/users/{users[Role.UNDERWRITER].id}/role",
                             {"role": "auditor"})
    answer = underwriter.get("/console", follow_redirects=False)
    assert answer.status_code == 303 and "/console/login" in answer.headers["location"]


def test_the_admins_own_row_offers_no_role_or_deactivation_controls(console, users):
    page = console(Role.ADMIN).get("/console/users").text
    own, other = users[Role.ADMIN].id, users[Role.AUDITOR].id
    assert f'action="/console/users/{other}/role"' in page
    assert f'action="/console/users/{other}/deactivate"' in page
    assert f'action="/console/users/{own}/role"' not in page
    assert f'action="/console/users/{own}/deactivate"' not in page
    assert "Another admin changes your role or deactivates your account." in page


def test_a_forged_post_changing_the_admins_own_role_is_refused(console, users, engine):
    admin = users[Role.ADMIN]
    answer = console(Role.ADMIN).post(f"/console/users/{admin.id}/role", {"role": "auditor"})
    assert answer.status_code == 403 and "own_role" in answer.text
    assert _user(engine, admin.username).role == "admin"  # type: ignore[union-attr]


def test_a_forged_post_deactivating_the_admin_themselves_is_refused(console, users, engine):
    admin = users[Role.ADMIN]
    answer = console(Role.ADMIN).post(f"/console/users/{admin.id}/deactivate")
    assert answer.status_code == 403 and "own_deactivation" in answer.text
    assert _user(engine, admin.username).is_active  # type: ignore[union-attr]


def test_the_api_refuses_an_admin_deactivating_themselves(client, auth_headers, users, engine):
    admin = users[Role.ADMIN]
    answer = client.patch(f"/users/{admin.id}", json={"is_active": False},
                          headers=auth_headers["admin"])
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "own_deactivation"
    assert _user(engine, admin.username).is_active  # type: ignore[union-attr]
    assert client.get("/auth/me", headers=auth_headers["admin"]).status_code == 200


def test_a_deactivated_user_cannot_sign_in_until_reactivated(console, client, users):
    officer = users[Role.LOAN_OFFICER]
    admin = console(Role.ADMIN)
    assert admin.post(f"/console/users/{officer.id}/deactivate").status_code == 200
    assert not _signs_in(client, officer.username, TEST_PASSWORD)
    answer = admin.post(f"/console/users/{officer.id}/reactivate")
    assert "loan-officer was reactivated" in answer.text
    assert _signs_in(client, officer.username, TEST_PASSWORD)


def test_a_short_new_password_is_explained_beside_its_field(console, client, users):
    officer = users[Role.LOAN_OFFICER]
    answer = console(Role.ADMIN).post(f"/console/users/{officer.id}/password",
                                      {"password": "too short"})
    assert answer.status_code == 422
    assert re.search(r'id="password-error">[^<]*at least 12 characters', answer.text)
    assert _signs_in(client, officer.username, TEST_PASSWORD)


def test_a_password_reset_replaces_the_old_password(console, client, users):
    officer = users[Role.LOAN_OFFICER]
    admin = console(Role.ADMIN)
    assert admin.get(f"/console/users/{officer.id}/password").status_code == 200
    answer = admin.post(f"/console/users/{officer.id}/password", {"password": NEW_PASSWORD})
    assert answer.status_code == 200 and "password was reset" in answer.text
    assert not _signs_in(client, officer.username, TEST_PASSWORD)
    assert _signs_in(client, officer.username, NEW_PASSWORD)


# --- API keys ------------------------------------------------------------------------------


def _create_key(admin, name: str = "core banking", role: str = "loan_officer") -> str:  # type: ignore[no-untyped-def]
    answer = admin.post("/console/api-keys", {"name": name, "role": role})
    assert answer.status_code == 201, answer.text
    assert "it will not be shown again" in answer.text
    found = FULL_KEY.search(answer.text)
    assert found
    return found.group(0)


def test_a_new_api_key_is_shown_once_and_works_against_the_api(console, client):
    admin = console(Role.ADMIN)
    key = _create_key(admin)
    listing = admin.get("/console/api-keys").text
    assert key not in listing and key.split("_", 2)[2] not in listing
    assert "core banking" in listing
    me = client.get("/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200
    assert me.json()["role"] == "loan_officer" and me.json()["actor_type"] == "api_key"


def test_the_new_keys_secret_is_kept_nowhere_but_the_response(console, engine):
    key = _create_key(console(Role.ADMIN))
    secret = key.split("_", 2)[2]
    with Session(engine) as session:
        stored = [str(k.model_dump()) for k in session.exec(select(ApiKey)).all()]
        stored += [e.payload for e in session.exec(select(AuditEvent)).all()]
    assert stored and not [row for row in stored if secret in row]


def test_a_refused_key_name_is_explained_beside_its_field(console):
    answer = console(Role.ADMIN).post("/console/api-keys", {"name": "", "role": "auditor"})
    assert answer.status_code == 422
    assert 'id="name-error">' in answer.text and not FULL_KEY.search(answer.text)


def test_a_revoked_key_is_refused_by_the_api(console, client, engine):
    admin = console(Role.ADMIN)
    key = _create_key(admin, name="to revoke")
    [created] = _events(engine, "api_key.created")
    with Session(engine) as session:
        record_id = session.exec(select(ApiKey.id).where(
            ApiKey.key_id == created.entity_id)).one()
    answer = admin.post(f"/console/api-keys/{record_id}/revoke")
    assert answer.status_code == 200 and "was revoked" in answer.text
    assert 'class="badge bad">revoked' in answer.text
    refused = client.get("/auth/me", headers={"X-API-Key": key})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    assert len(_events(engine, "api_key.revoked")) == 1


def test_a_change_without_the_csrf_token_is_refused_and_changes_nothing(console, users, engine):
    auditor = users[Role.AUDITOR]
    answer = console(Role.ADMIN).post(f"/console/users/{auditor.id}/role",
                                      {"role": "admin"}, csrf=False)
    assert answer.status_code == 403 and "csrf_failed" in answer.text
    assert _user(engine, auditor.username).role == "auditor"  # type: ignore[union-attr]


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_other_roles_may_not_open_the_admin_screens(console, role):
    other = console(role)
    assert [other.get(path).status_code for path in ADMIN_PAGES] == [403, 403, 403]


def test_other_roles_may_not_create_users(console, engine):
    answer = console(Role.COMPLIANCE_OFFICER).post("/console/users", {
        "username": "sneaky", "role": "admin", "password": TEST_PASSWORD})
    assert answer.status_code == 403
    assert _user(engine, "sneaky") is None


# --- Notice parties and home ---------------------------------------------------------------


def test_notice_parties_name_their_settings_and_warn_of_demo_values(console):
    page = console(Role.ADMIN).get("/console/notice-parties").text
    assert DEMO_PARTIES["creditor_name"] in page
    assert "<code>RISKDESK_CREDITOR_NAME</code>" in page
    assert "Warning: 8 of these settings are empty or left at a demo value." in page
    assert "refuses to start" in page


def test_notice_parties_set_in_the_environment_are_shown_without_warning(
        console, monkeypatch):
    from app.config import get_settings

    admin = console(Role.ADMIN)
    for name in DEMO_PARTIES:
        monkeypatch.setenv(f"RISKDESK_{name.upper()}", f"Real {name}")
    get_settings.cache_clear()
    page = admin.get("/console/notice-parties").text
    assert "Real creditor_name" in page and DEMO_PARTIES["creditor_name"] not in page
    assert "Warning" not in page and "demo value</span>" not in page
    assert "(not set: the default applies)" not in page


def test_the_admin_home_counts_users_and_keys_and_warns_of_demo_parties(console):
    admin = console(Role.ADMIN)
    _create_key(admin)
    home = admin.get("/console").text
    assert re.search(rf'<span class="figure">{len(Role)}</span> active accounts', home)
    assert re.search(r'<span class="figure">1</span> active API key\.', home)
    assert "demo notice parties" in home and 'href="/console/notice-parties"' in home


def test_the_admin_panels_are_not_shown_to_other_roles(console):
    home = console(Role.AUDITOR).get("/console").text
    assert "Users and roles" not in home and "Deployment warnings" not in home

