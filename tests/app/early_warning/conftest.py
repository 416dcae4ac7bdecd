"""Early-warning test set-up: a behavioural champion trained once per session on a sample of the
payment histories, the bundled rule set published, and approved applications booked as
accounts through the API."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Role
from tests.app.application_documents import good_application

LO, SV, UW, LEAD = Role.LOAN_OFFICER, Role.SERVICING, Role.UNDERWRITER, Role.UNDERWRITING_LEAD
# January, two years back: every month a test sends (up to 24) has happened, and none is older
# than the ten years an event may be.
T0 = datetime(datetime.now(UTC).year - 2, 1, 5, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


@pytest.fixture(scope="session")
def behavioural_training():
    """The behavioural scorecard, trained once on a stratified sample of the bundled data."""
    from dataclasses import replace

    from risk_models.early_warning.behavioural import (
        BEHAVIOURAL_PARAMS,
        load_taiwan,
        train_behavioural,
    )

    frame = load_taiwan()
    sample = frame.groupby("default", group_keys=False).sample(frac=0.1, random_state=7)
    # One pass of two folds: these tests need a sound scorecard, not its validation evidence.
    params = replace(BEHAVIOURAL_PARAMS, cv_folds=2, cv_repeats=1)
    return train_behavioural(sample, benchmarks=False, params=params,
                             trained_at=datetime(2025, 1, 1, tzinfo=UTC))


@pytest.fixture
def monitoring(engine, active_model, behavioural_training):  # type: ignore[no-untyped-def]
    """The behavioural champion and the bundled rule set, published, in this test's database."""
    from app.early_warning import rulesets
    from app.scoring.service import register_model
    from app.scoring.states import ModelPurpose, RegistryStatus

    with Session(engine) as session:
        model = register_model(session, Principal.system("test"), behavioural_training,
                               data_name="taiwan sample", target="default",
                               protected=["sex", "marriage", "age", "education"],
                               purpose=ModelPurpose.BEHAVIOURAL)
        model.status = RegistryStatus.CHAMPION  # the lifecycle is tested elsewhere
        session.add(model)
        rulesets.publish_default(session, Principal.system("test"))
        session.commit()
        return model.version


def submit_approved(client, auth_headers) -> str:  # type: ignore[no-untyped-def]
    number = next(_ids)
    document = good_application()
    document["kyc"]["national_id"] = f"T2{number:07d}"
    document["kyc"]["full_name"] = f"Alex Example {number}"
    answer = client.post("/applications", json=document, headers=auth_headers[LO])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["outcome"] == "approve", body
    return str(body["application_id"] if "application_id" in body else body["id"])


def book(client, auth_headers, *, product: str = "revolving",  # type: ignore[no-untyped-def]
         credit_limit: str | None = "5000.00") -> str:
    application_id = submit_approved(client, auth_headers)
    account_id = f"ACC-{next(_ids):05d}"
    answer = client.post("/accounts", headers=auth_headers[SV], json={
        "account_id": account_id, "application_id": application_id, "product": product,
        "credit_limit": credit_limit if product == "revolving" else None})
    assert answer.status_code == 201, answer.text
    return account_id


def month(n: int) -> datetime:
    """The 20th of the n-th month after T0's."""
    year, mon = T0.year + (T0.month - 1 + n) // 12, (T0.month - 1 + n) % 12 + 1
    return datetime(year, mon, 20, 9, 0, tzinfo=UTC)


def monthly_events(account_id: str, months: int, *, bill: float = 1000.0,
                   paid: list[float] | None = None, dpd: list[int] | None = None,
                   start: int = 0, prefix: str = "e") -> list[dict[str, Any]]:
    """A card's statement, payment and status events for ``months`` months."""
    out = []
    for i in range(months):
        at = month(start + i)
        out.append({"id": f"{prefix}-{account_id}-{start + i}-due", "account_id": account_id,
                    "kind": "payment_due", "occurred_at": at.isoformat(),
                    "amount": f"{bill:.2f}", "statement_balance": f"{bill:.2f}"})
        amount = bill if paid is None else paid[i]
        days = 0 if dpd is None else dpd[i]
        if amount > 0:
            out.append({"id": f"{prefix}-{account_id}-{start + i}-paid",
                        "account_id": account_id, "kind": "payment_paid",
                        "occurred_at": (at + timedelta(days=5)).isoformat(),
                        "amount": f"{amount:.2f}", "days_past_due": days})
        elif days:
            out.append({"id": f"{prefix}-{account_id}-{start + i}-missed",
                        "account_id": account_id, "kind": "payment_missed",
                        "occurred_at": (at + timedelta(days=6)).isoformat(),
                        "days_past_due": days})
    return out


def send(client, auth_headers, events: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    answer = client.post("/events", headers=auth_headers[SV], json={"events": events})
    assert answer.status_code == 200, answer.text
    return answer.json()
