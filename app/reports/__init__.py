"""Regulatory PDF reports: adverse action notices, model validation and compliance reports."""
