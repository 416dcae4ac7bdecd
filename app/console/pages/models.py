"""Console pages: the model validator's screens — the registry of models and policies by
lifecycle state, a model's evidence (performance, binning tables and information value, its
lifecycle, drift, back-tests, champion against challenger), the policy versions, the lifecycle
moves on both (through app.scoring.lifecycle, as the API's routes make them) and the home
panels of what waits for validation, approval or acknowledgement.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.auth.deps import SettingsDep
from app.auth.permissions import Action
from app.auth.roles import Role
from app.config import Settings
from app.console import charts
from app.console.deps import ConsoleAction, may
from app.console.home import panel
from app.console.rendering import is_htmx, page
from app.console.sessions import SignedIn
from app.db import SessionDep
from app.drift import repository as drift_repository
from app.drift import service as drift_service
from app.errors import Unprocessable
from app.models import DecisionPolicy, ScoringModel
from app.outcomes import repository as outcomes_repository
from app.reports import access as report_access
from app.reports.schemas import ReportKind
from app.scoring import backfill, comparison, lifecycle
from app.scoring import repository as registry
from app.scoring.lifecycle import Kind
from app.scoring.schemas import LifecycleMove, Promotion
from app.scoring.states import MOVES, RegistryStatus
from app.users import repository as users_repository
from risk_models.artifact import CompiledScorecard
from risk_models.policy import Policy

router = APIRouter(prefix="/console")

# The registry lists the states in the order a version passes through them.
STATES = (RegistryStatus.DRAFT, RegistryStatus.VALIDATED, RegistryStatus.APPROVED,
          RegistryStatus.CHAMPION, RegistryStatus.CHALLENGER, RegistryStatus.RETIRED)
STATE_HINTS = {
    RegistryStatus.DRAFT: "Registered by training or created; waiting for a model validator.",
    RegistryStatus.VALIDATED: "Validated, report attached; waiting for a second person's "
                              "approval.",
    RegistryStatus.APPROVED: "Approved for use; an admin may put it in use.",
    RegistryStatus.CHAMPION: "Decides new applications.",
    RegistryStatus.CHALLENGER: "Scores every new application in shadow; decides nothing.",
    RegistryStatus.RETIRED: "Kept for replay and comparison.",
}
MoveName = Literal["validate", "approve", "promote", "retire"]
MOVE_ACTIONS: dict[str, Action] = {"validate": Action.MODEL_VALIDATE,
                                   "approve": Action.MODEL_APPROVE,
                                   "promote": Action.MODEL_PROMOTE,
                                   "retire": Action.MODEL_RETIRE}
# How far back a champion-challenger comparison on a page reaches: the figures of a longer
# shadow period are the API's (GET /comparisons) to give, not a page view's.
COMPARISON_DAYS = 90
PANEL_ROWS = 5


def _base(kind: Kind) -> str:
    return "/console/models" if kind == "model" else "/console/policies"


def _may_read_validation_reports(signed_in: SignedIn) -> bool:
    """Whether the validation report's link would open for this person: the route admits
    the role, and the reports' own narrowing lets it read that kind."""
    kinds = report_access.visible_kinds(signed_in.principal)
    return may(signed_in, Action.REPORT_READ) and (
        kinds is None or ReportKind.MODEL_VALIDATION.value in kinds)


# --- What a person may do with a version now ------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A lifecycle move offered on a version's page: the role may make it and the lifecycle
    allows it from the version's state (``targets``: where a promotion may put it)."""

    move: str
    label: str
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Offers:
    moves: list[Offer] = field(default_factory=list)
    # Moves the role may make that four eyes keep from this person, said rather than offered.
    held: list[str] = field(default_factory=list)

    def get(self, move: str) -> Offer | None:
        return next((o for o in self.moves if o.move == move), None)


