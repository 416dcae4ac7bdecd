"""Benchmarks' model set-up: the bundled scorecard and policy taken through the lifecycle as
people would take them (a validator validates, a second person approves and promotes)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlmodel import Session


def install_champion(session: Session, training: Any, *, challenger: Any = None) -> str:
    """Register ``training`` (a result and its policy) and make both champion; with
    ``challenger`` (another training result), make that model challenger. Returns the champion
    model's version."""
    from app.auth.principal import Principal
    from app.auth.roles import Role
    from app.config import get_settings
    from app.scoring import lifecycle, service
    from app.scoring.states import RegistryStatus
    from app.users.service import create_user
    from risk_models.default_model import PROTECTED, TARGET

    people = {}
    for role in (Role.MODEL_VALIDATOR, Role.ADMIN):
        user = create_user(session, Principal.system("bench"), username=f"bench-{role.value}",
                           password=secrets.token_urlsafe(16), role=role)
        people[role] = Principal.of_user(user)
    settings = get_settings()
    result, policy = training

    def walk(kind: Any, version: str, to: RegistryStatus) -> None:
        lifecycle.validate(session, settings, people[Role.MODEL_VALIDATOR], kind, version,
                           "benchmark set-up")
        lifecycle.approve(session, people[Role.ADMIN], kind, version, "benchmark set-up")
        lifecycle.promote(session, people[Role.ADMIN], kind, version, to, "benchmark set-up")

    actor = Principal.system("bench")
    model = service.register_model(session, actor, result, data_name="german_credit.csv",
                                   target=TARGET, protected=list(PROTECTED))
    service.register_policy(session, actor, policy.to_dict())
    # The validation report reads a snapshot of its own: what it validates must be committed.
    session.commit()
    walk("model", model.version, RegistryStatus.CHAMPION)
    walk("policy", policy.version, RegistryStatus.CHAMPION)
    if challenger is not None:
        other = service.register_model(session, actor, challenger, data_name="german_credit.csv",
                                       target=TARGET, protected=list(PROTECTED))
        session.commit()
        walk("model", other.version, RegistryStatus.CHALLENGER)
    return model.version


def variant(result: Any, *, points_shift: float) -> Any:
    """Another version of a training result: its artifact differs by a new ``trained_at`` and
    its first characteristic's bins ``points_shift`` points lower (a challenger that decides
    some applications differently)."""
    import dataclasses

    from risk_models.artifact import CompiledScorecard

    data = result.compiled.to_dict()
    data["metadata"] = {**data["metadata"], "trained_at": "2000-01-01T00:00:00+00:00"}
    for scorecard_bin in data["characteristics"][0]["bins"]:
        scorecard_bin["points"] -= points_shift
    return dataclasses.replace(result, compiled=CompiledScorecard.from_dict(data))
