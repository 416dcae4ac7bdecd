"""Receiving account events: each validated on its own (a bad one is reported, the good ones
are loaded), stored once by its id, folded into its account's history, and every account they
touched reassessed — signals, behavioural score, level, rules, actions — in one transaction with
one ledger event for the load.

Loading is idempotent (an id seen before with the same content is a duplicate; with other
content, a refused reuse) and tolerates disorder: an event older than its account's latest is
folded by rebuilding that account's history from all its stored events, so the result does not
depend on the order events arrive in.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from app.audit.service import append_event
from app.auth.principal import Principal
from app.config import Settings
from app.early_warning import accounts as accounts_service
from app.early_warning import actions as actions_service
from app.early_warning import rulesets
from app.early_warning.assessment import Assessor
from app.early_warning.schemas import (
    EVENT_ADAPTER,
    EVENT_CLOCK_SKEW,
    EVENT_MAX_AGE,
    MAX_EVENTS_PER_BATCH,
)
from app.errors import Unprocessable
from app.models import AccountAssessment, AccountEvent, EventLoad, LoanAccount
from app.models.base import table_of, utcnow
from app.subjects.crypto import Binding
from app.subjects.service import PersonalDataErased, seal_bytes
from compliance.ledger import canonical_json, sha256_hex
from risk_models.early_warning.history import empty_history, fold
from risk_models.early_warning.levels import LevelAssessment
from risk_models.early_warning.sentiment import score_interaction

API, FILE = "api", "file"
MAX_LISTED_PROBLEMS = 200
_EVENTS, _ACCOUNTS = table_of(AccountEvent), table_of(LoanAccount)


def text_binding(event_id: str) -> Binding:
    return Binding("account_events", event_id, "text_sealed")


@dataclass
class _Valid:
    index: int
    event: dict[str, Any]  # as validated, JSON-safe
    sha256: str
    text: str | None = None
    derived: dict[str, Any] = field(default_factory=dict)
    sealed: bytes | None = None


def _problem(index: int, event_id: Any, field_name: str | None, code: str,
             message: str) -> dict[str, Any]:
    return {"index": index, "event_id": event_id if isinstance(event_id, str) else None,
            "field": field_name, "code": code, "message": message}


def _occurrence_problem(moment: datetime, now: datetime) -> str | None:
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return "occurred_at is outside the calendar once converted to UTC"
    if utc > now + EVENT_CLOCK_SKEW:
        return (f"occurred_at {utc.isoformat()} is after the time of loading "
                f"({now.isoformat(timespec='seconds')}): send an event once it has happened")
    if utc < now - EVENT_MAX_AGE:
        return (f"occurred_at {utc.isoformat()} is more than {EVENT_MAX_AGE.days // 365} years "
                "before the time of loading: no signal reads it; check the date")
    return None


def _validate(raw: Sequence[Any], indexes: Sequence[int], problems: list[dict[str, Any]],
              now: datetime) -> list[_Valid]:
    valid: list[_Valid] = []
    for index, item in zip(indexes, raw, strict=True):
        event_id = item.get("id") if isinstance(item, dict) else None
        try:
            model = EVENT_ADAPTER.validate_python(item)
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=False)[:5]:
                where = ".".join(str(p) for p in error["loc"]) or None
                message = f"{where or 'event'}: {error['msg']}"
                if error["type"] == "union_tag_invalid":
                    # Its message repeats the value sent, which could be anything (a name).
                    where, message = "kind", ("kind is not a kind of event; use one of "
                                              f"{error['ctx']['expected_tags']}")
                problems.append(_problem(index, event_id, where, "invalid_event", message))
            continue
        if (wrong := _occurrence_problem(model.occurred_at, now)) is not None:
            problems.append(_problem(index, event_id, "occurred_at", "occurred_at_out_of_range",
                                     wrong))
            continue
        body = model.model_dump(mode="json")
        body["occurred_at"] = model.occurred_at.astimezone(UTC).isoformat()
        text = body.pop("text", None)
        digest_body = dict(body, text_sha256=None if text is None else sha256_hex(text))
        valid.append(_Valid(index, body, sha256_hex(canonical_json(digest_body)), text))
    return valid


def _known(session: Session, ids: list[str]) -> dict[str, str]:
    known: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        known.update(session.exec(select(AccountEvent.id, AccountEvent.sha256)
                                  .where(col(AccountEvent.id).in_(chunk))).all())
    return known


def _accounts(session: Session, ids: list[str]) -> dict[str, LoanAccount]:
    found: dict[str, LoanAccount] = {}
    for start in range(0, len(ids), 500):
        for account in session.exec(select(LoanAccount)
                                    .where(col(LoanAccount.id).in_(ids[start:start + 500]))):
            found[account.id] = account
    return found


def load(session: Session, settings: Settings, actor: Principal, raw: Sequence[Any], *,
         source: str, indexes: Sequence[int] | None = None,
         problems: list[dict[str, Any]] | None = None, now: datetime | None = None) -> EventLoad:
    """Load one batch of events (at most :data:`MAX_EVENTS_PER_BATCH`). ``indexes`` number them
    in problems (a file's line numbers; by default positions from 0); ``problems`` found before
    (unreadable lines) are reported with the load. ``now`` is when the service acts on them
    (actions, contact windows, snoozes): the wall clock, except in a replay of history."""
    if len(raw) > MAX_EVENTS_PER_BATCH:
        raise Unprocessable(f"a batch holds at most {MAX_EVENTS_PER_BATCH:,} events; split it",
                            code="too_many_events")
    now = now or utcnow()
    problems = list(problems or [])
    unreadable = len(problems)
    valid = _validate(raw, indexes or range(len(raw)), problems, now)
    known = _known(session, [v.event["id"] for v in valid])
    fresh: dict[str, _Valid] = {}
    duplicates = 0
    for item in valid:
        event_id = item.event["id"]
        seen = fresh[event_id].sha256 if event_id in fresh else known.get(event_id)
        if seen is None:
            fresh[event_id] = item
        elif seen == item.sha256:
            duplicates += 1
        else:
            problems.append(_problem(item.index, event_id, "id", "event_id_reused",
                                     f"event {event_id} was received before with other content; "
                                     "an event is never changed: send a new event with its own "
                                     "id"))
    accounts = _accounts(session, sorted({v.event["account_id"] for v in fresh.values()}))
    applied: list[_Valid] = []
    for item in fresh.values():
        account = accounts.get(item.event["account_id"])
        if account is None:
            problems.append(_problem(item.index, item.event["id"], "account_id",
                                     "account_not_found",
                                     f"no loan account {item.event['account_id']}: book the "
                                     "account (POST /accounts) before sending its events"))
        elif account.state != "open":
            problems.append(_problem(item.index, item.event["id"], "account_id",
                                     "account_closed", f"account {account.id} is closed"))
        elif item.text is not None and not _seal_text(session, settings, item, account,
                                                      problems):
            continue
        else:
            applied.append(item)
    _derive_and_store(session, applied, load_id := uuid.uuid4().hex, now)
    touched = sorted({v.event["account_id"] for v in applied})
    assessor = Assessor.current(session)
    raised, entries = _reassess(session, assessor, [accounts[a] for a in touched],
                                _by_account(applied), now=now)
    problems.sort(key=lambda p: p["index"])
    row = EventLoad(id=load_id, loaded_at=now, loaded_by=actor.actor_id, source=source,
                    sha256=sha256_hex(canonical_json([v.sha256 for v in valid])),
                    received=len(raw) + unreadable, applied=len(applied),
                    duplicates=duplicates,
                    rejected=len(raw) + unreadable - len(applied) - duplicates,
                    accounts=len(touched),
                    rule_set_version=assessor.rule_set_version,
                    problems=_listed(problems))
    session.add(row)
    actions_service.record_raised(session, actor, raised, entries)
    append_event(session, actor, "events.loaded", "event_load", load_id, {
        "source": source, "sha256": row.sha256, "received": row.received,
        "applied": row.applied, "duplicates": duplicates, "rejected": row.rejected,
        "accounts": len(touched), "actions": len(raised),
        "rule_set_version": assessor.rule_set_version,
        "behavioural_model": assessor.model_version}, rows=(row,))
    return row


def _listed(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first problems, and when there are more, one last entry saying how many more (from
    the index it names)."""
    if len(problems) <= MAX_LISTED_PROBLEMS:
        return problems
    rest = problems[MAX_LISTED_PROBLEMS:]
    return [*problems[:MAX_LISTED_PROBLEMS], _problem(
        rest[0]["index"], None, None, "more_problems",
        f"{len(rest):,} more problems from this index on are not listed; fix the ones above and "
        "send the batch again")]


def _by_account(applied: list[_Valid]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in applied:
        grouped[item.event["account_id"]].append(item.event | item.derived)
    return grouped


def _seal_text(session: Session, settings: Settings, item: _Valid, account: LoanAccount,
               problems: list[dict[str, Any]]) -> bool:
    """Seal an interaction's text under its customer's key; an erased customer's text is
    refused on its own, the batch's other events are loaded."""
    assert item.text is not None
    try:
        item.sealed = seal_bytes(session, settings, account.subject_id,
                                 text_binding(item.event["id"]), item.text.encode())
    except PersonalDataErased:
        problems.append(_problem(
            item.index, item.event["id"], "text", "personal_data_erased",
            f"the personal data of account {account.id}'s customer was erased: what they say "
            "is no longer received; send their other events without interactions"))
        return False
    return True


def _derive_and_store(session: Session, applied: list[_Valid], load_id: str,
                      now: datetime) -> None:
    rows = []
    for item in applied:
        event = item.event
        if item.text is not None:
            sentiment = score_interaction(item.text)
            item.derived = {"compound": round(sentiment.compound, 4),
                            "distress_terms": len(sentiment.distress_terms),
                            "vader_compound": round(sentiment.vader_compound, 4)}
        payload = {k: v for k, v in event.items()
                   if k not in ("id", "account_id", "kind", "occurred_at")}
        rows.append({"id": event["id"], "account_id": event["account_id"],
                     "kind": event["kind"],
                     "occurred_at": datetime.fromisoformat(event["occurred_at"]),
                     "received_at": now, "load_id": load_id, "sha256": item.sha256,
                     "payload": payload, "text_sealed": item.sealed, "derived": item.derived})
    if rows:
        session.flush()
        session.execute(insert(_EVENTS), rows)


def _stored_events(session: Session, account_id: str) -> list[dict[str, Any]]:
    out = []
    for kind, at, payload, derived in session.exec(
            select(AccountEvent.kind, AccountEvent.occurred_at, AccountEvent.payload,
                   AccountEvent.derived).where(AccountEvent.account_id == account_id)):
        out.append({**payload, **derived, "kind": kind,
                    "occurred_at": at.astimezone(UTC).isoformat()})
    return out


def _reassess(session: Session, assessor: Assessor, accounts: list[LoanAccount],
              events: dict[str, list[dict[str, Any]]], *, now: datetime,
              cause: str = "events") -> tuple[list[Any], list[Any]]:
    """Fold each account's new events and reassess it; returns the actions raised and the
    watch-list entries rules added."""
    if not accounts:
        return [], []
    watched = accounts_service.on_watch_list(session, [a.id for a in accounts])
    cap = rulesets.contact_cap(assessor.rule_set)
    ctx = actions_service.context(session, accounts, now=now, cap=cap,
                                  rule_set_version=assessor.rule_set_version,
                                  watch_owner=assessor.rule_set_publisher, watched=watched)
    updates, assessments, pending = [], [], []
    for account in accounts:
        new = events.get(account.id, [])
        history = account.history
        late = history["last"] is not None and new and (
            min(e["occurred_at"] for e in new) < history["last"])
        if late:
            # Out of order: rebuild from every stored event (the new ones are stored already).
            history = fold(empty_history(), sorted(_stored_events(session, account.id),
                                                   key=lambda e: e["occurred_at"]))
        elif new:
            history = fold(history, sorted(new, key=lambda e: e["occurred_at"]))
        result = assessor.assess(history, limit=None if account.credit_limit is None
                                 else float(account.credit_limit), previous_level=account.level,
                                 on_watch_list=account.id in watched, fallback_as_of=now)
        changed = result.level != account.level
        updates.append({
            "_id": account.id, "history": history, "characteristics": result.characteristics,
            "signals": result.signals, "drivers": result.drivers,
            "days_past_due": result.days_past_due, "dpd_bucket": result.dpd_bucket,
            "level": result.level, "level_since": now if changed else account.level_since,
            "behavioural_score": result.behavioural_score,
            "behavioural_pd": result.behavioural_pd,
            "behavioural_model": assessor.model_version,
            "last_event_at": result.as_of if history["last"] else account.last_event_at,
            "events_applied": account.events_applied + len(new)})
        assessments.append({"account_id": account.id, "assessed_at": now, "as_of": result.as_of,
                            "cause": cause, "level": result.level,
                            "previous_level": account.level,
                            "behavioural_pd": result.behavioural_pd,
                            "rule_set_version": assessor.rule_set_version,
                            "signals": result.signals, "drivers": result.drivers})
        pending.append((account, result))
    session.flush()
    session.execute(update(_ACCOUNTS).where(_ACCOUNTS.c.id == bindparam("_id")), updates)
    ids = _insert_assessments(session, assessments)
    raised: list[Any] = []
    for (account, result), assessment_id in zip(pending, ids, strict=True):
        previous = account.level
        account.signals, account.drivers = result.signals, result.drivers
        account.level, account.days_past_due = result.level, result.days_past_due
        raised.extend(actions_service.apply_proposals(
            session, ctx, account, assessment_id, result.proposals,
            LevelAssessment(result.level, tuple(result.drivers)), previous))
    for account in accounts:
        session.expunge(account)  # written with Core above; the session must not write it again
    return raised, ctx.entries


def _insert_assessments(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    table = table_of(AccountAssessment)
    result = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                             rows)
    return [int(r[0]) for r in result]


def reassess(session: Session, actor: Principal, account_ids: Sequence[str], *,
             cause: str, now: datetime | None = None) -> int:
    """Reassess accounts without new events (a new behavioural champion, the schedule)."""
    now = now or utcnow()
    assessor = Assessor.current(session)
    done = 0
    for start in range(0, len(account_ids), 1000):
        found = _accounts(session, list(account_ids[start:start + 1000]))
        raised, entries = _reassess(session, assessor, list(found.values()), {}, now=now,
                                    cause=cause)
        actions_service.record_raised(session, actor, raised, entries)
        done += len(found)
    return done


# --- Files ----------------------------------------------------------------------------------


def read_jsonl(path: Path, batch: int = MAX_EVENTS_PER_BATCH
               ) -> Iterator[tuple[list[int], list[Any], list[dict[str, Any]]]]:
    """Batches of a JSON-lines file: (line numbers, parsed items, unreadable lines as
    problems). A blank line is skipped."""
    lines: list[int] = []
    items: list[Any] = []
    problems: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
                lines.append(number)
            except (ValueError, UnicodeDecodeError) as exc:
                problems.append(_problem(number, None, None, "invalid_json",
                                         f"line {number} is not JSON: {exc}"))
            if len(items) + len(problems) >= batch:
                yield lines, items, problems
                lines, items, problems = [], [], []
    if items or problems:
        yield lines, items, problems
