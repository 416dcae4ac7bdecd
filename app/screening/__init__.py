"""Sanctions screening: list versions, screenings, dispositions and rescreening runs."""
