"""Compliance: the audit ledger's hashing and verification, fairness audits and regulatory reports.

Pure Python: nothing here imports the web service or the database.
"""
