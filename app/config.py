"""Service settings: one class, read from the environment with the RISKDESK_ prefix."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from compliance.retention import LEDGER_MINIMUM_RETENTION_MONTHS

DEFAULT_DATABASE_URL = "sqlite:///./var/riskdesk.db"
DEFAULT_SECRET_KEY = "insecure-demo-secret-change-me"
DEFAULT_DIGEST_KEY = "insecure-demo-digest-key-change-me"
# Demo values of the parties printed on notices; none may reach a real applicant.
DEMO_PARTIES = {
    "creditor_name": "riskdesk Demo Bank",
    "creditor_address": "1 Example Street, 10115 Berlin, Germany",
    "creditor_phone": "+49 30 0000001",
    "supervising_agency_name": "Consumer Financial Protection Bureau",
    "supervising_agency_address": "1700 G Street NW, Washington, DC 20552",
    "consumer_reporting_agency_name": "Example Credit Bureau",
    "consumer_reporting_agency_address": "PO Box 1000, 10117 Berlin, Germany",
    "consumer_reporting_agency_phone": "+49 800 0000000",
}


class InsecureSettingsError(RuntimeError):
    """Raised at start-up when settings are unsafe outside demo mode."""


class KeySettings(BaseSettings):
    """Where the master keys of personal data are: all that a migration which encrypts needs,
    readable without the service's other secrets (see :class:`Settings`)."""

    model_config = SettingsConfigDict(env_prefix="RISKDESK_", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="Where the SQLite file and keys live.")
    # Master keys wrap each data subject's data key (app.subjects.keys): given here, base64 of
    # 32 bytes each, comma-separated, the first wrapping new keys; else read from the key file.
    master_key: SecretStr | None = Field(
        None, description="Master keys, base64, comma-separated, the first active.")
    master_key_file: Path | None = Field(
        None, description="JSON file of master keys (default DATA_DIR/master_keys.json), "
                          "created 0600 on first use when RISKDESK_MASTER_KEY is unset.")

    @property
    def master_key_path(self) -> Path:
        """Path of the master key file (used only when RISKDESK_MASTER_KEY is unset)."""
        return self.master_key_file or self.data_dir / "master_keys.json"


