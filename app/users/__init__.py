"""User accounts and API keys, administered by admins (or the CLI)."""
