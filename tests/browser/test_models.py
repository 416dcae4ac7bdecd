"""The model validator's screens in a real browser: a draft taken through validation by a
model validator, approval and promotion by an admin (journey 5); the registry, a model's page
and the policy versions accessible."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from app.auth.principal import Principal
from app.auth.roles import Role
from app.db import session_scope
from app.scoring import service
from risk_models.artifact import CompiledScorecard
from risk_models.default_model import PROTECTED, TARGET
from tests.browser.conftest import check_accessibility

pytestmark = pytest.mark.browser
# Validation builds the model validation report: seconds, not the default expectation's five.
MOVE_TIMEOUT = 60_000


def _register_draft(live_server: Any, default_training: Any) -> str:
    """The bundled scorecard registered again on the live server's database as a draft: another
    artifact (its trained_at is now), the same bins and points, so it scores every application
    as the champion does and may replace it without changing a decision."""
    data = default_training[0].compiled.to_dict()
    data["metadata"] = {**data["metadata"],
                        "trained_at": datetime.now(UTC).isoformat(timespec="microseconds")}
    result = dataclasses.replace(default_training[0], compiled=CompiledScorecard.from_dict(data))
    assert [c.to_dict()["bins"] for c in result.compiled.characteristics] == [
        c.to_dict()["bins"] for c in default_training[0].compiled.characteristics]
    engine = live_server.engine()
    try:
        with session_scope(engine) as session:
            return service.register_model(session, Principal.system("test-setup"), result,
                                          data_name="german_credit.csv", target=TARGET,
                                          protected=list(PROTECTED)).version
    finally:
        engine.dispose()


def _move(page: Any, reason_label: str, button: str, reason: str) -> None:
    page.get_by_label(reason_label).fill(reason)
    page.get_by_role("button", name=button, exact=True).click()


def test_journey_5_a_draft_is_validated_approved_and_promoted_to_champion(
        live_server: Any, page_as: Any, default_training: Any, screenshots: Any) -> None:
    version = _register_draft(live_server, default_training)

    validator = page_as(Role.MODEL_VALIDATOR)
    drafts = validator.locator("section.panel").filter(
        has=validator.get_by_role("heading", name="Drafts awaiting validation"))
    expect(drafts.get_by_role("link", name=version)).to_be_visible()
    screenshots(validator, "model-validator-home")

    validator.get_by_role("link", name="Model registry").click()
    expect(validator.get_by_role("heading", name="Model registry", level=1)).to_be_visible()
    check_accessibility(validator)
    validator.locator('section[aria-labelledby="state-draft"]').get_by_role(
        "link", name=version).click()
    expect(validator.get_by_role("heading", level=1)).to_contain_text(version)
    check_accessibility(validator)
    _move(validator, "Reason for validating", "Validate",
          "Discrimination, calibration and stability meet the validation standard.")
    expect(validator.get_by_text(f"model {version} is now validated")).to_be_visible(
        timeout=MOVE_TIMEOUT)
    # The validator approves nothing they validated: they are told so, not offered a button.
    expect(validator.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    expect(validator.get_by_text("a different person approves it")).to_be_visible()
    check_accessibility(validator)
    screenshots(validator, "model-validator-model")

    admin = page_as(Role.ADMIN)
    admin.goto(f"/console/models/{version}")
    _move(admin, "Reason for approving", "Approve", "Validation report reviewed; approved.")
    expect(admin.get_by_text(f"model {version} is now approved")).to_be_visible(
        timeout=MOVE_TIMEOUT)
    admin.get_by_label("Put it in use as").select_option("champion")
    _move(admin, "Reason for promoting", "Promote", "Replaces the champion; scores the same.")
    expect(admin.get_by_text(f"model {version} is now champion")).to_be_visible(
        timeout=MOVE_TIMEOUT)

    admin.get_by_role("link", name="Model registry").click()
    champions = admin.locator('section[aria-labelledby="state-champion"]')
    expect(champions.get_by_role("link", name=version)).to_be_visible()


def test_the_policy_versions_and_a_policys_rules_are_accessible(page_as: Any) -> None:
    page = page_as(Role.MODEL_VALIDATOR)
    page.get_by_role("link", name="Policy versions").click()
    expect(page.get_by_role("heading", name="Policy versions", level=1)).to_be_visible()
    check_accessibility(page)
    page.get_by_role("row").filter(has_text="champion").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Score cut-offs and risk tiers")).to_be_visible()
    check_accessibility(page)
