"""The whole OpenAPI schema, fuzzed with a token of every role: no request, valid or not, gets a
5xx, an undeclared status code, or a body that breaks the schema declared for its status.

Bounded and deterministic (a fixed number of derandomised examples per operation), so a CI run
takes the same cases every time; `RISKDESK_FUZZ_EXAMPLES` raises the bound for a deeper run by
hand. Each role gets a database of its own: one role's writes (a password reset, say) cannot
revoke another's token half-way.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.auth.roles import Role

EXAMPLES = int(os.environ.get("RISKDESK_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, sqlite_model_template, tmp_path):  # type: ignore[no-untyped-def]
    """SQLite only: the schema does not depend on the backend, and both backends' error paths
    are pinned by their own tests."""
    import shutil

    path = tmp_path / "riskdesk.db"
    shutil.copyfile(sqlite_model_template, path)
    return f"sqlite:///{path}"


@pytest.mark.slow
@pytest.mark.parametrize("role", [*Role, None], ids=[*(r.value for r in Role), "anonymous"])
def test_no_operation_breaks_its_schema(role, settings_env, active_model, auth_headers, client):
    from app.main import create_app
    from tests.app.application_documents import good_application, risky_application

    # A few real applications, so list and report operations have rows to answer with.
    for document in (good_application(), risky_application()):
        answer = client.post("/applications", json=document,
                             headers=auth_headers[Role.LOAN_OFFICER])
        assert answer.status_code == 201, answer.text

    app = create_app()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = auth_headers[role] if role is not None else {}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={**(case.headers or {}), **headers}, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 - collected, reported together below
            failures.append(f"{operation.label}: {exc}")
    assert failures == [], "\n\n".join(failures)
