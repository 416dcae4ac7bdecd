"""Every table of the service; importing this package registers them all on SQLModel.metadata."""

from app.models.applications import (
    ApplicantIdentity,
    Application,
    ApplicationMonitoring,
    Decision,
    NoticeObligation,
    ReasonCatalogVersion,
)
from app.models.audit import AuditEvent
from app.models.compliance import FairnessAudit, Report
from app.models.early_warning import (
    AccountAction,
    AccountAssessment,
    AccountEvent,
    CustomerSnooze,
    EventLoad,
    LoanAccount,
    RuleSetVersion,
    WatchListEntry,
)
from app.models.monitoring import (
    Backtest,
    DriftAlert,
    DriftCheck,
    JobRun,
    LoanOutcome,
    OutcomeLoad,
    ScoredCharacteristic,
    ShadowDecision,
)
from app.models.reviews import CaseNote, FourEyesApproval, ReviewCase
from app.models.scoring import DecisionPolicy, RegistryTransition, ScoringModel
from app.models.screening import (
    Rescreen,
    Screening,
    ScreeningDisposition,
    ScreeningList,
    ScreeningListEntry,
)
from app.models.subjects import DataSubject, ErasureRequest
from app.models.users import ApiKey, ConsoleSession, LoginAttempt, User

__all__ = [
    "AccountAction", "AccountAssessment", "AccountEvent", "CustomerSnooze", "EventLoad",
    "LoanAccount", "RuleSetVersion", "WatchListEntry",
    "ApiKey", "ApplicantIdentity", "Application", "ApplicationMonitoring", "AuditEvent",
    "Backtest", "CaseNote", "ConsoleSession", "DataSubject", "Decision", "DecisionPolicy",
    "DriftAlert",
    "DriftCheck", "ErasureRequest", "FairnessAudit", "FourEyesApproval", "JobRun",
    "LoanOutcome", "LoginAttempt", "NoticeObligation", "OutcomeLoad", "ReasonCatalogVersion",
    "RegistryTransition", "Report", "Rescreen", "ReviewCase", "ScoredCharacteristic",
    "Screening", "ScreeningDisposition", "ScreeningList", "ScreeningListEntry", "ScoringModel",
    "ShadowDecision", "User",
]
