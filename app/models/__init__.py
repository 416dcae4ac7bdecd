"""Every table of the service; importing this package registers them all on SQLModel.metadata."""

from app.models.audit import AuditEvent
from app.models.users import ApiKey, LoginAttempt, User

__all__ = ["ApiKey", "AuditEvent", "LoginAttempt", "User"]
