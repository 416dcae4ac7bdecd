"""Data subjects: personal data sealed per subject, erasure, legal holds and retention."""
