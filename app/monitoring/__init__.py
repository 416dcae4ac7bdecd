"""Background job runs: what a job is asked to do and how far it got, kept in the database."""
