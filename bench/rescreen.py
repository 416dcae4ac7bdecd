"""Rescreening a book of customers through the service, end to end: a new list version loaded
(``app.screening.service.load_list``), then its rescreening run (``app.screening.rescreen.run``)
reading each customer's sealed identity, screening them, storing the screenings, opening cases
and writing a ledger event per batch, committed batch by batch.

The book: --customers approved applications whose applicants have ordinary names (the pools of
``bench/screening_names.py``) and dates of birth, of which --listed are listed individuals of the
bundled OFAC list written as customers write them (given names first, the listed date of birth).

Run:  .venv/bin/python bench/rescreen.py [--customers 100000] [--listed 50] [--seed 0]
          [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("RISKDESK_SECRET_KEY", "benchmark-secret-key-long-enough")
os.environ.setdefault("RISKDESK_DIGEST_KEY", "benchmark-digest-key-long-enough")
os.environ["RISKDESK_JOBS_URL"] = "immediate"

from screening_names import NAME_POOLS  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth.principal import Principal  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import build_engine, session_scope  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from app.models import ApplicantIdentity, Application, DataSubject  # noqa: E402
from bench.reports_service import _bulk, _sealed_identity  # noqa: E402
from bench.scratch import postgres_database  # noqa: E402
from risk_models.screening import bundled_ofac_path, parse_ofac_sdn  # noqa: E402
from tests.app import factories as f  # noqa: E402


def _customers(n: int, listed: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    pools = list(NAME_POOLS.values())
    people = []
    for _ in range(n - listed):
        given, surnames = rng.choice(pools)
        people.append({"full_name": f"{rng.choice(given)} {rng.choice(surnames)}",
                       "date_of_birth": (date(1940, 1, 1) + timedelta(
                           days=rng.randrange(25_000))).isoformat()})
    sdn = parse_ofac_sdn(bundled_ofac_path().read_bytes())
    with_dob = [e for e in sdn.entries if e.kind == "individual" and e.birth_dates
                and e.birth_dates[0].is_exact_day and "," in e.name]
    for entry in rng.sample(with_dob, listed):
        surname, _, given = entry.name.partition(",")
        people.append({"full_name": f"{given.strip().title()} {surname.strip().title()}",
                       "date_of_birth": entry.birth_dates[0].start.isoformat()})
    rng.shuffle(people)
    return people


def fill(engine, people: list[dict]) -> None:
    with Session(engine) as session:
        f.add_model(session, n_rows=200)
        f.add_policy(session)
        session.commit()
    at = datetime(2026, 6, 1, tzinfo=UTC)
    apps, subjects, identities = [], [], []
    for i, person in enumerate(people):
        app_id = f"APP{i:010d}"
        apps.append(f.application_row(app_id=app_id, submitted_by="7", submitted_at=at,
                                      status="decided", outcome="approve", risk_tier="low"))
        subject, identity = _sealed_identity(app_id, apps[-1]["national_id_digest"], at, {
            **person, "national_id": f"ID{i:08d}", "contact": {}, "address": None,
            "co_applicant": None, "guarantor": None})
        subjects.append(subject)
        identities.append(identity)
    for table, rows in ((Application, apps), (DataSubject, subjects),
                        (ApplicantIdentity, identities)):
        _bulk(engine, table, rows)


def run(label: str, url: str, people: list[dict]) -> None:
    from app.db import get_engine
    from app.screening import rescreen, service

    os.environ["RISKDESK_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    upgrade(url)
    engine = build_engine(url)
    start = time.perf_counter()
    fill(engine, people)
    print(f"[{label}] book of {len(people):,} customers inserted in "
          f"{time.perf_counter() - start:.1f} s")
    data = bundled_ofac_path().read_bytes()
    start = time.perf_counter()
    with session_scope(engine) as session:
        loaded = service.load_list(session, Principal.system("bench"), "ofac-sdn", data,
                                   "sdn.csv")
        rescreen_id = loaded.rescreen.id
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    job = rescreen.run(rescreen_id, engine=engine)
    seconds = time.perf_counter() - start
    print(f"[{label}] list loaded (14,965 entries) in {load_seconds:.1f} s")
    print(f"[{label}] rescreened {job.screened:,} customers in {seconds:.1f} s "
          f"({job.screened / seconds:,.0f} a second), {job.raised} cases raised")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--listed", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postgres", help="also run on a scratch database of this server")
    args = parser.parse_args()
    people = _customers(args.customers, args.listed, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RISKDESK_DATA_DIR"] = tmp
        run("sqlite", f"sqlite:///{tmp}/bench.db", people)
    if args.postgres:
        with postgres_database(args.postgres) as url:
            run("postgresql", url, people)


if __name__ == "__main__":
    main()
