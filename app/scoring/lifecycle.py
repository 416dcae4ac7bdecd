"""The lifecycle of models and policies: validate, approve, promote, retire, roll back.

One set of moves for both kinds (app.scoring.states.MOVES). Validation is a model validator's,
never the builder's, and attaches the model validation report; approval is a second person's,
never the builder's or the validator's (four eyes); an admin puts an approved version in use, as
champion or as challenger. Every move is a row of ``registry_transitions`` and a ledger event,
in the transaction that makes it, naming who made it and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from app.audit.service import append_event
from app.auth.four_eyes import require_person, require_second_person
from app.auth.principal import Principal
from app.config import Settings
from app.errors import Conflict, NotFound, Unprocessable
from app.models import DecisionPolicy, RegistryTransition, ScoringModel
from app.scoring import repository
from app.scoring.states import MOVES, ModelPurpose, RegistryStatus
from compliance.ledger import sha256_hex
from risk_models.artifact import CompiledScorecard
from risk_models.features import underivable_characteristics
from risk_models.policy import Policy

Kind = Literal["model", "policy"]
Row = ScoringModel | DecisionPolicy
REASON_MAX_LENGTH = 1000
# The ledger names moves by what happened, not by the status reached.
_EVENTS = {RegistryStatus.VALIDATED: "validated", RegistryStatus.APPROVED: "approved",
           RegistryStatus.CHAMPION: "promoted", RegistryStatus.CHALLENGER: "promoted",
           RegistryStatus.RETIRED: "retired"}


@dataclass(frozen=True)
class Move:
    """A move made: the version moved, and any other version it moved aside (the champion a
    promotion replaced, the challenger a new challenger replaced)."""

    row: Row
    displaced: Row | None = None


def row_of(session: Session, kind: Kind, version: str) -> Row:
    row: Row | None = (repository.model_by_version(session, version) if kind == "model"
                       else repository.policy_by_version(session, version))
    if row is None:
        raise NotFound(f"no {kind} version {version!r}", code=f"{kind}_not_found")
    return row


def maker_of(row: Row) -> str:
    """Who built the version: trained the model or created the policy."""
    return row.trained_by if isinstance(row, ScoringModel) else row.created_by


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Unprocessable("say why: the reason is recorded with the move, on the ledger",
                            code="reason_required")
    if len(reason) > REASON_MAX_LENGTH:
        raise Unprocessable(f"the reason is {len(reason)} characters; at most "
                            f"{REASON_MAX_LENGTH}", code="reason_too_long")
    return reason


def record_transition(session: Session, actor: Principal, kind: Kind, version: str,
                      from_status: RegistryStatus | None, to_status: RegistryStatus,
                      reason: str, *, report_id: int | None = None) -> RegistryTransition:
    row = RegistryTransition(kind=kind, version=version,
                             from_status=None if from_status is None else str(from_status),
                             to_status=str(to_status), actor_id=actor.actor_id,
                             actor_role=str(actor.role), reason=reason, report_id=report_id)
    session.add(row)
    session.flush()
    return row


def _require_move(kind: Kind, row: Row, to: RegistryStatus) -> RegistryStatus:
    """``row``'s status, when the lifecycle lets it become ``to``; else 409 naming the moves it
    allows."""
    current = RegistryStatus(row.status)
    if to not in MOVES[current]:
        allowed = sorted(str(s) for s in MOVES[current])
        raise Conflict(f"{kind} {row.version} is {current}; it can become {', '.join(allowed)}"
                       f", not {to}", code="invalid_transition",
                       details=[{"status": str(current), "requested": str(to),
                                 "allowed": allowed}])
    return current


def _move(session: Session, actor: Principal, kind: Kind, row: Row, to: RegistryStatus,
          reason: str, *, report_id: int | None = None, event: str | None = None,
          extra: dict[str, object] | None = None, changes: dict[str, Any] | None = None,
          ) -> None:
    """Move ``row`` to ``to`` (refused unless the lifecycle allows it), with ``changes`` to
    its columns, its transition row and its ledger event (which records the row as changed)."""
    current = _require_move(kind, row, to)
    row.status = to
    for column, value in (changes or {}).items():
        setattr(row, column, value)
    session.add(row)
    session.flush()
    transition = record_transition(session, actor, kind, row.version, current, to, reason,
                                   report_id=report_id)
    # The reason is free text: the ledger keeps its digest and the transition row that holds
    # it, never the text (it could name someone, and the ledger is never erased).
    append_event(session, actor, f"{kind}.{event or _EVENTS[to]}", kind, row.version, {
        "from_status": str(current), "to_status": str(to), "reason_sha256": sha256_hex(reason),
        "report_id": report_id, "transition_id": transition.id, **(extra or {})},
        rows=(row,))


def check_compatible(row: Row) -> None:
    """Refuse a model whose characteristics the application document cannot give: it would
    score every applicant in its Missing bins. The refusal names them."""
    if not isinstance(row, ScoringModel):
        Policy.from_json(row.body)  # a policy that no longer parses cannot be validated
        return
    features = CompiledScorecard.from_json(row.artifact).features
    if row.purpose == ModelPurpose.BEHAVIOURAL:
        from risk_models.early_warning.behavioural import BEHAVIOURAL_CHARACTERISTICS

        missing = [f for f in features if f not in BEHAVIOURAL_CHARACTERISTICS]
        if missing:
            raise Conflict(
                f"behavioural model {row.version} reads {len(missing)} characteristic(s) that "
                f"no account history gives: {', '.join(missing)}", code="model_incompatible",
                details=[{"characteristic": name} for name in missing])
        return
    missing = underivable_characteristics(features)
    if missing:
        raise Conflict(
            f"model {row.version} reads {len(missing)} characteristic(s) that no application "
            f"can give: {', '.join(missing)}; train it on the characteristics riskdesk derives "
            "(docs/features.md)", code="model_incompatible",
            details=[{"characteristic": name} for name in missing])


def validate(session: Session, settings: Settings, actor: Principal, kind: Kind, version: str,
             reason: str) -> Row:
    """A model validator validates a draft: the model validation report is generated and
    attached. Refused to whoever built it (independent validation) and for a model the
    application document cannot feed."""
    from app.reports.schemas import ReportCreate, ReportKind
    from app.reports.service import create_report

    reason = _reason(reason)
    row = row_of(session, kind, version)
    require_person(actor, f"{kind} validation")
    require_second_person(maker_of(row), actor, f"{kind} validation",
                          code="validator_is_builder",
                          message=f"you built {kind} {version}; validation is independent of "
                                  "its builder")
    # Refused before the report is made: a version that cannot become validated gets none.
    _require_move(kind, row, RegistryStatus.VALIDATED)
    check_compatible(row)
    report_id = None
    if isinstance(row, ScoringModel):
        report = create_report(session, settings, actor, ReportCreate(
            kind=ReportKind.MODEL_VALIDATION, model_version=version))
        report_id = report.id
    _move(session, actor, kind, row, RegistryStatus.VALIDATED, reason, report_id=report_id,
          changes={"validated_by": actor.actor_id, "validated_at": datetime.now(UTC),
                   "validation_report_id": report_id})
    return row


def approve(session: Session, actor: Principal, kind: Kind, version: str, reason: str) -> Row:
    """A second person approves a validated version for use: never whoever built it, never
    whoever validated it."""
    reason = _reason(reason)
    row = row_of(session, kind, version)
    require_second_person(maker_of(row), actor, f"{kind} approval",
                          message=f"you built {kind} {version}; a different person approves it")
    if row.validated_by is not None:
        require_second_person(row.validated_by, actor, f"{kind} approval",
                              message=f"you validated {kind} {version}; a different person "
                                      "approves it")
    _move(session, actor, kind, row, RegistryStatus.APPROVED, reason,
          extra={"built_by": maker_of(row), "validated_by": row.validated_by},
          changes={"approved_by": actor.actor_id, "approved_at": datetime.now(UTC)})
    return row


def _in(session: Session, kind: Kind, status: RegistryStatus, like: Row) -> Row | None:
    """The version of ``kind`` in ``status`` that ``like`` would displace (a model displaces
    only a model of its own purpose)."""
    if kind == "model":
        return repository.model_in(session, status, getattr(like, "purpose", "application"))
    return repository.policy_in(session, status)


def promote(session: Session, actor: Principal, kind: Kind, version: str, to: RegistryStatus,
            reason: str) -> Move:
    """Put an approved version (or the challenger) in use as champion or challenger. The
    champion it replaces retires; a challenger it replaces goes back to approved."""
    if to not in (RegistryStatus.CHAMPION, RegistryStatus.CHALLENGER):
        raise Unprocessable(f"promote to champion or challenger, not {to}",
                            code="invalid_transition")
    reason = _reason(reason)
    row = row_of(session, kind, version)
    if row.status == to:
        raise Conflict(f"{kind} {version} is {to} already", code="invalid_transition")
    if row.status not in (RegistryStatus.APPROVED, RegistryStatus.CHALLENGER):
        raise Conflict(f"{kind} {version} is {row.status}; only an approved version is put in "
                       "use (validate and approve it first)", code="not_approved")
    check_compatible(row)
    displaced = _in(session, kind, to, row)
    if displaced is not None:
        aside = RegistryStatus.RETIRED if to == RegistryStatus.CHAMPION else RegistryStatus.APPROVED
        _move(session, actor, kind, displaced, aside, f"replaced by {version}: {reason}",
              event="retired" if aside == RegistryStatus.RETIRED else "withdrawn",
              extra={"replaced_by": version})
    previous = None if displaced is None else displaced.version
    _move(session, actor, kind, row, to, reason, extra={"replaces": previous},
          changes={"activated_at": datetime.now(UTC)} if to == RegistryStatus.CHAMPION else None)
    return Move(row, displaced)


def retire(session: Session, actor: Principal, kind: Kind, version: str, reason: str) -> Row:
    """Take a version out of the lifecycle (a draft that failed validation, a challenger that
    lost). The champion is not retired alone: promote another or roll back."""
    reason = _reason(reason)
    row = row_of(session, kind, version)
    if row.status == RegistryStatus.CHAMPION:
        raise Conflict(f"{kind} {version} is the champion; retiring it would leave nothing to "
                       "decide with. Promote another version or roll back to the previous "
                       "champion", code="champion_not_retired")
    _move(session, actor, kind, row, RegistryStatus.RETIRED, reason)
    return row


def previous_champion(session: Session, kind: Kind,
                      purpose: str = ModelPurpose.APPLICATION) -> Row | None:
    """The version that was champion before the current one, as promotions and rollbacks have
    stacked them: a promotion puts a version on top, a rollback takes the top one off. So
    rolling back twice goes back twice, never back to the version just rolled back. Models
    stack by purpose: a behavioural champion never displaces an application one."""
    query = (select(RegistryTransition.version, RegistryTransition.from_status)
             .where(RegistryTransition.kind == kind,
                    RegistryTransition.to_status == RegistryStatus.CHAMPION))
    if kind == "model":
        query = query.where(col(RegistryTransition.version).in_(
            select(ScoringModel.version).where(ScoringModel.purpose == purpose)))
    moves = session.exec(query.order_by(col(RegistryTransition.at),
                                        col(RegistryTransition.id))).all()
    stack: list[str] = []
    for version, from_status in moves:
        if from_status == RegistryStatus.RETIRED and len(stack) >= 2 and stack[-2] == version:
            stack.pop()  # a rollback: the one above it came off
        else:
            stack.append(version)
    if len(stack) < 2:
        return None
    row = row_of(session, kind, stack[-2])
    return row if row.status == RegistryStatus.RETIRED else None


def rollback(session: Session, actor: Principal, kind: Kind, reason: str,
             purpose: str = ModelPurpose.APPLICATION) -> Move:
    """Put the previous champion back in one step; the current champion retires."""
    reason = _reason(reason)
    current = (repository.model_in(session, RegistryStatus.CHAMPION, purpose) if kind == "model"
               else repository.policy_in(session, RegistryStatus.CHAMPION))
    back = previous_champion(session, kind, purpose)
    if back is None:
        raise Conflict(f"there is no previous {kind} champion to roll back to",
                       code="no_previous_champion")
    if current is not None:
        _move(session, actor, kind, current, RegistryStatus.RETIRED,
              f"rolled back to {back.version}: {reason}", event="rolled_back",
              extra={"rolled_back_to": back.version})
    _move(session, actor, kind, back, RegistryStatus.CHAMPION, reason, event="reinstated",
          extra={"replaces": None if current is None else current.version},
          changes={"activated_at": datetime.now(UTC)})
    return Move(back, current)


def history(session: Session, kind: Kind, version: str) -> list[RegistryTransition]:
    return list(session.exec(
        select(RegistryTransition)
        .where(RegistryTransition.kind == kind, RegistryTransition.version == version)
        .order_by(col(RegistryTransition.at), col(RegistryTransition.id))).all())


def attest_migrated_statuses(session: Session) -> int:
    """Record on the ledger every model and policy version as the lifecycle migration left it
    (statuses renamed, governance columns added), so deep verification compares them with what
    the ledger says now rather than reporting the migration as tampering. Returns the count."""
    rows: list[Row] = [*session.exec(select(ScoringModel)).all(),
                       *session.exec(select(DecisionPolicy)).all()]
    actor = Principal.system("migration")
    for row in rows:
        # Each version's history starts here: a rollback can return to the migrated champion.
        record_transition(session, actor, "model" if isinstance(row, ScoringModel) else "policy",
                          row.version, None, RegistryStatus(row.status),
                          "status when the lifecycle was introduced")
    if rows:
        append_event(session, actor, "registry.statuses_migrated",
                     "registry", "0011", {
                         "statuses": {f"{'model' if isinstance(r, ScoringModel) else 'policy'}:"
                                      f"{r.version}": r.status for r in rows},
                         "note": "candidate became draft and active became champion; no "
                                 "validation or approval was recorded before the lifecycle"},
                     rows=rows)
    return len(rows)
