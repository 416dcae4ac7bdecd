"""Where a registered scorecard or policy stands."""

from enum import StrEnum


class RegistryStatus(StrEnum):
    CANDIDATE = "candidate"  # registered, not deciding
    ACTIVE = "active"  # decides new applications (one at a time)
    RETIRED = "retired"  # decided earlier applications; kept for replay
