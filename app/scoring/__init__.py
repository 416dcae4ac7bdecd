"""The model registry and decision policies: registering, activating, loading for scoring."""
