"""The parties printed on every notice are settings; outside demo mode the service refuses to
start while any is empty or left at its demo value, and names each one to fix."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.config import DEMO_PARTIES, InsecureSettingsError, Settings

REAL_PARTIES = {
    "creditor_name": "Musterbank AG", "creditor_address": "Bankstrasse 5, 60311 Frankfurt",
    "creditor_phone": "+49 69 123456", "supervising_agency_name": "Federal Agency",
    "supervising_agency_address": "1 Agency Way, Capital City",
    "consumer_reporting_agency_name": "Credit Bureau GmbH",
    "consumer_reporting_agency_address": "Postfach 1, 65201 Wiesbaden",
    "consumer_reporting_agency_phone": "+49 800 1234567",
}


def test_demo_parties_are_named_one_by_one():
    settings = Settings(**{**REAL_PARTIES, "creditor_phone": DEMO_PARTIES["creditor_phone"],
                           "consumer_reporting_agency_name": " "})
    assert settings.party_problems() == ["RISKDESK_CREDITOR_PHONE",
                                         "RISKDESK_CONSUMER_REPORTING_AGENCY_NAME"]
    with pytest.raises(InsecureSettingsError, match="RISKDESK_CREDITOR_PHONE"):
        settings.check_ready_to_serve()


def test_real_parties_or_demo_mode_may_serve():
    Settings(**REAL_PARTIES).check_ready_to_serve()
    Settings(demo_mode=True).check_ready_to_serve()


def test_serve_refuses_to_start_with_demo_parties(monkeypatch):
    from app.cli import cli
    from app.config import get_settings

    get_settings.cache_clear()
    monkeypatch.delenv("RISKDESK_DEMO_MODE", raising=False)
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "RISKDESK_CREDITOR_NAME" in result.output
