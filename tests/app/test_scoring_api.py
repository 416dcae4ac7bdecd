"""Model registry and policy versions over the API: immutable versions, promotion, stamping."""

from __future__ import annotations

import pytest

from tests.app.application_documents import good_application

pytestmark = pytest.mark.usefixtures("active_model")


def _second_validator(settings, engine) -> dict[str, str]:
    """Another model validator: the admin who wrote a policy may not approve it, and the
    validator who validated it may not either."""
    from app.auth.principal import Principal
    from app.auth.roles import Role
    from app.auth.security import create_access_token
    from app.db import session_scope
    from app.users.service import create_user

    with session_scope(engine) as session:
        user = create_user(session, Principal.system("test"), username="validator-2",
                           password="another long password", role=Role.MODEL_VALIDATOR)
        user_id = user.id
    token, _ = create_access_token(settings, user_id=user_id, role=Role.MODEL_VALIDATOR.value)
    return {"Authorization": f"Bearer {token}"}


def test_a_new_policy_version_decides_only_once_promoted(client, auth_headers, settings_env,
                                                         engine):
    admin, validator = auth_headers["admin"], auth_headers["model_validator"]
    approver = _second_validator(settings_env, engine)
    active = client.get("/policies/active", headers=admin).json()
    body = {**active["body"], "version": "strict-1"}
    body["tiers"][0]["min_score"] = 10_000  # nobody reaches the approval tier any more
    created = client.post("/policies", json={"body": body}, headers=admin)
    assert created.status_code == 201 and created.json()["status"] == "draft"
    officer = auth_headers["loan_officer"]
    decision = client.post("/applications", json=good_application(), headers=officer).json()
    assert decision["policy_version"] == active["version"]  # a draft decides nothing
    for path, headers, body_ in (("validate", validator, {"reason": "reviewed cut-offs"}),
                                 ("approve", approver, {"reason": "risk committee"}),
                                 ("promote", admin, {"to": "champion", "reason": "go live"})):
        moved = client.post(f"/policies/strict-1/{path}", json=body_, headers=headers)
        assert moved.status_code == 200, moved.json()
    decision = client.post("/applications", json=good_application(), headers=officer).json()
    assert decision["policy_version"] == "strict-1" and decision["outcome"] != "approve"
    versions = {p["version"]: p["status"] for p in client.get("/policies", headers=admin).json()}
    assert versions == {active["version"]: "retired", "strict-1": "champion"}


def test_policy_versions_are_immutable_and_validated(client, auth_headers):
    admin = auth_headers["admin"]
    active = client.get("/policies/active", headers=admin).json()
    again = client.post("/policies", json={"body": active["body"]}, headers=admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "policy_version_exists"
    broken = {**active["body"], "version": "broken-1", "tiers": []}
    refused = client.post("/policies", json={"body": broken}, headers=admin)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_policy"


def test_model_metadata_and_artifact_hash_agree(client, auth_headers):
    import hashlib
    import json

    reader = auth_headers["auditor"]
    (model,) = client.get("/models", headers=reader).json()
    artifact = client.get(f"/models/{model['version']}/artifact", headers=reader).json()
    canonical = json.dumps(artifact["artifact"], sort_keys=True, separators=(",", ":"))
    assert artifact["artifact_sha256"] == model["artifact_sha256"]
    assert model["metrics"]["cv_auc"] > 0.75 and model["status"] == "champion"
    assert hashlib.sha256(canonical.encode()).hexdigest() == model["artifact_sha256"]
    missing = client.get("/models/no-such-version", headers=reader)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
