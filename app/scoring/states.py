"""Where a registered scorecard or policy stands in its lifecycle, and the moves between.

``draft → validated → approved → champion → retired``, with ``challenger`` beside the champion:
a model validator validates a draft (with its model validation report), a second person approves
it, an admin promotes it. Any version may be retired; the previous champion comes back in one
step (a rollback).
"""

from enum import StrEnum


class RegistryStatus(StrEnum):
    DRAFT = "draft"  # registered by training; scores nothing
    VALIDATED = "validated"  # a model validator has validated it, report attached
    APPROVED = "approved"  # a second person approved it for use
    CHAMPION = "champion"  # decides new applications (one at a time)
    CHALLENGER = "challenger"  # decides nothing; scores every application in shadow
    RETIRED = "retired"  # kept for replay and comparison


# Where each status may move (rollback: a retired former champion back to champion).
MOVES: dict[RegistryStatus, frozenset[RegistryStatus]] = {
    RegistryStatus.DRAFT: frozenset({RegistryStatus.VALIDATED, RegistryStatus.RETIRED}),
    RegistryStatus.VALIDATED: frozenset({RegistryStatus.APPROVED, RegistryStatus.RETIRED}),
    RegistryStatus.APPROVED: frozenset({RegistryStatus.CHAMPION, RegistryStatus.CHALLENGER,
                                        RegistryStatus.RETIRED}),
    RegistryStatus.CHALLENGER: frozenset({RegistryStatus.CHAMPION, RegistryStatus.APPROVED,
                                          RegistryStatus.RETIRED}),
    RegistryStatus.CHAMPION: frozenset({RegistryStatus.RETIRED}),
    RegistryStatus.RETIRED: frozenset({RegistryStatus.CHAMPION}),
}


class ModelPurpose(StrEnum):
    """What a scorecard scores: applications for credit, or booked accounts' behaviour."""

    APPLICATION = "application"
    BEHAVIOURAL = "behavioural"
