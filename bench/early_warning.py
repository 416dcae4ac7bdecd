"""Early warning on the Taiwan card histories: how well it warns, and how fast events flow.

The bundled 30,000 card holders (April to September 2005; ``default`` = defaulted in October)
are split in two halves, stratified by default (seed 0). The behavioural scorecard is trained on
one half with ``train_behavioural(benchmarks=True)`` (its cross-validated AUC and the benchmark
methods on the same folds are reported) and registered as the behavioural champion.
Every account (both halves) is then replayed month by month as account events through the
event path (``app.early_warning.events.load`` in ``session_scope``, at most 5,000 events a
batch, an account's events of a month always in one batch, ``now`` the simulated month end),
into a fresh migrated database, once per published rule set:

- v1, the bundled rule set (``rulesets.publish_default``);
- v2, the same with the Page-Hinkley payment signal (``payment_ratio_drop``) swapped for the
  simple threshold (``payment_ratio_drop_threshold``), drafted, run in shadow and published by
  a second person.

Warning figures are computed on the held-out half only (the scorecard never saw them): coverage
(share of October defaulters with an action raised and not held before October: alert, case,
outreach, watch list or proposal; exceptions are counted apart), lead time (median months from
the first such action to October), precision (share of those accounts that defaulted), and
actions and alerted accounts per 1,000 accounts. Baselines, read from the service's own
assessments: "days past due >= 30", the Page-Hinkley payment signal and the simple threshold,
each as a single trigger. Also: the AUC on the held-out half of the behavioural PD the service
computed after September, and a check that every replayed account's characteristics equal
``wide_characteristics`` of its row (the event mapping loses nothing).

Each month, an account gets a ``payment_due`` (amount: the previous statement's balance clipped
at 0, none known in April; statement balance: this month's), then a ``payment_paid`` when it
paid (days past due ``max(status, 0) * 30``), else a ``payment_missed`` when its status is one
month or more behind (``payment_late`` when nothing was due). An account back to current
without paying anything gets a ``payment_paid`` of 0.00 with 0 days past due: the one event that
reports a status without arrears. No ``balance_snapshot`` is sent: the statement balance
rides on ``payment_due``, and ``balance_drop`` reads deposit balances, not a card's.

Accounts, their approved applications, data subjects (sealed identities) and decisions are
seeded with bulk inserts. After each replay one limit reduction goes through four eyes: a
rule's proposal endorsed by an underwriter and approved by the lead or, when no rule proposed
one that can lawfully be approved, one proposed by the underwriter on a current account and
approved by the lead. The harm counters (``actions.harm_counters``) must then all be 0: the
script exits 1 otherwise.

Throughput is every replayed event through ``events.load`` (validation, storage, folding,
signals, score, level, rules, actions, ledger, commit): wall seconds and events/s, and the
process's CPU seconds (the database server's own CPU on PostgreSQL is not in it).

Run:  .venv/bin/python bench/early_warning.py
          [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
      .venv/bin/python bench/early_warning.py --quick    (3,000 accounts, lighter training)
      [--accounts N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RISKDESK_SECRET_KEY", "benchmark-secret-key-long-enough")
os.environ.setdefault("RISKDESK_DIGEST_KEY", "benchmark-digest-key-long-enough")
os.environ["RISKDESK_JOBS_URL"] = "immediate"

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from app.auth.principal import Principal  # noqa: E402
from app.auth.roles import Role  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import build_engine, session_scope  # noqa: E402
from app.early_warning import actions, events, rulesets  # noqa: E402
from app.errors import RiskdeskError  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from app.models import (  # noqa: E402
    AccountAction,
    AccountAssessment,
    ApplicantIdentity,
    Application,
    DataSubject,
    Decision,
    LoanAccount,
)
from app.users.service import create_user  # noqa: E402
from bench.reports_service import _bulk, _sealed_identity  # noqa: E402
from bench.scratch import postgres_database  # noqa: E402
from risk_models.early_warning.behavioural import (  # noqa: E402
    BEHAVIOURAL_CHARACTERISTICS,
    BEHAVIOURAL_PARAMS,
    PROTECTED,
    load_taiwan,
    taiwan_cycles,
    train_behavioural,
    wide_characteristics,
)
from risk_models.early_warning.history import (  # noqa: E402
    cycle_events,
    empty_history,
)
from tests.app import factories as f  # noqa: E402

PASSWORD = "benchmark password long enough"
QUICK_ACCOUNTS = 3_000
BATCH_EVENTS = 5_000
SEED = 0
OCTOBER = 10  # the month whose default the data records
BOOKED_AT = datetime(2005, 3, 1, tzinfo=UTC)
# Within a simulated month: the statement, then the payment, then the status of an unpaid one.
# What counts as a warning: every action a rule raised and no guardrail held, except the
# exception queue (an escalation no rule covered).
WARNING_KINDS = ("raise_alert", "open_case", "schedule_outreach", "add_to_watch_list",
                 "propose_limit_reduction", "propose_restructuring")
SWAPPED_SIGNAL = ("payment_ratio_drop", "payment_ratio_drop_threshold")


# -- the data and the scorecard -----------------------------------------------------------------


@dataclass
class Book:
    """The Taiwan rows, which half trained the scorecard, and the accounts replayed."""

    wide: pd.DataFrame  # protected columns dropped
    held_out: set[int]
    replayed: list[int]  # row positions, in account order

    @staticmethod
    def account_id(row: int) -> str:
        return f"TW{row + 1:05d}"


def book(accounts: int | None) -> tuple[Book, pd.DataFrame]:
    """The replayed book and the training half (protected columns kept there only for the
    trainer's fairness evidence; nothing replayed carries them)."""
    taiwan = load_taiwan().reset_index(drop=True)
    rng = np.random.default_rng(SEED)
    held_out: set[int] = set()
    for _, rows in taiwan.groupby("default").groups.items():
        positions = np.asarray(rows)
        held_out.update(int(p) for p in rng.permutation(positions)[: len(positions) // 2])
    training = taiwan.loc[sorted(set(range(len(taiwan))) - held_out)]
    replayed = list(range(len(taiwan)))
    if accounts is not None and accounts < len(taiwan):
        replayed = sorted(int(p) for p in rng.choice(len(taiwan), accounts, replace=False))
    wide = taiwan.drop(columns=list(PROTECTED))
    return Book(wide=wide, held_out=held_out, replayed=replayed), training


def train(training: pd.DataFrame, quick: bool) -> tuple[Any, float]:
    started = time.perf_counter()
    if quick:  # a smoke run: one pass of two folds and no benchmark methods
        params = replace(BEHAVIOURAL_PARAMS, cv_folds=2, cv_repeats=1)
        result = train_behavioural(training, benchmarks=False, params=params)
    else:
        result = train_behavioural(training, benchmarks=True)
    return result, time.perf_counter() - started


# -- the events ----------------------------------------------------------------------------------


def replay_months(book_: Book) -> list[tuple[datetime, list[list[dict[str, Any]]]]]:
    """Per month, oldest first: its simulated month end and its batches of events."""
    records = book_.wide.to_dict("records")
    per_month: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
    for row in book_.replayed:
        account_id = Book.account_id(row)
        previous_dpd = 0
        for cycle in taiwan_cycles(records[row]):
            per_month[cycle.period].append(cycle_events(account_id, cycle, previous_dpd))
            previous_dpd = cycle.days_past_due
    months = []
    for period in sorted(per_month):
        batches: list[list[dict[str, Any]]] = [[]]
        for account_events in per_month[period]:
            if len(batches[-1]) + len(account_events) > BATCH_EVENTS:
                batches.append([])
            batches[-1].extend(account_events)
        year, month = int(period[:4]), int(period[5:])
        month_end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC) - timedelta(
            hours=1)
        months.append((month_end, batches))
    sent = {key for _, batches in months for batch in batches for event in batch
            for key in event}
    assert not sent & {*PROTECTED, "SEX", "MARRIAGE", "AGE", "EDUCATION"}, "protected field"
    return months


# -- a database with the book, the people, the champion and a rule set ----------------------


@dataclass
class People:
    underwriter: Principal
    lead: Principal
    servicing: Principal


def _users(engine: Engine) -> People:
    with session_scope(engine) as session:
        made = {role: Principal.of_user(create_user(
            session, Principal.system("bench"), username=f"bench-{role.value}",
            password=PASSWORD, role=role))
            for role in (Role.UNDERWRITER, Role.UNDERWRITING_LEAD, Role.SERVICING)}
    return People(made[Role.UNDERWRITER], made[Role.UNDERWRITING_LEAD], made[Role.SERVICING])


def seed_accounts(engine: Engine, book_: Book) -> None:
    """An approved application (with its sealed applicant and automated decision) and a booked
    revolving account, credit limit LIMIT_BAL, for every replayed row."""
    with Session(engine) as session:
        f.add_model(session, n_rows=400)
        f.add_policy(session)
        session.commit()
    limits = book_.wide["limit"].to_numpy()
    tables: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in book_.replayed:
        app_id, account_id = f"APP{row + 1:010d}", Book.account_id(row)
        limit = Decimal(f"{limits[row]:.2f}")
        tables[Application].append(f.application_row(
            app_id=app_id, submitted_by="bench", submitted_at=BOOKED_AT, status="decided",
            outcome="approve", risk_tier="low", amount=limit, currency="TWD", term_months=12))
        subject, identity = _sealed_identity(app_id, tables[Application][-1][
            "national_id_digest"], BOOKED_AT, {
            "full_name": f"Card holder {row + 1}", "date_of_birth": "1970-01-01",
            "national_id": f"TW{row + 1:08d}", "contact": {}, "co_applicant": None,
            "guarantor": None, "address": {"line1": f"{row + 1} Bench Road", "city": "Taipei",
                                           "postal_code": "100", "country": "TW"}})
        tables[DataSubject].append(subject)
        tables[ApplicantIdentity].append(identity)
        decision = f.decision_row(decision_id=f"DEC{row + 1:010d}", app_id=app_id,
                                  kind="automated", created_at=BOOKED_AT, outcome="approve",
                                  risk_tier="low", score=640.0)
        terms = {"amount": str(limit), "currency": "TWD", "term_months": 12, "apr": "0.1800",
                 "monthly_payment": "0.00"}
        decision["record"] = {**decision["record"], "terms": terms}
        tables[Decision].append(decision)
        tables[LoanAccount].append({
            "id": account_id, "application_id": app_id, "subject_id": subject["id"],
            "product": "revolving", "currency": "TWD", "principal": limit,
            "credit_limit": limit, "term_months": 12, "apr": Decimal("0.1800"),
            "monthly_payment": Decimal("0.00"), "booked_at": BOOKED_AT, "booked_by": "bench",
            "state": "open", "days_past_due": 0, "dpd_bucket": "current", "level": "low",
            "level_since": BOOKED_AT, "events_applied": 0, "history": empty_history(),
            "characteristics": {}, "signals": {}, "drivers": []})
    for table in (Application, DataSubject, ApplicantIdentity, Decision, LoanAccount):
        _bulk(engine, table, tables[table])


def install_behavioural(engine: Engine, training: Any) -> str:
    """Register the behavioural scorecard as champion. Its lifecycle (validation report,
    approval, promotion: some 13 s a database) is not what is measured here."""
    from app.scoring import service
    from app.scoring.states import ModelPurpose, RegistryStatus

    with session_scope(engine) as session:
        model = service.register_model(
            session, Principal.system("bench"), training, data_name="taiwan half (seed 0)",
            target="default", protected=list(PROTECTED), purpose=ModelPurpose.BEHAVIOURAL)
        model.status = RegistryStatus.CHAMPION
        session.add(model)
        return model.version


def swapped_document() -> dict[str, Any]:
    """The bundled rule set with the Page-Hinkley payment signal swapped for the threshold."""
    document = rulesets.default_document()
    old, new = SWAPPED_SIGNAL

    def swap(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (new if k == "signal" and v == old else swap(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return node

    document = swap(document)
    document["description"] = (f"The bundled rules with {old} (Page-Hinkley) swapped for {new} "
                               "(the latest ratio below half its three-cycle mean).")
    return document


def publish(engine: Engine, people: People, variant: str) -> int:
    with session_scope(engine) as session:
        rulesets.publish_default(session, people.lead)
    if variant == "default":
        return 1
    with session_scope(engine) as session:
        version = rulesets.draft(session, people.underwriter, swapped_document(),
                                 based_on=1).version
        rulesets.shadow(session, people.underwriter, version)
    with session_scope(engine) as session:
        rulesets.publish(session, people.lead, version, "the threshold payment signal")
    return version


# -- the replay ----------------------------------------------------------------------------------


@dataclass
class Replay:
    events: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    batches: int = 0
    month_seconds: list[float] = field(default_factory=list)


def replay(engine: Engine, months: list[tuple[datetime, list[list[dict[str, Any]]]]],
           actor: Principal) -> Replay:
    settings = get_settings()
    result = Replay()
    wall, cpu = time.perf_counter(), time.process_time()
    for month_end, batches in months:
        began = time.perf_counter()
        for batch in batches:
            with session_scope(engine) as session:
                load = events.load(session, settings, actor, batch, source="api",
                                   now=month_end)
            if load.rejected or load.applied != len(batch):
                raise RuntimeError(f"{load.rejected} events refused: {load.problems[:3]}")
            result.events += load.applied
            result.batches += 1
        result.month_seconds.append(time.perf_counter() - began)
    result.seconds = time.perf_counter() - wall
    result.cpu_seconds = time.process_time() - cpu
    return result


# -- figures -------------------------------------------------------------------------------------


def trigger_figures(first: dict[str, int], counts: dict[str, int], population: list[str],
                    defaulted: set[str]) -> dict[str, Any]:
    """Coverage, lead time, precision and rates of one trigger over ``population``."""
    alerted = [a for a in population if a in first]
    bad = [a for a in population if a in defaulted]
    caught = [a for a in bad if a in first]
    leads = [OCTOBER - first[a] for a in caught]
    return {
        "accounts": len(population), "defaulters": len(bad),
        "coverage": len(caught) / len(bad) if bad else None,
        "lead_time_months_median": statistics.median(leads) if leads else None,
        "precision": (sum(a in defaulted for a in alerted) / len(alerted)) if alerted else None,
        "alerted_per_1000": 1000 * len(alerted) / len(population) if population else None,
        "actions_per_1000": (1000 * sum(counts.get(a, 0) for a in population) / len(population)
                             if population else None),
    }


def _first(pairs: Iterator[tuple[str, datetime]]) -> tuple[dict[str, int], dict[str, int]]:
    first: dict[str, int] = {}
    counts: Counter[str] = Counter()
    for account_id, at in pairs:
        month = at.month
        first[account_id] = min(first.get(account_id, month), month)
        counts[account_id] += 1
    return first, dict(counts)


def figures(engine: Engine, book_: Book) -> dict[str, Any]:
    ids = {Book.account_id(r): r for r in book_.replayed}
    population = [a for a, r in ids.items() if r in book_.held_out]
    defaults = book_.wide["default"].to_numpy()
    defaulted = {a for a, r in ids.items() if defaults[r] == 1}
    with Session(engine) as session:
        rows = session.exec(select(AccountAction.account_id, AccountAction.kind,
                                   AccountAction.state, AccountAction.created_at)).all()
        assessed = session.exec(select(AccountAssessment.account_id,
                                       AccountAssessment.assessed_at,
                                       AccountAssessment.signals)).all()
        accounts = session.exec(select(LoanAccount.id, LoanAccount.behavioural_pd,
                                       LoanAccount.characteristics)).all()
    warned = [(a, at) for a, kind, state, at in rows
              if kind in WARNING_KINDS and state != actions.HELD]
    first, counts = _first(iter(warned))
    out: dict[str, Any] = {"rules": trigger_figures(first, counts, population, defaulted)}
    members = set(population)
    by_kind = Counter((kind, "held" if state == actions.HELD else "raised")
                      for a, kind, state, _ in rows if a in members)
    out["actions_by_kind"] = {f"{k}:{s}": n for (k, s), n in sorted(by_kind.items())}
    triggers = {
        "dpd_30_plus": lambda s: (s.get("days_past_due") or 0) >= 30,
        "payment_ratio_drop": lambda s: s.get("payment_ratio_drop") is True,
        "payment_ratio_drop_threshold": lambda s: s.get("payment_ratio_drop_threshold") is True,
    }
    for name, fires in triggers.items():
        first, counts = _first((a, at) for a, at, s in assessed if fires(s))
        out[name] = trigger_figures(first, counts, population, defaulted)
    pd_by = {a: p for a, p, _ in accounts}
    scored = [a for a in population if pd_by.get(a) is not None]
    out["heldout_auc"] = float(roc_auc_score([int(a in defaulted) for a in scored],
                                             [pd_by[a] for a in scored]))
    out["characteristics_mismatches"] = _mismatches(book_, ids, accounts)
    return out


def _mismatches(book_: Book, ids: dict[str, int], accounts: Any) -> int:
    """Accounts whose characteristics after September differ from the wide table's."""
    expected = wide_characteristics(book_.wide).to_numpy()
    wrong = 0
    for account_id, _, held in accounts:
        want = expected[ids[account_id]]
        got = np.array([np.nan if held.get(name) is None else held[name]
                        for name in BEHAVIOURAL_CHARACTERISTICS], dtype=float)
        wrong += not np.allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True)
    return wrong


def four_eyes(engine: Engine, people: People) -> dict[str, Any]:
    """Take one limit reduction through four eyes: a rule's proposal endorsed by one person and
    approved by another; when no rule proposed one that can lawfully be approved, one proposed
    by hand (an underwriter) on a current account and approved by the lead."""
    with Session(engine) as session:
        proposed = list(session.exec(select(AccountAction.id).where(
            AccountAction.kind == "propose_limit_reduction",
            AccountAction.state == actions.AWAITING_ENDORSEMENT)
            .order_by(col(AccountAction.id))).all())
        current = list(session.exec(select(LoanAccount.id).where(
            LoanAccount.days_past_due == 0, col(LoanAccount.behavioural_pd).is_not(None))
            .order_by(col(LoanAccount.behavioural_pd).desc()).limit(20)).all())
    refused: Counter[str] = Counter()
    for action_id in proposed[:20]:
        try:
            with session_scope(engine) as session:
                actions.endorse(session, people.underwriter, action_id, "bench: endorse")
                done = actions.approve(session, people.lead, action_id, "bench: approve")
            return {"path": "rule proposal endorsed", "rule_proposals": len(proposed),
                    "notice": done.notice_id is not None, "refused": dict(refused)}
        except RiskdeskError as exc:  # no lawful reason for this one: try the next
            refused[exc.code] += 1
    for account_id in current:
        try:
            with session_scope(engine) as session:
                made = actions.propose(session, people.underwriter, account_id,
                                       "propose_limit_reduction", {"reduce_by_pct": 30},
                                       "bench: proposed by hand")
                done = actions.approve(session, people.lead, made.id, "bench: approve")
            return {"path": "proposed by hand", "rule_proposals": len(proposed),
                    "notice": done.notice_id is not None, "refused": dict(refused)}
        except RiskdeskError as exc:
            refused[exc.code] += 1
    return {"path": None, "rule_proposals": len(proposed), "refused": dict(refused)}


def harm(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        published = rulesets.published(session)
        cap = rulesets.parsed(published).contact_cap if published else None
        return actions.harm_counters(session, cap)


# -- one database, one rule set ------------------------------------------------------------------


def run_one(label: str, url: str, data_dir: str, variant: str, book_: Book, training: Any,
            months: list[tuple[datetime, list[list[dict[str, Any]]]]]) -> dict[str, Any]:
    from app.db import get_engine

    os.environ["RISKDESK_DATABASE_URL"] = url
    os.environ["RISKDESK_DATA_DIR"] = data_dir
    get_settings.cache_clear()
    get_engine.cache_clear()
    began = time.perf_counter()
    upgrade(url)
    engine = build_engine(url)
    people = _users(engine)
    seed_accounts(engine, book_)
    install_behavioural(engine, training)
    version = publish(engine, people, variant)
    setup = time.perf_counter() - began
    run = replay(engine, months, people.servicing)
    result: dict[str, Any] = {
        "backend": label, "rule_set": variant, "rule_set_version": version,
        "setup_seconds": round(setup, 1), "accounts": len(book_.replayed),
        "account_months": len(book_.replayed) * len(months), "events": run.events,
        "batches": run.batches, "seconds": round(run.seconds, 1),
        "cpu_seconds": round(run.cpu_seconds, 1),
        "events_per_second": round(run.events / run.seconds),
        "account_months_per_second": round(len(book_.replayed) * len(months) / run.seconds),
        "month_seconds": [round(s, 1) for s in run.month_seconds]}
    result["figures"] = figures(engine, book_)
    result["four_eyes"] = four_eyes(engine, people)
    result["harm"] = harm(engine)
    engine.dispose()
    return result


# -- output --------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def print_run(result: dict[str, Any]) -> None:
    print(f"\n{result['backend']} · rule set v{result['rule_set_version']} "
          f"({result['rule_set']}): {result['events']:,} events "
          f"({result['account_months']:,} account-months) in {result['seconds']:.1f} s = "
          f"{result['events_per_second']:,} events/s, "
          f"{result['account_months_per_second']:,} account-months/s "
          f"(CPU {result['cpu_seconds']:.1f} s; set-up {result['setup_seconds']:.0f} s; "
          f"per month {result['month_seconds']})")
    figs = result["figures"]
    held = figs["rules"]
    print(f"  held-out half: {held['accounts']:,} accounts, {held['defaulters']:,} defaulters;"
          f" behavioural PD AUC after September {figs['heldout_auc']:.4f}; characteristics "
          f"differing from wide_characteristics: {figs['characteristics_mismatches']}")
    print(f"  {'trigger':<30} {'coverage':>8} {'lead (mo)':>9} {'precision':>9} "
          f"{'alerted/1k':>10} {'actions/1k':>10}")
    for name in ("rules", "dpd_30_plus", "payment_ratio_drop", "payment_ratio_drop_threshold"):
        row = figs[name]
        lead = row["lead_time_months_median"]
        print(f"  {name:<30} {_pct(row['coverage']):>8} "
              f"{'-' if lead is None else f'{lead:.1f}':>9} {_pct(row['precision']):>9} "
              f"{row['alerted_per_1000']:10.1f} {row['actions_per_1000']:10.1f}")
    print(f"  actions on the held-out half: {figs['actions_by_kind']}")
    print(f"  four eyes: {result['four_eyes']}")
    print(f"  harm counters: {result['harm']}", flush=True)


def training_summary(training: Any, seconds: float) -> dict[str, Any]:
    metrics = training.metrics
    return {"result": training, "seconds": round(seconds, 1), "rows": metrics["n_rows"],
            "cv_auc": metrics["cv_auc"], "cv_auc_std": metrics["cv_auc_std"],
            "holdout_auc": metrics.get("holdout_auc"),
            "benchmarks": [{k: b[k] for k in ("name", "auc", "auc_std", "ks")}
                           for b in metrics.get("benchmarks") or []]}


def print_training(summary: dict[str, Any]) -> None:
    seconds = summary["seconds"]
    print(f"behavioural scorecard trained on {summary['rows']:,} rows in {seconds:.0f} s: "
          f"CV AUC {summary['cv_auc']:.4f} ± {summary['cv_auc_std']:.4f}", flush=True)
    for row in summary["benchmarks"]:
        print(f"  {row['name']:<32} AUC {row['auc']:.4f} ± {row['auc_std']:.4f}  "
              f"KS {row['ks']:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=None,
                        help="Replay this many accounts, drawn at random (default: all).")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_ACCOUNTS:,} accounts and a lighter training: a smoke run.")
    parser.add_argument("--postgres", help="Also run on a scratch database of this server.")
    parser.add_argument("--json", action="store_true", help="Print only the JSON summary.")
    args = parser.parse_args()
    accounts = QUICK_ACCOUNTS if args.quick and args.accounts is None else args.accounts
    command = ".venv/bin/python bench/early_warning.py" + (" --quick" if args.quick else "") + (
        f" --accounts {args.accounts}" if args.accounts else "") + (
        f" --postgres {args.postgres}" if args.postgres else "")
    if not args.json:
        print(command, flush=True)
    book_, training_rows = book(accounts)
    summary = training_summary(*train(training_rows, args.quick))
    training = summary.pop("result")
    if not args.json:
        print_training(summary)
    months = replay_months(book_)
    runs = []
    databases = [("SQLite", variant) for variant in ("default", "threshold")]
    if args.postgres:
        databases += [("PostgreSQL", variant) for variant in ("default", "threshold")]
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as scratch:
        for backend, variant in databases:
            url = (f"sqlite:///{tmp}/{variant}.db" if backend == "SQLite"
                   else scratch.enter_context(postgres_database(str(args.postgres))))
            runs.append(run_one(backend, url, tmp, variant, book_, training, months))
            if not args.json:
                print_run(runs[-1])
    harmful = [r for r in runs if any(r["harm"].values())]
    unchecked = [r for r in runs if r["four_eyes"]["path"] is None]
    print(json.dumps({"command": command, "training": summary, "runs": runs,
                      "harm_ok": not harmful}, default=str))
    if not args.json:
        if unchecked:
            print("no limit reduction could be approved: the four-eyes counters count nothing")
        print(f"repeat: {command}")
    if harmful:
        sys.exit(1)


if __name__ == "__main__":
    main()
