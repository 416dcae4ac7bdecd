"""Watching granted loans: account histories, signals, the behavioural scorecard, risk levels,
rule sets and their guardrails (pure Python; the service in ``app.early_warning`` stores them)."""
