"""Fairness audits of a model's validation data or of the live decisions, stored and ledgered."""
