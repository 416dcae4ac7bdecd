"""Sanctions screening: reading lists, normalising names and matching people against them.

Pure Python like the rest of ``risk_models``: no web service, no database. The matcher says
``clear`` or ``potential_match``; confirming a match is a person's decision, recorded by the
service that asks.
"""

from risk_models.screening.dates import PartialDate
from risk_models.screening.lists import (
    LineProblem,
    ListEntry,
    ParsedList,
    bundled_ofac_path,
    parse_ofac_sdn,
    parse_opensanctions_simple,
)
from risk_models.screening.matcher import (
    POTENTIAL_MATCH_THRESHOLD,
    Match,
    Screener,
    ScreeningResult,
)
from risk_models.screening.normalise import name_tokens, normalise_name

__all__ = [
    "POTENTIAL_MATCH_THRESHOLD",
    "LineProblem",
    "ListEntry",
    "Match",
    "ParsedList",
    "PartialDate",
    "Screener",
    "ScreeningResult",
    "bundled_ofac_path",
    "name_tokens",
    "normalise_name",
    "parse_ofac_sdn",
    "parse_opensanctions_simple",
]