class Settings(KeySettings):
    """Everything riskdesk reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="RISKDESK_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB.",
    )
    secret_key: SecretStr = Field(SecretStr(DEFAULT_SECRET_KEY), description="JWT signing secret.")
    # Keys the digests of personal data (duplicate detection, client addresses in the ledger):
    # a key of its own, so that rotating the token secret does not break duplicate detection.
    digest_key: SecretStr = Field(SecretStr(DEFAULT_DIGEST_KEY),
                                  description="HMAC key of personal-data digests.")
    # Addresses of the reverse proxies whose X-Forwarded-For is believed (comma-separated);
    # empty: the connecting address is the client's, whatever a header claims.
    trusted_proxies: str = ""
    demo_mode: bool = Field(False, description="Allow the default secret; for local trials only.")
    signing_key_file: Path | None = Field(
        None, description="Ed25519 PEM key that signs ledger checkpoints (default DATA_DIR/...)."
    )
    # Signed checkpoints of the ledger's head, appended to a file outside the database: every
    # CHECKPOINT_EVERY_EVENTS events, or CHECKPOINT_EVERY_MINUTES after the last one when there
    # are new events. Verification compares the chain with them.
    checkpoint_dir: Path | None = Field(
        None, description="Directory of the append-only checkpoint file (default "
        "DATA_DIR/checkpoints); best on other storage than the database.")
    checkpoint_every_events: int = Field(1000, ge=1)
    checkpoint_every_minutes: float = Field(10.0, gt=0)
    checkpoint_poll_seconds: float = Field(
        5.0, ge=0, description="How often the server looks at the chain's head; 0: the server "
        "takes no checkpoints by itself.")
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    login_max_failures: int = Field(5, ge=1, description="Failed logins allowed per window.")
    login_window_seconds: int = Field(60, ge=1)
    # The console's sessions end after this long without a request, and this long after sign-in
    # whatever the activity.
    console_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    console_absolute_hours: int = Field(12, ge=1, le=7 * 24)
    db_echo: bool = False
    # PostgreSQL connections the service holds at most, shared by its worker processes: each
    # process gets db_connections // workers (at least 2) and admits as many requests to the
    # database at once (app.admission). Keep it under the server's max_connections, with room
    # for the command line and other clients.
    db_connections: int = Field(20, ge=2, le=10_000)
    # Worker processes serving requests; set by `riskdesk serve --workers`.
    workers: int = Field(1, ge=1, le=256)
    # The largest request body accepted (413 beyond it, before parsing): an application
    # document is a few kilobytes.
    max_request_bytes: int = Field(64 * 1024, ge=1024)
    # A batch of account events (POST /events, at most 5,000 of them): about 250 bytes an
    # event, with room for interaction texts; a feed of long texts is sent in smaller batches.
    max_events_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    # A report PDF uploaded to be verified (the console's "Verify a report").
    max_upload_bytes: int = Field(16 * 1024 * 1024, ge=1024)

    # How long ledger events are kept: at least the EU AI Act's six months (Art. 19(1), 26(6)).
    # Nothing deletes events automatically, whatever the value: the retention run reports how
    # many are older (docs/security.md, "Retention").
    ledger_retention_months: int = Field(
        84, ge=LEDGER_MINIMUM_RETENTION_MONTHS,
        description="Months ledger events are kept (at least 6; default 7 years).")

    # Processes a rescreening run matches names in (the matcher is CPU-bound Python).
    rescreen_processes: int = Field(
        default_factory=lambda: max(1, min(4, os.cpu_count() or 1)), ge=1, le=64)

    # Country of the lender: nationality elsewhere counts as foreign in fairness monitoring.
    domestic_country: str = Field("DE", pattern=r"^[A-Z]{2}$")

    # The parties printed on every notice (Reg B §1002.9(a)(2), FCRA §615(a)). The defaults
    # are demo values: outside demo mode `riskdesk serve` refuses to start while any is left
    # at its demo value or empty (see party_problems).
    creditor_name: str = DEMO_PARTIES["creditor_name"]
    creditor_address: str = DEMO_PARTIES["creditor_address"]
    creditor_phone: str = DEMO_PARTIES["creditor_phone"]
    supervising_agency_name: str = DEMO_PARTIES["supervising_agency_name"]
    supervising_agency_address: str = DEMO_PARTIES["supervising_agency_address"]
    # The credit bureau whose report feeds the bureau block; named on adverse-action notices so
    # the applicant can ask it for a free copy of the report.
    consumer_reporting_agency_name: str = DEMO_PARTIES["consumer_reporting_agency_name"]
    consumer_reporting_agency_address: str = DEMO_PARTIES["consumer_reporting_agency_address"]
    consumer_reporting_agency_phone: str = DEMO_PARTIES["consumer_reporting_agency_phone"]

    # Voluntary monitoring data (sex, marital status, nationality) may be asked for only where
    # the law permits it: "self_test" (Reg B §1002.5(b)(1), §1002.15), with MONITORING_DISCLOSURE
    # shown to the applicant. "off" refuses a monitoring block.
    monitoring_collection: Literal["off", "self_test"] = "off"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if not self.demo_mode and self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY:
            raise InsecureSettingsError(
                "RISKDESK_SECRET_KEY is left at its default; set a long random value "
                "(for a local trial, `riskdesk demo` generates one)."
            )
        if len(self.secret_key.get_secret_value()) < 16:
            raise InsecureSettingsError("RISKDESK_SECRET_KEY must be at least 16 characters.")
        digest_key = self.digest_key.get_secret_value()
        if not self.demo_mode and digest_key == DEFAULT_DIGEST_KEY:
            raise InsecureSettingsError(
                "RISKDESK_DIGEST_KEY is left at its default; set a long random value, different "
                "from RISKDESK_SECRET_KEY (`riskdesk demo` generates one for a local trial).")
        if len(digest_key) < 16 or digest_key == self.secret_key.get_secret_value():
            raise InsecureSettingsError("RISKDESK_DIGEST_KEY must be at least 16 characters and "
                                        "differ from RISKDESK_SECRET_KEY.")
        return self

    def party_problems(self) -> list[str]:
        """The notice-party settings still empty or at a demo value, as environment names."""
        return [f"RISKDESK_{name.upper()}" for name, demo in DEMO_PARTIES.items()
                if not str(getattr(self, name)).strip() or getattr(self, name) == demo]

    def check_ready_to_serve(self) -> None:
        """Refuse to serve real applicants with notices that name demo parties."""
        problems = self.party_problems()
        if problems and not self.demo_mode:
            raise InsecureSettingsError(
                "the parties printed on adverse-action notices are empty or demo values; set "
                + ", ".join(problems))

    @property
    def connections_per_process(self) -> int:
        """The PostgreSQL connections one worker process may hold."""
        return max(2, self.db_connections // self.workers)

    @property
    def ledger_key_path(self) -> Path:
        """Path of the Ed25519 key that signs ledger checkpoints."""
        return self.signing_key_file or self.data_dir / "ledger_ed25519.pem"

    @property
    def checkpoint_path(self) -> Path:
        """Directory of the append-only file of signed ledger checkpoints."""
        return self.checkpoint_dir or self.data_dir / "checkpoints"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
