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
from app.models.reviews import CaseNote, FourEyesApproval, ReviewCase
from app.models.scoring import DecisionPolicy, ScoringModel
from app.models.screening import (
    Rescreen,
    Screening,
    ScreeningDisposition,
    ScreeningList,
    ScreeningListEntry,
)
from app.models.subjects import DataSubject, ErasureRequest
from app.models.users import ApiKey, LoginAttempt, User

__all__ = [
    "ApiKey", "ApplicantIdentity", "Application", "ApplicationMonitoring", "AuditEvent",
    "CaseNote", "DataSubject", "Decision", "DecisionPolicy", "ErasureRequest", "FairnessAudit",
    "FourEyesApproval", "LoginAttempt", "NoticeObligation", "ReasonCatalogVersion", "Report",
    "Rescreen", "ReviewCase", "Screening", "ScreeningDisposition", "ScreeningList",
    "ScreeningListEntry", "ScoringModel", "User",
]
