"""PDF reports built with reportlab, byte-for-byte reproducible from their inputs.

Each builder takes a frozen dataclass of plain data and returns the PDF bytes.
"""

from compliance.reports.adverse_action import (
    ECOA_NOTICE,
    ActionTaken,
    AdverseActionNotice,
    Counteroffer,
    CreditScoreDisclosure,
    Party,
    Reason,
    build_adverse_action_notice,
)
from compliance.reports.common import LedgerHead, Provenance
from compliance.reports.compliance_report import (
    ComplianceReportInput,
    LedgerVerification,
    OverrideRow,
    QueueAgeing,
    SignedCheckpoint,
    build_compliance_report,
)
from compliance.reports.model_validation import (
    BenchmarkRow,
    BinRow,
    Characteristic,
    CharacteristicStability,
    Coefficient,
    CounterIntuitive,
    Cutoff,
    DataSummary,
    Method,
    ModelValidationInput,
    PerformanceSummary,
    Signatory,
    Stability,
    StabilityBin,
    build_model_validation_report,
)
from compliance.reports.summaries import (
    CalibrationRow,
    CountRow,
    DecisionSummary,
    ReasonCount,
    calibration_table,
    summarise_decisions,
)

__all__ = [
    "ECOA_NOTICE",
    "ActionTaken",
    "AdverseActionNotice",
    "BenchmarkRow",
    "BinRow",
    "CalibrationRow",
    "Characteristic",
    "CharacteristicStability",
    "ComplianceReportInput",
    "Counteroffer",
    "Coefficient",
    "CounterIntuitive",
    "CountRow",
    "Cutoff",
    "CreditScoreDisclosure",
    "DataSummary",
    "DecisionSummary",
    "LedgerHead",
    "LedgerVerification",
    "Method",
    "ModelValidationInput",
    "OverrideRow",
    "Party",
    "PerformanceSummary",
    "Provenance",
    "QueueAgeing",
    "Reason",
    "ReasonCount",
    "Signatory",
    "SignedCheckpoint",
    "Stability",
    "StabilityBin",
    "build_adverse_action_notice",
    "build_compliance_report",
    "build_model_validation_report",
    "calibration_table",
    "summarise_decisions",
]
