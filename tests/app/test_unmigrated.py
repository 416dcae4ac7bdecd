"""Against a database that is not at the newest migration, every command and request says so
plainly and says to run `riskdesk db upgrade`: no traceback, no 500."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [
    ["train", "--data", "risk_models/data/german_credit.csv", "--target", "outcome",
     "--bad-value", "bad"],
    ["audit", "verify"],
    ["notices", "overdue"],
    ["applications", "replay", "x"],
    ["report", "compliance", "--from", "2026-01-01", "--to", "2026-01-31", "--out", "x.pdf"],
])
def test_commands_on_an_unmigrated_database_say_to_upgrade(tmp_path, command):
    env = {**os.environ, "RISKDESK_DATABASE_URL": f"sqlite:///{tmp_path}/empty.db",
           "RISKDESK_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "app.cli", *command], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "riskdesk db upgrade" in done.stderr
    assert "Traceback" not in done.stderr


def test_requests_on_an_unmigrated_database_are_a_503(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from app.config import get_settings
    from app.db import get_engine
    from app.main import create_app

    monkeypatch.setenv("RISKDESK_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        with TestClient(create_app()) as client:
            response = client.get("/applications", headers={"Authorization": "Bearer x"})
    finally:
        get_engine().dispose()
        get_engine.cache_clear()
        get_settings.cache_clear()
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_not_migrated"