def offers_for(signed_in: SignedIn, kind: Kind, row: ScoringModel | DecisionPolicy) -> Offers:
    """The moves to show: allowed the role by the permission table and by the lifecycle from
    the row's state (states.MOVES); none that could only be refused by a rule."""
    status = RegistryStatus(row.status)
    reachable = MOVES[status]
    me = signed_in.principal.actor_id
    built_by = lifecycle.maker_of(row)
    offers = Offers()
    if may(signed_in, Action.MODEL_VALIDATE) and RegistryStatus.VALIDATED in reachable:
        if built_by == me:
            offers.held.append(f"You built this {kind}: validation is independent of its "
                               "builder, so another model validator validates it.")
        else:
            offers.moves.append(Offer("validate", "Validate"))
    if may(signed_in, Action.MODEL_APPROVE) and RegistryStatus.APPROVED in reachable \
            and status == RegistryStatus.VALIDATED:
        if me in (built_by, row.validated_by):
            did = "built" if me == built_by else "validated"
            offers.held.append(f"You {did} this {kind}: a different person approves it "
                               "(four eyes).")
        else:
            offers.moves.append(Offer("approve", "Approve"))
    # A retired version goes back to champion only by a rollback, never by a promotion.
    targets = tuple(str(t) for t in (RegistryStatus.CHAMPION, RegistryStatus.CHALLENGER)
                    if t in reachable and status != RegistryStatus.RETIRED)
    if may(signed_in, Action.MODEL_PROMOTE) and targets:
        offers.moves.append(Offer("promote", "Promote", targets))
    # The champion is not retired alone (lifecycle.retire): another is promoted instead.
    if may(signed_in, Action.MODEL_RETIRE) and RegistryStatus.RETIRED in reachable \
            and status != RegistryStatus.CHAMPION:
        offers.moves.append(Offer("retire", "Retire"))
    return offers


# --- Reading a version ----------------------------------------------------------------------


def _people(session: Session, actor_ids: set[str | None]) -> dict[str, str]:
    """Usernames of the users among ``actor_ids``; other actors (the service) by their id."""
    known = {i for i in actor_ids if i}
    found = users_repository.people(session, known)
    return {i: found[i][0] if i in found else i for i in known}


def _governance_ids(rows: list[dict[str, Any]]) -> set[str | None]:
    return {r[key] for r in rows for key in ("built_by", "validated_by", "approved_by")}


# Binning tables and information values by artifact digest: a model's validation record never
# changes once stored, and parsing it (its out-of-fold predictions too) would cost every view.
_evidence: dict[str, tuple[dict[str, list[dict[str, Any]]], dict[str, float]]] = {}
_evidence_lock = threading.Lock()


def _evidence_of(model: ScoringModel) -> tuple[dict[str, list[dict[str, Any]]], dict[str, float]]:
    cached = _evidence.get(model.artifact_sha256)
    if cached is None:
        record = json.loads(model.validation or "{}")
        cached = (record.get("binning_tables") or {}, record.get("iv_by_characteristic") or {})
        with _evidence_lock:
            if len(_evidence) > 64:
                _evidence.clear()
            _evidence[model.artifact_sha256] = cached
    return cached


def _characteristics(model: ScoringModel) -> list[dict[str, Any]]:
    """Each characteristic's bins as the artifact scores them (label, WoE, points), with the
    counts, event rates and IV the training recorded beside them, where it did."""
    scorecard = CompiledScorecard.from_json(model.artifact)
    tables, iv = _evidence_of(model)
    shown = []
    for characteristic in scorecard.characteristics:
        stored = tables.get(characteristic.name) or []
        bins = []
        for position, scorecard_bin in enumerate(characteristic.bins):
            row = stored[position] if position < len(stored) else {}
            bins.append({"label": scorecard_bin.label, "kind": scorecard_bin.kind,
                         "woe": scorecard_bin.woe, "points": scorecard_bin.points,
                         "count": row.get("count"), "event_rate": row.get("event_rate"),
                         "iv": row.get("iv")})
        shown.append({"name": characteristic.name, "kind": characteristic.kind,
                      "iv": iv.get(characteristic.name), "bins": bins})
    return shown


