"""Every route of the OpenAPI schema, called with a token of every role and with none, answers
as the one allow-table below says. A route missing from the table fails the test."""

from __future__ import annotations

import re

import pytest

from app.auth.roles import Role

PUBLIC = "public"
LO, UW, CO, AU, AD = (Role.LOAN_OFFICER, Role.UNDERWRITER, Role.COMPLIANCE_OFFICER,
                      Role.AUDITOR, Role.ADMIN)
EVERYONE = frozenset(Role)
LEDGER_READERS = frozenset({AU, CO, AD})
MODEL_READERS = frozenset({UW, CO, AU, AD})

ALLOW: dict[tuple[str, str], frozenset[Role] | str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/auth/token"): PUBLIC,
    ("GET", "/auth/me"): EVERYONE,
    ("POST", "/users"): frozenset({AD}),
    ("GET", "/users"): frozenset({AD}),
    ("PATCH", "/users/{user_id}"): frozenset({AD}),
    ("POST", "/api-keys"): frozenset({AD}),
    ("GET", "/api-keys"): frozenset({AD}),
    ("DELETE", "/api-keys/{record_id}"): frozenset({AD}),
    ("GET", "/audit/verify"): LEDGER_READERS,
    ("POST", "/audit/verify"): LEDGER_READERS,
    ("GET", "/audit/checkpoint"): LEDGER_READERS,
    ("GET", "/audit/public-key"): LEDGER_READERS,
    ("GET", "/audit/events"): LEDGER_READERS,
    ("POST", "/applications"): frozenset({LO, AD}),
    ("GET", "/applications"): EVERYONE,
    ("GET", "/applications/{application_id}"): EVERYONE,
    ("POST", "/applications/{application_id}/review"): frozenset({UW, AD}),
    ("GET", "/models"): MODEL_READERS,
    ("GET", "/models/{version}"): MODEL_READERS,
    ("GET", "/models/{version}/artifact"): MODEL_READERS,
    ("POST", "/models/{version}/activate"): frozenset({AD}),
    ("GET", "/policies"): MODEL_READERS,
    ("GET", "/policies/active"): MODEL_READERS,
    ("POST", "/policies"): frozenset({AD}),
    ("POST", "/policies/{version}/activate"): frozenset({AD}),
    # Fairness audits: compliance officers run them; auditors read them. Admins administer
    # accounts and see none of the compliance work (separation of duties).
    ("POST", "/fairness/audits"): frozenset({CO}),
    ("GET", "/fairness/audits"): frozenset({CO, AU}),
    ("GET", "/fairness/audits/{audit_id}"): frozenset({CO, AU}),
    # Reports: the service narrows these further. Loan officers create and read adverse action
    # notices of applications they submitted only; underwriters read adverse action notices
    # (they resolve the referrals those follow) and create none; auditors read every kind and
    # create none; admins have no access (notices hold applicants' names and addresses).
    ("POST", "/reports"): frozenset({CO, LO}),
    ("GET", "/reports"): frozenset({CO, AU, LO, UW}),
    ("GET", "/reports/{report_id}"): frozenset({CO, AU, LO, UW}),
    ("GET", "/reports/{report_id}/pdf"): frozenset({CO, AU, LO, UW}),
}

# Auditors are read-only everywhere: no role table above may give them a writing method.
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
AUDITOR_MAY_POST = {("POST", "/audit/verify")}  # verification reads; it changes nothing


def _routes():
    from app.main import create_app

    schema = create_app().openapi()
    return [(method.upper(), path) for path, item in schema["paths"].items()
            for method in item if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}]


def test_every_route_has_an_entry_and_every_entry_a_route():
    routes = set(_routes())
    assert routes - set(ALLOW) == set(), "add these routes to the allow-table"
    assert set(ALLOW) - routes == set(), "these allow-table entries have no route"


def test_auditors_never_hold_a_writing_route():
    for key, roles in ALLOW.items():
        if key[0] in WRITE_METHODS and key not in AUDITOR_MAY_POST and roles != PUBLIC:
            assert AU not in roles, key


def _call(client, method, path, headers):
    url = re.sub(r"\{[^}]+\}", "1", path)
    kwargs = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
    return client.request(method, url, headers=headers, **kwargs)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_role_matrix(client, auth_headers, db_url):
    failures = []
    for method, path in _routes():
        allowed = ALLOW[(method, path)]
        anonymous = _call(client, method, path, {})
        if allowed != PUBLIC and anonymous.status_code != 401:
            failures.append((method, path, None, anonymous.status_code))
        for role in Role:
            status = _call(client, method, path, auth_headers[role]).status_code
            permitted = allowed == PUBLIC or role in allowed
            if permitted and status in (401, 403) or not permitted and status != 403:
                failures.append((method, path, role.value, status))
    assert failures == []
