"""Loan applications: intake, cleansing, decisions, underwriter reviews."""