def _drift(session: Session, version: str) -> dict[str, Any]:
    checks = drift_repository.list_checks(session, model_version=version, offset=0, limit=1)
    check = checks[0] if checks else None
    view: dict[str, Any] = {"check": check, "rules": drift_service.stability_rules(session),
                            "alerts": drift_repository.alerts_of_model(session, version,
                                                                       limit=10)}
    if check is None:
        return view
    result = check.result
    score = result.get("score") or {}
    rows = [("score (PSI)", score.get("psi"), bool(score.get("infinite")))]
    rows += [(c["name"], c.get("csi"), bool(c.get("infinite")))
             for c in result.get("characteristics") or []]
    view["indices"] = rows
    view["score_bins"] = score.get("bins") or []
    view["chart"] = charts.bars(
        [(name, value) for name, value, _ in rows if value is not None],
        title=f"Score PSI and characteristic CSI of model {version}, window from "
              f"{check.window_start:%Y-%m-%d}; warn threshold {check.warn_threshold:g}",
        value_label=lambda v: f"{v:.3f}", reference=check.warn_threshold)
    return view


def _backtest(session: Session, version: str) -> dict[str, Any] | None:
    record = outcomes_repository.newest_backtest(session, version)
    if record is None:
        return None
    result = record.result
    bands = result.get("bands") or []
    discrimination = result.get("discrimination") or {}
    intervals = []
    for name, key in (("AUC", "auc"), ("KS", "ks")):
        low, high = (discrimination.get(f"{key}_ci") or (None, None))[:2]
        intervals.append(charts.Interval(name, discrimination.get(key), low, high))
    return {
        "record": record, "result": result, "bands": bands, "discrimination": discrimination,
        "intervals": intervals,
        "bands_chart": charts.lines(
            {"Realised": [(b["band"], b["realised_rate"]) for b in bands],
             "Predicted": [(b["band"], b["predicted_rate"]) for b in bands]},
            title=f"Realised and predicted default rate by band, back-test of model "
                  f"{version}", value_label=lambda v: f"{v * 100:.0f}%", low=0.0),
        "discrimination_chart": charts.intervals(
            intervals, title=f"AUC and KS of model {version} on observed outcomes, with "
                             f"{float(discrimination.get('level') or 0.95) * 100:g}% intervals",
            low=0.0, high=1.0, value_label=lambda v: f"{v:.2f}"),
    }


def _comparison(session: Session, model: ScoringModel) -> dict[str, Any] | None:
    """The champion against the challenger model over the challenger's recent shadow period
    (the service the API's GET /comparisons calls), when this model is one of the two."""
    if model.status == RegistryStatus.CHALLENGER:
        challenger = model.version
    elif model.status == RegistryStatus.CHAMPION:
        other = registry.model_in(session, RegistryStatus.CHALLENGER)
        if other is None:
            return None
        challenger = other.version
    else:
        return None
    period = comparison.shadow_period(session, challenger)
    if period is None:
        return {"challenger": challenger, "result": None}
    first, last = period
    first = max(first, last - timedelta(days=COMPARISON_DAYS - 1))
    result = comparison.compare(session, challenger=challenger, date_from=first, date_to=last)
    rates = result.get("approval_rate") or {}
    air = result.get("adverse_impact_ratio") or {}
    champion_air, challenger_air = air.get("champion") or {}, air.get("challenger") or {}
    return {
        "challenger": challenger, "result": result,
        "rates_chart": charts.bars(
            [("Champion", float(rates.get("champion") or 0.0)),
             ("Challenger", float(rates.get("challenger") or 0.0))],
            title=f"Approval rate of the champion and of challenger {challenger}, "
                  f"{first} to {last}", value_label=lambda v: f"{v * 100:.1f}%"),
        "air": [(attribute, champion_air.get(attribute), challenger_air.get(attribute))
                for attribute in sorted(set(champion_air) | set(challenger_air))],
    }


