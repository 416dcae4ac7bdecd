"""Sanctions screening: lists, name normalisation and matching."""
