"""The roles of riskdesk's users and integrations."""

from enum import StrEnum


class Role(StrEnum):
    LOAN_OFFICER = "loan_officer"
    UNDERWRITER = "underwriter"
    # Supervises the review queue: reassigns cases, and decides and checks like an underwriter.
    UNDERWRITING_LEAD = "underwriting_lead"
    COMPLIANCE_OFFICER = "compliance_officer"
    # Validates models and policies independently of whoever built them, and watches them in
    # use: drift, back-tests, champion against challenger.
    MODEL_VALIDATOR = "model_validator"
    AUDITOR = "auditor"
    ADMIN = "admin"
    # The loan-servicing system (an API key's role, as a rule): books approved loans as
    # accounts and sends their payment, balance, contact and bureau events.
    SERVICING = "servicing"


ALL_ROLES = tuple(Role)