def model_view(session: Session, signed_in: SignedIn, version: str) -> dict[str, Any]:
    """Everything the model page shows."""
    model = lifecycle.row_of(session, "model", version)
    assert isinstance(model, ScoringModel)
    characteristics = _characteristics(model)
    ranked = sorted((c for c in characteristics if c["iv"] is not None),
                    key=lambda c: c["iv"], reverse=True)
    transitions = lifecycle.history(session, "model", version)
    people = _people(session, {model.trained_by, model.validated_by, model.approved_by,
                               *(t.actor_id for t in transitions)})
    monitoring = may(signed_in, Action.MONITORING_READ)
    return {
        "kind": "model", "row": model, "metrics": json.loads(model.metrics),
        "characteristics": characteristics, "ranked": ranked,
        "iv_chart": charts.bars([(c["name"], float(c["iv"])) for c in ranked],
                                title=f"Information value by characteristic, model {version}",
                                value_label=lambda v: f"{v:.3f}") if ranked else None,
        "transitions": transitions, "people": people, "monitoring": monitoring,
        "drift": _drift(session, version) if monitoring else None,
        "backtest": _backtest(session, version) if monitoring else None,
        "comparison": _comparison(session, model) if monitoring else None,
        "may_read_reports": _may_read_validation_reports(signed_in),
        "offers": offers_for(signed_in, "model", model),
    }


def policy_view(session: Session, signed_in: SignedIn, version: str) -> dict[str, Any]:
    """Everything the policy page shows: its rules read from the stored body."""
    row = lifecycle.row_of(session, "policy", version)
    assert isinstance(row, DecisionPolicy)
    transitions = lifecycle.history(session, "policy", version)
    return {
        "kind": "policy", "row": row, "policy": Policy.from_json(row.body),
        "transitions": transitions,
        "people": _people(session, {row.created_by, row.validated_by, row.approved_by,
                                    *(t.actor_id for t in transitions)}),
        "may_read_reports": _may_read_validation_reports(signed_in),
        "offers": offers_for(signed_in, "policy", row),
    }


def _view(session: Session, signed_in: SignedIn, kind: Kind, version: str) -> dict[str, Any]:
    return (model_view(session, signed_in, version) if kind == "model"
            else policy_view(session, signed_in, version))


def _detail(request: Request, signed_in: SignedIn, kind: Kind, view: dict[str, Any], *,
            moved: str | None = None, status_code: int = 200,
            form: dict[str, Any] | None = None) -> Response:
    template = "models/detail.html" if kind == "model" else "models/policy.html"
    return page(request, signed_in, template, status_code=status_code,
                title=f"{'Model' if kind == 'model' else 'Policy'} {view['row'].version}",
                base=_base(kind), moved=moved if moved in MOVE_ACTIONS else None,
                form=form or {}, **view)


# --- Screens --------------------------------------------------------------------------------


@router.get("/models")
def model_registry(request: Request, session: SessionDep,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.MODEL_READ)]) -> Response:
    """The registry: every model (and policy) version by lifecycle state, with who built,
    validated and approved it and when."""
    rows = registry.registry_entries(session, "model")
    with_policies = may(signed_in, Action.POLICY_READ)
    if with_policies:
        rows += registry.registry_entries(session, "policy")
    groups = [(state, STATE_HINTS[state], [r for r in rows if r["status"] == state])
              for state in STATES]
    return page(request, signed_in, "models/registry.html", title="Model registry",
                groups=groups, with_policies=with_policies,
                people=_people(session, _governance_ids(rows)))


@router.get("/models/{version}")
def model_detail(request: Request, session: SessionDep, version: str,
                 signed_in: Annotated[SignedIn, ConsoleAction(Action.MODEL_READ)],
                 moved: str | None = None) -> Response:
    """One model's evidence, lifecycle and the moves this person may make on it."""
    return _detail(request, signed_in, "model", model_view(session, signed_in, version),
                   moved=moved)


