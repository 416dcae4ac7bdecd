"""Service settings: one class, read from the environment with the RISKDESK_ prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "insecure-demo-secret-change-me"


class InsecureSettingsError(RuntimeError):
    """Raised at start-up when settings are unsafe outside demo mode."""


class Settings(BaseSettings):
    """Everything riskdesk reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="RISKDESK_", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="Where the SQLite file and keys live.")
    database_url: str = Field(
        "sqlite:///./var/riskdesk.db",
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB.",
    )
    secret_key: SecretStr = Field(SecretStr(DEFAULT_SECRET_KEY), description="JWT signing secret.")
    demo_mode: bool = Field(False, description="Allow the default secret; for local trials only.")
    signing_key_file: Path | None = Field(
        None, description="Ed25519 PEM key that signs ledger checkpoints (default DATA_DIR/...)."
    )
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    login_max_failures: int = Field(5, ge=1, description="Failed logins allowed per window.")
    login_window_seconds: int = Field(60, ge=1)
    db_echo: bool = False

    # Country of the lender: nationality elsewhere counts as foreign in fairness monitoring.
    domestic_country: str = Field("DE", pattern=r"^[A-Z]{2}$")

    # Shown on adverse-action notices.
    creditor_name: str = "riskdesk Demo Bank"
    creditor_address: str = "1 Example Street, 10115 Berlin, Germany"
    supervising_agency_name: str = "Consumer Financial Protection Bureau"
    supervising_agency_address: str = "1700 G Street NW, Washington, DC 20552"
    # The credit bureau whose report feeds the bureau block; named on adverse-action notices so
    # the applicant can ask it for a free copy. Empty name: no consumer report is used.
    consumer_reporting_agency_name: str = "Example Credit Bureau"
    consumer_reporting_agency_address: str = "PO Box 1000, 10117 Berlin, Germany"
    consumer_reporting_agency_phone: str | None = "+49 30 0000000"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if not self.demo_mode and self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY:
            raise InsecureSettingsError(
                "RISKDESK_SECRET_KEY is left at its default; set a long random value "
                "(for a local trial, `riskdesk demo` generates one)."
            )
        if len(self.secret_key.get_secret_value()) < 16:
            raise InsecureSettingsError("RISKDESK_SECRET_KEY must be at least 16 characters.")
        return self

    @property
    def ledger_key_path(self) -> Path:
        """Path of the Ed25519 key that signs ledger checkpoints."""
        return self.signing_key_file or self.data_dir / "ledger_ed25519.pem"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
