"""Sign-in, tokens, API keys and failed-login limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
from sqlmodel import Session, select

from app.models import AuditEvent
from tests.conftest import TEST_PASSWORD


def _login(client, username, password=TEST_PASSWORD):
    return client.post("/auth/token", data={"username": username, "password": password})


def _events(engine, action):
    with Session(engine) as session:
        return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_login_returns_a_token_that_authenticates(client, engine):
    response = _login(client, "underwriter")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["role"] == "underwriter"
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["role"] == "underwriter"
    assert len(_events(engine, "auth.login_succeeded")) == 1


def test_wrong_password_is_refused_and_recorded_without_the_username(client, engine):
    response = _login(client, "auditor", "not the password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    (event,) = _events(engine, "auth.login_failed")
    assert "auditor" not in event.payload
    assert json.loads(event.payload)["reason"] == "wrong_password"


def test_sixth_attempt_within_a_minute_is_throttled_even_with_the_right_password(client, engine):
    for _ in range(5):
        assert _login(client, "admin", "wrong password!").status_code == 401
    response = _login(client, "admin")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_login_attempts"
    assert response.headers["Retry-After"] == "60"
    assert len(_events(engine, "auth.login_throttled")) == 1


def test_failures_from_one_address_are_limited_across_usernames(client):
    for name in ["a-user", "b-user", "c-user", "d-user", "e-user"]:
        assert _login(client, name, "whatever pass").status_code == 401
    assert _login(client, "auditor").status_code == 429


def test_missing_credentials_are_401(client):
    response = client.get("/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_expired_token_is_refused(client, settings_env, users):
    now = datetime.now(UTC)
    user = next(iter(users.values()))
    token = jwt.encode({"sub": str(user.id), "iat": now - timedelta(hours=1),
                        "exp": now - timedelta(minutes=1), "iss": "riskdesk"},
                       settings_env.secret_key.get_secret_value(), algorithm="HS256")
    response = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_forged_token_is_refused(client, users):
    now = datetime.now(UTC)
    user = next(iter(users.values()))
    token = jwt.encode({"sub": str(user.id), "iat": now, "exp": now + timedelta(minutes=5),
                        "iss": "riskdesk", "role": "admin"},
                       "some-other-secret-of-enough-length", algorithm="HS256")
    response = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_unsigned_token_is_refused(client, users):
    user = next(iter(users.values()))
    token = jwt.encode({"sub": str(user.id), "exp": 4102444800, "iat": 0, "iss": "riskdesk"},
                       key=None, algorithm="none")
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_disabled_user_loses_access_at_once(client, auth_headers, users):
    officer = users["loan_officer"]
    response = client.patch(f"/users/{officer.id}", json={"is_active": False},
                            headers=auth_headers["admin"])
    assert response.status_code == 200
    me = client.get("/auth/me", headers=auth_headers["loan_officer"])
    assert me.status_code == 401 and me.json()["error"]["code"] == "account_disabled"


def test_a_role_change_revokes_earlier_tokens(client, auth_headers, users):
    officer = users["loan_officer"]
    client.patch(f"/users/{officer.id}", json={"role": "auditor"}, headers=auth_headers["admin"])
    old = client.get("/auth/me", headers=auth_headers["loan_officer"])
    assert old.status_code == 401 and old.json()["error"]["code"] == "token_revoked"
    fresh = client.post("/auth/token", data={"username": officer.username,
                                             "password": TEST_PASSWORD}).json()
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {fresh['access_token']}"})
    assert me.json()["role"] == "auditor"


def test_a_password_reset_revokes_earlier_tokens(client, auth_headers, users):
    officer = users["loan_officer"]
    client.patch(f"/users/{officer.id}", json={"password": "another long passphrase here"},
                 headers=auth_headers["admin"])
    assert client.get("/auth/me", headers=auth_headers["loan_officer"]).status_code == 401


def test_no_admin_changes_their_own_role_and_grants_are_ledgered(client, auth_headers, users,
                                                                engine):
    admin = users["admin"]
    response = client.patch(f"/users/{admin.id}", json={"role": "auditor"},
                            headers=auth_headers["admin"])
    assert response.status_code == 403 and response.json()["error"]["code"] == "own_role"
    client.patch(f"/users/{users['auditor'].id}", json={"role": "compliance_officer"},
                 headers=auth_headers["admin"])
    with Session(engine) as session:
        grants = session.exec(select(AuditEvent).where(
            AuditEvent.action == "user.role_granted")).all()
    assert [json.loads(g.payload) for g in grants] == [{"from": "auditor",
                                                        "to": "compliance_officer"}]


def test_a_forwarded_for_header_is_not_believed_without_a_trusted_proxy(client, users):
    officer = users["loan_officer"]
    for i in range(5):
        client.post("/auth/token", data={"username": officer.username, "password": "wrong"},
                    headers={"X-Forwarded-For": f"203.0.113.{i}"})
    throttled = client.post("/auth/token", data={"username": officer.username,
                                                 "password": TEST_PASSWORD},
                            headers={"X-Forwarded-For": "198.51.100.7"})
    assert throttled.status_code == 429


def test_api_key_is_shown_once_works_and_can_be_revoked(client, auth_headers, engine):
    created = client.post("/api-keys", json={"name": "core banking", "role": "loan_officer"},
                          headers=auth_headers["admin"])
    assert created.status_code == 201
    key = created.json()["api_key"]
    listed = client.get("/api-keys", headers=auth_headers["admin"]).json()
    assert all("api_key" not in k for k in listed)
    me = client.get("/auth/me", headers={"X-API-Key": key}).json()
    assert me["role"] == "loan_officer" and me["actor_type"] == "api_key"
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    client.delete(f"/api-keys/{created.json()['id']}", headers=auth_headers["admin"])
    refused = client.get("/auth/me", headers={"X-API-Key": key})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    assert {e.action for e in _events(engine, "api_key.created")} == {"api_key.created"}
    assert len(_events(engine, "api_key.revoked")) == 1


def test_api_key_with_a_wrong_secret_is_refused(client, auth_headers):
    created = client.post("/api-keys", json={"name": "x", "role": "auditor"},
                          headers=auth_headers["admin"]).json()
    tampered = created["api_key"][:-2] + ("AA" if not created["api_key"].endswith("AA") else "BB")
    assert client.get("/auth/me", headers={"X-API-Key": tampered}).status_code == 401


def test_user_creation_validates_and_is_recorded(client, auth_headers, engine):
    bad = client.post("/users", json={"username": "X", "password": "short", "role": "king"},
                      headers=auth_headers["admin"])
    assert bad.status_code == 422
    fields = {d["field"] for d in bad.json()["error"]["details"]}
    assert fields == {"username", "password", "role"}
    ok = client.post("/users", json={"username": "new-officer", "password": "p" * 12,
                                     "role": "loan_officer"}, headers=auth_headers["admin"])
    assert ok.status_code == 201
    dup = client.post("/users", json={"username": "new-officer", "password": "p" * 12,
                                      "role": "loan_officer"}, headers=auth_headers["admin"])
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "username_taken"
    created = [e for e in _events(engine, "user.created") if e.entity_id == str(ok.json()["id"])]
    assert len(created) == 1 and "new-officer" not in created[0].payload


def test_cli_creates_a_user_from_stdin(settings_env, engine):
    from typer.testing import CliRunner

    from app.cli import cli

    result = CliRunner().invoke(cli, ["users", "create", "--username", "cli-user", "--role",
                                      "auditor", "--password-stdin"], input="a long password\n")
    assert result.exit_code == 0, result.output
    refused = CliRunner().invoke(cli, ["users", "create", "--username", "cli-user2", "--role",
                                       "pope", "--password-stdin"], input="a long password\n")
    assert refused.exit_code == 2 and "role" in refused.output