@router.get("/policies")
def policy_versions(request: Request, session: SessionDep,
                    signed_in: Annotated[SignedIn, ConsoleAction(Action.POLICY_READ)],
                    ) -> Response:
    """Every policy version with its lifecycle state, newest first."""
    rows = registry.registry_entries(session, "policy")
    return page(request, signed_in, "models/policies.html", title="Policy versions",
                rows=rows, people=_people(session, _governance_ids(rows)),
                hints=STATE_HINTS)


@router.get("/policies/{version}")
def policy_detail(request: Request, session: SessionDep, version: str,
                  signed_in: Annotated[SignedIn, ConsoleAction(Action.POLICY_READ)],
                  moved: str | None = None) -> Response:
    """One policy version's rules, lifecycle and the moves this person may make on it."""
    return _detail(request, signed_in, "policy", policy_view(session, signed_in, version),
                   moved=moved)


# --- Lifecycle moves ------------------------------------------------------------------------

_FIELD_MESSAGES = {"reason": "Say why: the reason is recorded with the move (at most "
                             f"{lifecycle.REASON_MAX_LENGTH} characters, no personal data).",
                   "to": "Choose champion or challenger."}


def _refused(request: Request, session: SessionDep, signed_in: SignedIn, kind: Kind,
             version: str, move: str, values: dict[str, str],
             errors: dict[str, str]) -> Response:
    """The form again, with what was entered and a message by each field at fault (422)."""
    form = {"move": move, "values": values, "errors": errors}
    if is_htmx(request):
        row = lifecycle.row_of(session, kind, version)
        offer = offers_for(signed_in, kind, row).get(move)
        if offer is not None:
            return page(request, signed_in, "models/_move_form.html", status_code=422,
                        kind=kind, row=row, base=_base(kind), offer=offer, form=form)
    return _detail(request, signed_in, kind, _view(session, signed_in, kind, version),
                   status_code=422, form=form)


