"""Rule-set versions: drafted, run in shadow over past assessments, published by a second
person, rolled back in one step. Exactly one version is published at a time; every version keeps
its own figures (what it did while published, and what its shadow run said it would do)."""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit.service import append_event
from app.auth.four_eyes import require_person, require_second_person
from app.auth.principal import Principal
from app.errors import Conflict, NotFound, Unprocessable
from app.models import AccountAction, AccountAssessment, RuleSetVersion
from app.models.base import utcnow
from risk_models.early_warning.guardrails import ContactCap
from risk_models.early_warning.levels import LevelPolicy
from risk_models.early_warning.rules import (
    RuleSet,
    RuleSetInvalid,
    parse_rule_set,
    rule_set_diff,
    rule_set_sha256,
    shadow_run,
)

DRAFT, PUBLISHED, SUPERSEDED, WITHDRAWN = "draft", "published", "superseded", "withdrawn"
# A shadow run reads at most this many of the latest assessments (its figures say how many).
SHADOW_ASSESSMENTS = 200_000


class InvalidRuleSet(Unprocessable):
    code = "invalid_rule_set"


def default_document() -> dict[str, Any]:
    """The rule set the service publishes first (risk_models/early_warning/default_rules.json)."""
    text = resources.files("risk_models.early_warning").joinpath("default_rules.json").read_text()
    return dict(json.loads(text))


@lru_cache(maxsize=32)
def _parsed(sha256: str, canonical: str) -> RuleSet:
    return parse_rule_set(json.loads(canonical))


def parsed(row: RuleSetVersion) -> RuleSet:
    return _parsed(row.sha256, json.dumps(row.body, sort_keys=True))


def published(session: Session) -> RuleSetVersion | None:
    return session.exec(select(RuleSetVersion).where(RuleSetVersion.state == PUBLISHED)).first()


def in_force(session: Session) -> RuleSet | None:
    """The published rule set, parsed; None before any is published."""
    row = published(session)
    return None if row is None else parsed(row)


def contact_cap(rule_set: RuleSet | None) -> ContactCap:
    """The contact cap in force: the rule set's, or Reg F's before any rule set is published."""
    return rule_set.contact_cap if rule_set is not None else ContactCap()


def level_policy(rule_set: RuleSet | None) -> LevelPolicy:
    """The level cut-offs in force: the rule set's, or the defaults before any is published."""
    return rule_set.levels if rule_set is not None else LevelPolicy()


def get(session: Session, version: int) -> RuleSetVersion:
    row = session.get(RuleSetVersion, version)
    if row is None:
        raise NotFound(f"no rule set version {version}", code="rule_set_not_found")
    return row


def list_versions(session: Session) -> list[RuleSetVersion]:
    return list(session.exec(select(RuleSetVersion)
                             .order_by(col(RuleSetVersion.version).desc())).all())


def draft(session: Session, actor: Principal, body: dict[str, Any],
          based_on: int | None = None) -> RuleSetVersion:
    """Store a new draft version (validated whole: every problem is named with its path)."""
    try:
        rule_set = parse_rule_set(body)
    except RuleSetInvalid as exc:
        raise InvalidRuleSet(f"the rule set has {len(exc.problems)} problem(s); nothing was "
                             "saved", details=list(exc.problems)) from None
    if based_on is not None:
        get(session, based_on)
    document = rule_set.to_document()
    latest = session.exec(select(func.max(RuleSetVersion.version))).one()
    row = RuleSetVersion(version=(latest or 0) + 1, state=DRAFT, body=document,
                         sha256=rule_set_sha256(document), based_on=based_on,
                         created_by=actor.actor_id, created_at=utcnow())
    session.add(row)
    session.flush()
    append_event(session, actor, "ruleset.drafted", "rule_set", str(row.version), {
        "sha256": row.sha256, "based_on": based_on, "rules": len(rule_set.rules)})
    return row


def diff(session: Session, version: int) -> dict[str, Any] | None:
    """What ``version`` changes against the version it revises (or the one in force)."""
    row = get(session, version)
    base = published(session) if row.based_on is None else get(session, row.based_on)
    if base is None or base.version == row.version:
        return None
    from dataclasses import asdict

    return {"from_version": base.version, **asdict(rule_set_diff(parsed(base), parsed(row)))}


