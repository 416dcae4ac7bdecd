"""The roles of riskdesk's users and integrations."""

from enum import StrEnum


class Role(StrEnum):
    LOAN_OFFICER = "loan_officer"
    UNDERWRITER = "underwriter"
    COMPLIANCE_OFFICER = "compliance_officer"
    AUDITOR = "auditor"
    ADMIN = "admin"


ALL_ROLES = tuple(Role)