def _make_move(request: Request, session: SessionDep, settings: Settings, signed_in: SignedIn,
               kind: Kind, version: str, move: str, values: dict[str, str]) -> Response:
    """Make ``move`` through app.scoring.lifecycle, as the API's route does; the page then
    shows the version in its new state. A refusal by the lifecycle (four eyes, a move its
    state does not allow) propagates to the console's error rendering."""
    try:
        body = (Promotion if move == "promote" else LifecycleMove).model_validate(values)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): _FIELD_MESSAGES.get(str(e["loc"][0]), str(e["msg"]))
                  for e in exc.errors() if e["loc"]}
        return _refused(request, session, signed_in, kind, version, move, values, errors)
    actor = signed_in.principal
    try:
        if move == "validate":
            lifecycle.validate(session, settings, actor, kind, version, body.reason)
        elif move == "approve":
            lifecycle.approve(session, actor, kind, version, body.reason)
        elif move == "promote":
            assert isinstance(body, Promotion)
            lifecycle.promote(session, actor, kind, version, RegistryStatus(body.to),
                              body.reason)
            if body.to == RegistryStatus.CHALLENGER:
                backfill.request(session, actor, kind, version)
        else:
            lifecycle.retire(session, actor, kind, version, body.reason)
    except Unprocessable as exc:
        # The reason is checked before anything is written: the form says what is wrong.
        if exc.code in ("reason_required", "reason_too_long"):
            return _refused(request, session, signed_in, kind, version, move, values,
                            {"reason": exc.message[:1].upper() + exc.message[1:] + "."})
        raise
    target = f"{_base(kind)}/{quote(version, safe='')}?moved={move}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _lifecycle_routes(kind: Kind) -> None:
    """The moves of ``kind``: the same actions, rules and errors for models and policies."""
    base = "/models" if kind == "model" else "/policies"

    @router.post(f"{base}/{{version}}/validate", name=f"console_validate_{kind}")
    def validate(request: Request, session: SessionDep, settings: SettingsDep, version: str,
                 signed_in: Annotated[SignedIn, ConsoleAction(Action.MODEL_VALIDATE)],
                 reason: Annotated[str, Form()] = "") -> Response:
        """Validate a draft (for a model, its validation report is generated)."""
        return _make_move(request, session, settings, signed_in, kind, version, "validate",
                          {"reason": reason})

    @router.post(f"{base}/{{version}}/approve", name=f"console_approve_{kind}")
    def approve(request: Request, session: SessionDep, settings: SettingsDep, version: str,
                signed_in: Annotated[SignedIn, ConsoleAction(Action.MODEL_APPROVE)],
                reason: Annotated[str, Form()] = "") -> Response:
        """Approve a validated version: a second person, never its builder or validator."""
        return _make_move(request, session, settings, signed_in, kind, version, "approve",
                          {"reason": reason})

    @router.post(f"{base}/{{version}}/promote", name=f"console_promote_{kind}")
    def promote(request: Request, session: SessionDep, settings: SettingsDep, version: str,
                signed_in: Annotated[SignedIn, ConsoleAction(Action.MODEL_PROMOTE)],
                reason: Annotated[str, Form()] = "",
                to: Annotated[str, Form()] = "") -> Response:
        """Put an approved version (or the challenger) in use as champion or challenger."""
        return _make_move(request, session, settings, signed_in, kind, version, "promote",
                          {"reason": reason, "to": to})

    @router.post(f"{base}/{{version}}/retire", name=f"console_retire_{kind}")
    def retire(request: Request, session: SessionDep, settings: SettingsDep, version: str,
               signed_in: Annotated[SignedIn, ConsoleAction(Action.MODEL_RETIRE)],
               reason: Annotated[str, Form()] = "") -> Response:
        """Retire a version that is not the champion."""
        return _make_move(request, session, settings, signed_in, kind, version, "retire",
                          {"reason": reason})


_lifecycle_routes("model")
_lifecycle_routes("policy")


# --- Home panels ----------------------------------------------------------------------------


def _waiting(session: Session, status: RegistryStatus) -> list[dict[str, Any]]:
    return [*registry.registry_entries(session, "model", status),
            *registry.registry_entries(session, "policy", status)]


@panel("Drafts awaiting validation", Action.MODEL_VALIDATE, "models/home_drafts.html")
def _drafts(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    me = signed_in.principal.actor_id
    rows = [r for r in _waiting(session, RegistryStatus.DRAFT) if r["built_by"] != me]
    return {"count": len(rows), "rows": rows[:PANEL_ROWS]}


@panel("Validated, awaiting approval", Action.MODEL_APPROVE, "models/home_approvals.html")
def _approvals(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    me = signed_in.principal.actor_id
    rows = [r for r in _waiting(session, RegistryStatus.VALIDATED)
            if me not in (r["built_by"], r["validated_by"])]
    return {"count": len(rows), "rows": rows[:PANEL_ROWS],
            "people": _people(session, {r["validated_by"] for r in rows[:PANEL_ROWS]})}


@panel("Open drift alerts", Action.DRIFT_ACKNOWLEDGE, "models/home_drift.html")
def _drift_alerts(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    return {"count": drift_repository.count_open_alerts(session),
            "alerts": drift_repository.list_alerts(session, open_only=True, offset=0,
                                                   limit=PANEL_ROWS)}


@panel("Latest back-test of the champion", Action.MONITORING_RUN, "models/home_backtest.html",
       roles=frozenset({Role.MODEL_VALIDATOR}))
def _latest_backtest(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    champion = registry.in_use_refs(session).get(("model", RegistryStatus.CHAMPION))
    if champion is None:
        return {"champion": None, "backtest": None}
    return {"champion": champion[0],
            "backtest": outcomes_repository.newest_backtest(session, champion[0])}
