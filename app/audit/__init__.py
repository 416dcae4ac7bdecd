"""The audit ledger: appends in the caller's transaction, verification, checkpoints, queries."""
