"""Drift of models in use: PSI and CSI against the development sample, and alerts."""
