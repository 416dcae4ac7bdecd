"""Re-scoring the portfolio: every open account scored again by both champions over Parquet,
written back, with one ledger event carrying the run's digest."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from app.models import AuditEvent, LoanAccount
from tests.app.early_warning.conftest import book, monthly_events, send


def _run(settings_env, tmp_path, engine_name: str, workers: int = 1) -> dict:  # type: ignore[no-untyped-def]
    from app.early_warning import rescore

    return rescore.run(settings_env, username=None, engine=engine_name,  # type: ignore[arg-type]
                       scheduler_address=None, n_workers=workers,
                       work_dir=tmp_path / f"rescore-{engine_name}")


def test_a_rescore_scores_every_account_with_both_champions_and_records_its_digest(
        client, auth_headers, engine, settings_env, monitoring, tmp_path):
    accounts = [book(client, auth_headers) for _ in range(3)]
    for number, account_id in enumerate(accounts):
        send(client, auth_headers, monthly_events(account_id, 4,
                                                  paid=[1000, 1000, 1000 - 400 * number, 0]))
    with Session(engine) as session:
        before = {a.id: a.behavioural_pd for a in session.exec(select(LoanAccount))}
    summary = _run(settings_env, tmp_path, "pandas")
    assert summary["rows"] == 3 and set(summary["models"]) == {"behavioural", "application"}
    with Session(engine) as session:
        after = {a.id: a for a in session.exec(select(LoanAccount))}
        [event] = session.exec(select(AuditEvent).where(
            AuditEvent.action == "portfolio.rescored")).all()
    # The same champion on the same history gives the same probability as the event path.
    assert {k: round(a.behavioural_pd, 9) for k, a in after.items()} == {
        k: round(v, 9) for k, v in before.items()}
    assert all(a.application_pd is not None for a in after.values())
    assert json.loads(event.payload)["digest"] == summary["digest"]


def test_dask_and_one_process_give_the_same_digest(client, auth_headers, settings_env,
                                                   monitoring, tmp_path):
    account_id = book(client, auth_headers)
    send(client, auth_headers, monthly_events(account_id, 3))
    assert (_run(settings_env, tmp_path, "pandas")["digest"]
            == _run(settings_env, tmp_path, "dask")["digest"])