def shadow(session: Session, actor: Principal, version: int) -> RuleSetVersion:
    """Run ``version`` over past assessments and keep what it would have done. It acts on
    nothing: no action, no contact, no case (the evaluation is pure)."""
    row = get(session, version)
    rows = session.exec(select(AccountAssessment.account_id, AccountAssessment.as_of,
                               AccountAssessment.signals)
                        .order_by(col(AccountAssessment.id).desc())
                        .limit(SHADOW_ASSESSMENTS)).all()
    figures = shadow_run(parsed(row), ((a, t.isoformat(), s) for a, t, s in reversed(rows)))
    body = {**_figures_document(figures), "assessments": len(rows), "sha256": row.sha256,
            "run_at": utcnow().isoformat()}
    row.shadow = body
    session.add(row)
    session.flush()
    append_event(session, actor, "ruleset.shadow_run", "rule_set", str(version), {
        "sha256": row.sha256, "assessments": len(rows),
        "accounts_alerted": body.get("accounts_alerted")})
    return row


def _figures_document(figures: Any) -> dict[str, Any]:
    if hasattr(figures, "to_dict"):
        return dict(figures.to_dict())
    from dataclasses import asdict

    return {k: (dict(v) if isinstance(v, Counter | dict) else v)
            for k, v in asdict(figures).items()}


def publish(session: Session, actor: Principal, version: int, reason: str) -> RuleSetVersion:
    """Publish a draft that has been run in shadow, by someone other than its author. The
    version in force is superseded."""
    row = get(session, version)
    if row.state != DRAFT:
        raise Conflict(f"rule set {version} is {row.state}; only a draft is published",
                       code="rule_set_not_draft")
    if not row.shadow or row.shadow.get("sha256") != row.sha256:
        raise Conflict(f"run rule set {version} in shadow first: its figures show what it would "
                       "have done before it acts", code="shadow_run_required")
    require_person(actor, "rule-set publication")
    require_second_person(row.created_by, actor, "rule-set publication",
                          code="four_eyes_same_person",
                          message=f"you drafted rule set {version}; a different person "
                                  "publishes it")
    return _put_in_force(session, actor, row, reason, event="ruleset.published")


def _put_in_force(session: Session, actor: Principal, row: RuleSetVersion, reason: str, *,
                  event: str, aside: str = SUPERSEDED) -> RuleSetVersion:
    now = utcnow()
    current = published(session)
    if current is not None:
        current.state, current.superseded_at = aside, now
        session.add(current)
        session.flush()
    row.state, row.published_by, row.published_at, row.superseded_at = (
        PUBLISHED, actor.actor_id, now, None)
    session.add(row)
    session.flush()
    append_event(session, actor, event, "rule_set", str(row.version), {
        "sha256": row.sha256, "replaces": None if current is None else current.version,
        "reason": reason, "state_of_replaced": aside})
    return row


def rollback(session: Session, actor: Principal, reason: str) -> RuleSetVersion:
    """Put the version published before the current one back in force, in one step; the
    current one is withdrawn."""
    current = published(session)
    if current is None:
        raise Conflict("no rule set is published", code="no_published_rule_set")
    previous = session.exec(
        select(RuleSetVersion).where(RuleSetVersion.state == SUPERSEDED,
                                     col(RuleSetVersion.published_at).is_not(None))
        .order_by(col(RuleSetVersion.published_at).desc())).first()
    if previous is None:
        raise Conflict("there is no earlier published rule set to roll back to",
                       code="no_previous_rule_set")
    require_person(actor, "rule-set rollback")
    return _put_in_force(session, actor, previous, reason, event="ruleset.rolled_back",
                         aside=WITHDRAWN)


def publish_default(session: Session, actor: Principal) -> RuleSetVersion | None:
    """At first start, publish the bundled rule set as version 1 (nothing to supersede, no
    shadow to run over an empty history). Does nothing once any version exists."""
    if session.exec(select(RuleSetVersion.version)).first() is not None:
        return None
    row = draft(session, actor, default_document())
    return _put_in_force(session, actor, row, "the bundled first version",
                         event="ruleset.published")


def figures(session: Session, version: int) -> dict[str, Any]:
    """What ``version`` has done while published: actions by kind and state."""
    rows = session.exec(select(AccountAction.kind, AccountAction.state, func.count())
                        .where(AccountAction.rule_set_version == version)
                        .group_by(AccountAction.kind, AccountAction.state)).all()
    by_kind: dict[str, dict[str, int]] = {}
    for kind, state, count in rows:
        by_kind.setdefault(kind, {})[state] = int(count)
    accounts = session.exec(select(func.count(func.distinct(AccountAction.account_id)))
                            .where(AccountAction.rule_set_version == version)).one()
    return {"actions": by_kind, "accounts_with_actions": int(accounts or 0)}
