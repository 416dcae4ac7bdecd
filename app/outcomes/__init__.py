"""Observed loan outcomes and back-testing against them."""
