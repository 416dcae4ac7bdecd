"""A report input survives the trip to its manifest and back unchanged, so a report rebuilt from
its stored manifest is the same document, byte for byte."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest

from compliance.ledger import canonical_json
from compliance.reports import (
    AdverseActionNotice,
    ComplianceReportInput,
    ModelValidationInput,
    build_adverse_action_notice,
    build_compliance_report,
    build_model_validation_report,
)
from compliance.reports.manifest import ManifestError, from_manifest, to_manifest

CASES = [
    ("notice", AdverseActionNotice, build_adverse_action_notice),
    ("validation_input", ModelValidationInput, build_model_validation_report),
    ("compliance_input", ComplianceReportInput, build_compliance_report),
]


@pytest.mark.parametrize(("fixture", "kind", "builder"), CASES, ids=[c[0] for c in CASES])
def test_an_input_rebuilt_from_its_manifest_builds_the_same_pdf(fixture, kind, builder, request):
    original = request.getfixturevalue(fixture)
    # Through canonical JSON text, as it is stored.
    manifest = json.loads(canonical_json(to_manifest(original)))
    again = from_manifest(kind, manifest)
    assert to_manifest(again) == to_manifest(original)
    assert builder(again) == builder(original)


@dataclass(frozen=True)
class _Sample:
    when: datetime
    on: date
    amount: Decimal
    share: float
    counts: tuple[int, ...]
    label: str | None = None


def test_values_keep_their_exact_form():
    sample = _Sample(when=datetime(2026, 3, 1, 9, 30, 0, 5, tzinfo=UTC), on=date(2026, 2, 28),
                     amount=Decimal("1234.50"), share=0.1 + 0.2, counts=(1, 2, 3))
    manifest = to_manifest(sample)
    assert manifest["amount"] == "1234.50"
    assert manifest["when"] == "2026-03-01T09:30:00.000005+00:00"
    assert from_manifest(_Sample, json.loads(json.dumps(manifest))) == sample


def test_numpy_values_become_plain_numbers():
    assert to_manifest({"n": np.int64(3), "x": np.float64(0.25)}) == {"n": 3, "x": 0.25}


@pytest.mark.parametrize("bad", [
    {"when": 5, "on": "2026-01-01", "amount": "1", "share": 0.5, "counts": []},
    {"when": "2026-01-01T00:00:00", "on": "2026-01-01", "amount": "1", "share": "0.5",
     "counts": []},
    {"when": "2026-01-01T00:00:00", "on": "2026-01-01", "amount": "1", "share": 0.5,
     "counts": [], "extra": 1},
])
def test_a_manifest_of_another_shape_is_refused(bad):
    with pytest.raises(ManifestError):
        from_manifest(_Sample, bad)


def test_non_finite_numbers_are_refused():
    with pytest.raises(ManifestError):
        to_manifest({"x": float("nan")})


@pytest.mark.parametrize(("fixture", "kind", "builder"), CASES, ids=[c[0] for c in CASES])
def test_a_stored_report_names_its_id_and_manifest_in_footer_and_xmp(fixture, kind, builder,
                                                                    request):
    import io

    from pypdf import PdfReader

    from compliance.ledger import sha256_hex
    from compliance.reports import Provenance
    from compliance.reports.common import XMP_NAMESPACE
    from tests.compliance.reports.conftest import page_texts

    original = request.getfixturevalue(fixture)
    digest = sha256_hex(canonical_json(to_manifest(original)))
    pdf = builder(original, provenance=Provenance(report_id=4711, manifest_sha256=digest))
    for text in page_texts(pdf):
        assert f"Report 4711 manifest sha256 {digest}" in text
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert xmp.get_nodes_in_namespace("", XMP_NAMESPACE)
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<riskdesk:reportId>4711</riskdesk:reportId>" in raw
    assert f"<riskdesk:manifestSha256>{digest}</riskdesk:manifestSha256>" in raw
    assert xmp.dc_identifier == "riskdesk-report-4711"
    # Deterministic with provenance too.
    assert pdf == builder(original, provenance=Provenance(report_id=4711, manifest_sha256=digest))
