"""A report's input manifest: every input resolved at creation, in one canonical JSON document.

The manifest holds the builder's whole input (the decision, reasons and parties of a notice; the
model's binning and metrics; a period's figures and its fairness audit), the versions of the
model, policy and reason statements behind them, for a period report the exact decisions it
counted as of a ledger sequence number, the riskdesk version with the sha256 of its lock file,
and the fingerprint of the key that signs the ledger's checkpoints. It is stored with its
sha256 beside the PDF, and the ``report.created`` ledger event carries both hashes: the PDF is
rebuilt from the manifest alone (:func:`build_from`), so a report can be proven at any later
time, whatever has changed in the database since.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from app.reports.schemas import ReportKind
from compliance.ledger import canonical_json, sha256_hex
from compliance.reports import (
    AdverseActionNotice,
    ComplianceReportInput,
    ModelValidationInput,
    Provenance,
    build_adverse_action_notice,
    build_compliance_report,
    build_model_validation_report,
)
from compliance.reports.manifest import from_manifest, to_manifest

MANIFEST_FORMAT = 1

INPUT_TYPES: dict[ReportKind, type] = {
    ReportKind.ADVERSE_ACTION: AdverseActionNotice,
    ReportKind.MODEL_VALIDATION: ModelValidationInput,
    ReportKind.COMPLIANCE: ComplianceReportInput,
}
BUILDERS: dict[ReportKind, Callable[..., bytes]] = {
    ReportKind.ADVERSE_ACTION: build_adverse_action_notice,
    ReportKind.MODEL_VALIDATION: build_model_validation_report,
    ReportKind.COMPLIANCE: build_compliance_report,
}

_LOCK_FILE = Path(__file__).resolve().parents[2] / "requirements.lock"


@cache
def software() -> dict[str, str | None]:
    """The riskdesk version and the sha256 of the lock file it was installed from (None where
    riskdesk runs without its source tree)."""
    try:
        version = metadata.version("riskdesk")
    except metadata.PackageNotFoundError:
        version = "unknown"
    lock = sha256_hex(_LOCK_FILE.read_bytes()) if _LOCK_FILE.is_file() else None
    return {"riskdesk_version": version, "lock_sha256": lock}


def compose(kind: ReportKind, parameters: Mapping[str, Any], report_input: Any, *,
            versions: Mapping[str, Any], rows: Mapping[str, Any] | None,
            signing_key_fingerprint: str) -> dict[str, Any]:
    """The manifest of a report of ``kind`` built from ``report_input``."""
    if not isinstance(report_input, INPUT_TYPES[kind]):
        raise TypeError(f"a {kind} report is built from a {INPUT_TYPES[kind].__name__}")
    return {
        "format": MANIFEST_FORMAT,
        "kind": str(kind),
        "parameters": dict(parameters),
        "versions": dict(versions),
        "rows": None if rows is None else dict(rows),
        "software": software(),
        "signing_key_fingerprint": signing_key_fingerprint,
        "input": to_manifest(report_input),
    }


def serialise(manifest: Mapping[str, Any]) -> tuple[str, str]:
    """The manifest's canonical text and that text's sha256."""
    text = canonical_json(manifest)
    return text, sha256_hex(text)


def build_from(manifest_text: str, report_id: int) -> bytes:
    """The PDF of the report ``report_id`` from its stored manifest text, and nothing else."""
    manifest = json.loads(manifest_text)
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"manifest format {manifest.get('format')!r} is not one this riskdesk "
                         f"reads ({MANIFEST_FORMAT})")
    kind = ReportKind(manifest["kind"])
    report_input: Any = from_manifest(INPUT_TYPES[kind], manifest["input"])
    return BUILDERS[kind](report_input, provenance=Provenance(report_id,
                                                              sha256_hex(manifest_text)))
