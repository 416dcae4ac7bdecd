"""Assessing an account from its history: signals, the behavioural score, the risk level and
what the published rules propose. One :class:`Assessor` serves a whole load or rescore: the
champion behavioural scorecard and the rule set are read once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app.early_warning import rulesets
from app.scoring import repository as registry
from app.scoring.states import ModelPurpose
from risk_models.artifact import CompiledScorecard
from risk_models.early_warning.behavioural import characteristics_from_cycles
from risk_models.early_warning.history import (
    current_days_past_due,
    cycles_of,
    engagement_counts,
)
from risk_models.early_warning.levels import LevelPolicy, assess_level
from risk_models.early_warning.rules import ProposedAction, RuleSet, evaluate
from risk_models.early_warning.signals import compute_signals, dpd_bucket
from risk_models.scorer import CompiledScorer


@dataclass(frozen=True)
class Assessment:
    signals: dict[str, Any]
    characteristics: dict[str, Any]
    level: str
    drivers: list[str]
    behavioural_score: float | None
    behavioural_pd: float | None
    days_past_due: int
    dpd_bucket: str
    as_of: datetime
    proposals: list[ProposedAction]


def _parse_time(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out: list[str] = []
    while (year, month) <= end and len(out) < 240:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass
class Assessor:
    """What an assessment needs besides the account: the scorer and the rules in force."""

    scorer: CompiledScorer | None
    model_version: str | None
    rule_set: RuleSet | None
    rule_set_version: int | None
    rule_set_publisher: str | None

    @classmethod
    def current(cls, session: Session) -> Assessor:
        model = registry.champion_model(session, ModelPurpose.BEHAVIOURAL)
        scorer = (None if model is None
                  else CompiledScorer(CompiledScorecard.from_json(model.artifact)))
        published = rulesets.published(session)
        return cls(scorer=scorer, model_version=None if model is None else model.version,
                   rule_set=None if published is None else rulesets.parsed(published),
                   rule_set_version=None if published is None else published.version,
                   rule_set_publisher=None if published is None else published.published_by)

    @property
    def levels(self) -> LevelPolicy:
        return rulesets.level_policy(self.rule_set)

    def assess(self, history: dict[str, Any], *, limit: float | None, previous_level: str,
               on_watch_list: bool, fallback_as_of: datetime) -> Assessment:
        as_of = _parse_time(history["last"]) if history["last"] else fallback_as_of
        cycles = cycles_of(history, limit)
        months = _months(cycles[0].period, as_of.strftime("%Y-%m")) if cycles else []
        signals = compute_signals(
            cycles, engagement_counts=engagement_counts(history, months),
            interactions=[(_parse_time(t), c, n) for t, c, n in history["interactions"]],
            bureau_updates=[_parse_time(t) for t in history["bureau"]], as_of=as_of)
        days = current_days_past_due(history)
        signals["days_past_due"], signals["dpd_bucket"] = days, dpd_bucket(days)
        characteristics = characteristics_from_cycles(cycles) if cycles else {}
        score = pd = None
        if self.scorer is not None and cycles:
            result = self.scorer.score_applicant(characteristics)
            score, pd = float(result.score), float(result.probability_of_default)
        signals.update(behavioural_pd=pd, previous_level=previous_level,
                       on_watch_list=on_watch_list)
        level = assess_level(signals, self.levels)
        signals["level"] = level.level
        proposals = [] if self.rule_set is None else evaluate(self.rule_set, signals)
        return Assessment(signals=signals, characteristics=characteristics, level=level.level,
                          drivers=list(level.drivers), behavioural_score=score,
                          behavioural_pd=pd, days_past_due=days, dpd_bucket=dpd_bucket(days),
                          as_of=as_of, proposals=proposals)
