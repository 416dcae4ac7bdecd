"""Creating, listing, reading, downloading and verifying the regulatory PDF reports.

Access is narrowed in :mod:`app.reports.access`; inputs are pinned in
:mod:`app.reports.building` and resolved into a manifest (:mod:`app.reports.manifests`) that the
PDF is built from. What proves a report is the ledger: its ``report.created`` event carries the
sha256 of the PDF and of the manifest, and :func:`verify_report` checks the stored bytes
against the event (not against the row, which could be rewritten together with its bytes),
rebuilds the PDF from the manifest, and verifies the chain up to the event.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app.audit import repository as ledger_repository
from app.audit.service import append_event, public_key
from app.auth.principal import Principal
from app.auth.scope import own_applications_only
from app.config import Settings
from app.db import read_snapshot
from app.errors import Conflict, NotFound
from app.models import AuditEvent, Report
from app.notices import service as notices_service
from app.reports import access, manifests, repository
from app.reports.building import (
    NotRebuildable,
    build_input,
    provenance,
    rebuild,
    resolve_parameters,
)
from app.reports.schemas import ReportCreate, ReportKind
from app.subjects import service as subjects
from app.subjects.service import PersonalDataErased, SealedValueInvalid
from compliance import ledger
from compliance.reports import LedgerHead
from risk_models.notices import OPEN_STATUSES


class ReportIntegrityError(Conflict):
    code = "report_integrity"


def _sealed(session: Session, settings: Settings, application_id: str | None, column: str,
            digest: str, data: bytes) -> bytes:
    """What a report on an application stores names its applicant (the notice's PDF and its
    manifest): sealed under their key, so erasing them erases it. Other reports are stored as
    they are."""
    if application_id is None:
        return data
    return subjects.seal_report(session, settings, application_id, digest, data, column)


def _opened(session: Session, settings: Settings, report: Report, column: str, digest: str,
            data: bytes) -> bytes:
    if report.application_id is None:
        return data
    return subjects.open_report(session, settings, report.application_id, digest, data, column)


def pdf_of(session: Session, settings: Settings, report: Report) -> bytes:
    """A stored report's PDF (``report`` loaded with its bytes), opened when sealed; 410
    ``personal_data_erased`` for a notice whose applicant's data was erased."""
    return _opened(session, settings, report, "pdf", report.sha256, report.pdf)


def manifest_of(session: Session, settings: Settings, report: Report) -> str:
    """A stored report's manifest text, opened when sealed."""
    if report.manifest is None or report.manifest_sha256 is None:
        raise NotRebuildable(f"report {report.id} was made before reports kept their input "
                             "manifest; it cannot be rebuilt, only checked against the ledger")
    return _opened(session, settings, report, "manifest", report.manifest_sha256,
                   report.manifest).decode()


def create_report(session: Session, settings: Settings, actor: Principal,
                  body: ReportCreate, *, notice_id: str | None = None) -> Report:
    """Check access, pin the inputs as of the ledger head into a manifest, build the PDF from
    the manifest, store both, and record both hashes in the ledger."""
    access.check_may_create(actor, body.kind)
    parameters = resolve_parameters(session, actor, body, notice_id=notice_id)
    generated_at = datetime.now(UTC).replace(microsecond=0)
    # The head and every row behind the report are read from one snapshot: later activity, even
    # in the report's own period, never changes what it counted.
    with read_snapshot(session) as snapshot:
        seq, head_hash = repository.ledger_head(snapshot)
        head = LedgerHead(seq, head_hash)
        report_input = build_input(snapshot, settings, body.kind, parameters, generated_at, head)
        versions, rows = provenance(snapshot, body.kind, parameters, head)
    manifest_text, manifest_sha256 = manifests.serialise(manifests.compose(
        body.kind, parameters, report_input, versions=versions, rows=rows,
        signing_key_fingerprint=public_key(settings)["fingerprint"]))
    application_id = parameters.get("application_id")
    report = repository.add(session, Report(
        kind=body.kind.value, parameters=ledger.canonical_json(parameters),
        created_at=generated_at, created_by=actor.actor_id, created_by_role=str(actor.role),
        application_id=application_id,
        model_version=parameters.get("model_version"), ledger_head_seq=seq,
        ledger_head_hash=head_hash, sha256="", size=0, pdf=b"",
        manifest=_sealed(session, settings, application_id, "manifest", manifest_sha256,
                         manifest_text.encode()),
        manifest_sha256=manifest_sha256))
    # The id is known once the row is written, and the PDF prints it.
    assert report.id is not None
    pdf = rebuild(manifest_text, report.id)
    digest = ledger.sha256_hex(pdf)
    report.pdf = _sealed(session, settings, application_id, "pdf", digest, pdf)
    report.sha256, report.size = digest, len(pdf)
    session.add(report)
    session.flush()
    append_event(session, actor, "report.created", "report", report.id or 0, {
        "kind": report.kind, "pdf_sha256": report.sha256, "size": len(pdf),
        "manifest_sha256": manifest_sha256, "ledger_head_seq": seq,
        "ledger_head_hash": head_hash, "parameters": parameters}, rows=(report,))
    if body.kind == ReportKind.ADVERSE_ACTION:
        obligation = notices_service.get(session, parameters["notice_id"])
        if obligation.status in OPEN_STATUSES:
            assert report.id is not None
            notices_service.mark_generated(session, actor, obligation, report.id, generated_at)
    return report


def get_report(session: Session, actor: Principal, report_id: int) -> Report:
    """A report's metadata, when the actor may read it."""
    report = repository.get(session, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}", code="report_not_found")
    access.check_may_read(session, actor, report)
    return report


@dataclass(frozen=True)
class Download:
    """A report's bytes to serve, or why they are refused (``refusal``)."""

    report: Report
    pdf: bytes
    refusal: ReportIntegrityError | None = None


def download_report(session: Session, settings: Settings, actor: Principal,
                    report_id: int) -> Download:
    """A report with its bytes, checked against the sha256 its ``report.created`` event
    recorded; the download is ledgered.

    Bytes that differ from the ledger's hash are never served, even when the row's own hash
    was changed to match them: the refusal is recorded in the ledger (and returned, not raised,
    so that the record commits with the response).
    """
    report = get_report(session, actor, report_id)
    full = repository.get(session, report_id, with_pdf=True)
    assert full is not None
    created = creation_event(session, report_id)
    expected = None if created is None else _pdf_sha256(created)
    try:
        pdf = pdf_of(session, settings, full)
    except SealedValueInvalid:
        # Sealed bytes that do not open were put there by something other than the service.
        pdf = full.pdf
    actual = ledger.sha256_hex(pdf)
    if expected != actual:
        append_event(session, actor, "report.download_refused", "report", report_id, {
            "kind": report.kind, "stored_sha256": actual, "ledger_sha256": expected})
        why = ("the ledger holds no record of its creation" if created is None else
               f"the stored bytes (sha256 {actual}) are not the ones the ledger recorded at "
               f"its creation (sha256 {expected})")
        return Download(full, pdf, ReportIntegrityError(
            f"report {report_id} is not served: {why}; the refusal is recorded in the ledger; "
            "ask an auditor to run `riskdesk report verify`", details={
                "ledger_sha256": expected, "stored_sha256": actual}))
    append_event(session, actor, "report.downloaded", "report", report_id,
                 {"kind": report.kind, "sha256": actual, "size": report.size})
    return Download(full, pdf)


def list_reports(session: Session, actor: Principal, *, kind: ReportKind | None = None,
                 application_id: str | None = None, offset: int = 0,
                 limit: int = 50) -> tuple[list[Report], int]:
    """The reports the actor may read, newest first."""
    kinds = access.visible_kinds(actor)
    if kind is not None:
        kinds = (kind.value,) if kinds is None or kind.value in kinds else ()
    return repository.search(session, kinds=kinds, application_id=application_id,
                             submitted_by=own_applications_only(actor), offset=offset,
                             limit=limit)


def reports_page(session: Session, actor: Principal, *, before_id: int | None = None,
                 limit: int = 25) -> list[Report]:
    """A keyset page of the reports the actor may read (as :func:`list_reports` narrows),
    newest first, without their bytes."""
    return repository.page(session, kinds=access.visible_kinds(actor),
                           submitted_by=own_applications_only(actor), before_id=before_id,
                           limit=limit)


def created_since(session: Session, actor: Principal, since: datetime) -> int:
    """How many reports of the kinds the actor may read were created since ``since`` (the
    loan officers' ownership rule aside: their home shows notices, not this)."""
    return repository.count_since(session, since, kinds=access.visible_kinds(actor))


# --- Verification ------------------------------------------------------------------------------


def creation_event(session: Session, report_id: int) -> AuditEvent | None:
    """The ``report.created`` event of ``report_id``."""
    events, _ = ledger_repository.search_events(
        session, entity_type="report", entity_id=str(report_id), action="report.created",
        limit=1)
    return events[0] if events else None


def _pdf_sha256(event: AuditEvent) -> str | None:
    payload = json.loads(event.payload)
    # Events from before manifests named the PDF's hash "sha256".
    value = payload.get("pdf_sha256", payload.get("sha256"))
    return None if value is None else str(value)


@dataclass
class Verification:
    """The outcome of verifying one stored report; ``ok`` only when every check holds."""

    report_id: int
    kind: str | None
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks[name] = {"ok": ok, "detail": detail}

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c["ok"] for c in self.checks.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, c in self.checks.items() if not c["ok"]]

    def as_dict(self) -> dict[str, Any]:
        return {"report_id": self.report_id, "kind": self.kind, "ok": self.ok,
                "failed": self.failed, "checks": self.checks}


def verify_report(session: Session, settings: Settings, report_id: int,
                  chain: ledger.VerificationResult | None = None) -> Verification:
    """Check a stored report against the ledger: its bytes against the PDF hash the
    ``report.created`` event recorded; its manifest against the event's manifest hash and,
    rebuilt from that manifest, the PDF against the stored bytes; and the chain up to the event.
    Each check is named with what it found. ``chain``: the whole chain's verification when the
    caller has it already (an auditor's trail verifies several reports at once)."""
    report = repository.get(session, report_id, with_pdf=True)
    if report is None:
        raise NotFound(f"no report {report_id}", code="report_not_found")
    result = Verification(report_id, report.kind)
    created = creation_event(session, report_id)
    if created is None:
        result.check("ledger_event", False, "no report.created event names this report")
        return result
    payload = json.loads(created.payload)
    expected = _pdf_sha256(created)
    pdf: bytes | None
    manifest: str | None
    try:
        pdf = pdf_of(session, settings, report)
        manifest = None if report.manifest is None else manifest_of(session, settings, report)
    except PersonalDataErased:
        # Crypto-shredded: nothing opens the bytes any more, by design. What stays provable is
        # that the ledger recorded the report and still verifies.
        result.check("personal_data", False, "the applicant's personal data was erased: this "
                     "notice can no longer be opened or rebuilt; the ledger keeps its hashes")
        pdf = manifest = None
    except SealedValueInvalid as exc:
        result.check("bytes_match_ledger", False, f"the stored bytes do not open: {exc}")
        pdf = manifest = None
    recorded_manifest = payload.get("manifest_sha256")
    if pdf is None:
        pass
    elif (actual := ledger.sha256_hex(pdf)) != expected:
        result.check("bytes_match_ledger", False,
                     f"stored PDF sha256 {actual}; the ledger's (event {created.seq}) {expected}")
    else:
        result.check("bytes_match_ledger", True,
                     f"stored PDF sha256 {actual}, as the ledger recorded (event {created.seq})")
    if pdf is None:
        pass
    elif manifest is None or recorded_manifest is None:
        result.check("rebuild_identical", False, "made before reports kept their input "
                     "manifest: it cannot be rebuilt")
    else:
        manifest_sha256 = ledger.sha256_hex(manifest)
        if manifest_sha256 != recorded_manifest:
            result.check("rebuild_identical", False,
                         f"the stored manifest (sha256 {manifest_sha256}) is not the one the "
                         f"ledger recorded ({recorded_manifest})")
        else:
            rebuilt = rebuild(manifest, report_id)
            same = rebuilt == pdf
            result.check("rebuild_identical", same,
                         "rebuilt from its manifest: identical bytes" if same else
                         f"rebuilt from its manifest: sha256 {ledger.sha256_hex(rebuilt)}, "
                         f"not the stored {ledger.sha256_hex(pdf)}")
    if chain is None:
        chain = repository.verify_up_to(session, created.seq)
    # head_seq is the last event that verified: the whole chain's head, or the one before a
    # break.
    reaches = created.seq <= chain.head_seq
    result.check("chain_verified", reaches,
                 f"the chain verifies from event 1 to event {created.seq}" if reaches else
                 f"the chain does not verify up to event {created.seq}: "
                 f"{chain.problem or f'first bad event {chain.first_bad_seq}'}")
    return result


def record_verification(session: Session, actor: Principal, result: Verification) -> None:
    """A verification is an access to the report and a finding: both go into the ledger."""
    append_event(session, actor, "report.verified", "report", result.report_id,
                 {"ok": result.ok, "failed": result.failed})


def find_by_pdf(session: Session, pdf: bytes) -> dict[str, Any]:
    """Which stored report ``pdf`` is, by the PDF hashes the ledger recorded; ``known`` is
    False when no report.created event carries its hash."""
    digest = ledger.sha256_hex(pdf)
    for event in repository.creation_events_with_pdf_hash(session, digest):
        report_id = int(event.entity_id)
        payload = json.loads(event.payload)
        return {"known": True, "sha256": digest, "report_id": report_id,
                "kind": payload.get("kind"), "created_seq": event.seq,
                "created_at": event.occurred_at.isoformat(),
                "created_by": event.actor_id, "created_by_role": event.actor_role}
    return {"known": False, "sha256": digest}


# What every report PDF says of itself in its XMP metadata (compliance.reports.common): which
# report it claims to be and the manifest it claims to be built from. Read from the raw bytes,
# not by parsing the PDF: an altered file need not parse, and the claim is what names the
# report whose ledger record it is compared with.
_CLAIMED_ID = re.compile(rb"<riskdesk:reportId>(\d{1,12})</riskdesk:reportId>")
_CLAIMED_MANIFEST = re.compile(
    rb"<riskdesk:manifestSha256>([0-9a-f]{64})</riskdesk:manifestSha256>")


@dataclass
class UploadVerification:
    """Whether a PDF someone holds is a report riskdesk made, unaltered since.

    ``genuine`` only when the ledger's ``report.created`` event of a report recorded exactly
    this file's sha256 and the chain verifies up to that event. ``report_id`` is the report the
    file was identified as (``identified``) or, failing that, the one its metadata claims.
    ``stored`` is the verification of riskdesk's own copy of that report, when there is one.
    """

    sha256: str
    size: int
    genuine: bool = False
    identified: bool = False
    report_id: int | None = None
    kind: str | None = None
    created_seq: int | None = None
    created_at: datetime | None = None
    ledger_sha256: str | None = None
    claimed_manifest_sha256: str | None = None
    reasons: list[str] = field(default_factory=list)
    stored: Verification | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in vars(self).items() if k != "stored"},
                "created_at": None if self.created_at is None else self.created_at.isoformat(),
                "stored": None if self.stored is None else self.stored.as_dict()}


def _stored_verification(session: Session, settings: Settings, report_id: int
                         ) -> Verification | None:
    try:
        return verify_report(session, settings, report_id)
    except NotFound:
        return None


def verify_upload(session: Session, settings: Settings, actor: Principal,
                  pdf: bytes) -> UploadVerification:
    """Verify a report PDF someone holds against the ledger and the stored report, and record
    the verification in the ledger when the file names or is a report.

    The file is identified by its sha256 among the PDF hashes ``report.created`` events
    recorded; the chain must verify up to that event (:func:`verify_report`, which also proves
    the stored copy). A file no event recorded is compared with the report its metadata claims
    to be, to say why it is not that report.
    """
    digest = ledger.sha256_hex(pdf)
    result = UploadVerification(sha256=digest, size=len(pdf))
    claimed_manifest = _CLAIMED_MANIFEST.search(pdf)
    result.claimed_manifest_sha256 = (claimed_manifest.group(1).decode() if claimed_manifest
                                      else None)
    found = find_by_pdf(session, pdf)
    if found["known"]:
        result.identified = True
        result.report_id = int(found["report_id"])
        created = creation_event(session, result.report_id)
        assert created is not None
        result.stored = _stored_verification(session, settings, result.report_id)
        _describe_creation(result, created)
        chain = (result.stored.checks.get("chain_verified") if result.stored is not None
                 else None)
        if chain is None:
            verified = repository.verify_up_to(session, created.seq)
            reaches = created.seq <= verified.head_seq
            chain = {"ok": reaches, "detail": f"the chain verifies from event 1 to event "
                     f"{created.seq}" if reaches else f"the chain does not verify up to event "
                     f"{created.seq}: {verified.problem or verified.first_bad_seq}"}
        result.genuine = bool(chain["ok"])
        if not result.genuine:
            result.reasons.append("the ledger recorded this file's sha256, but the ledger "
                                  f"itself is broken: {chain['detail']}")
    else:
        _explain_unknown(session, settings, pdf, result)
    if result.report_id is not None and repository.get(session, result.report_id) is not None:
        append_event(session, actor, "report.verified", "report", result.report_id, {
            "ok": result.genuine, "source": "upload", "uploaded_sha256": digest,
            "identified": result.identified})
    return result


def _describe_creation(result: UploadVerification, created: AuditEvent) -> None:
    payload = json.loads(created.payload)
    result.kind = payload.get("kind")
    result.created_seq = created.seq
    result.created_at = created.occurred_at
    result.ledger_sha256 = _pdf_sha256(created)


def _explain_unknown(session: Session, settings: Settings, pdf: bytes,
                     result: UploadVerification) -> None:
    """Why a file whose sha256 no ``report.created`` event recorded is not a genuine report."""
    if not pdf.startswith(b"%PDF-"):
        result.reasons.append("the file is not a PDF")
    claimed = _CLAIMED_ID.search(pdf)
    if claimed is None:
        result.reasons.append(f"no report in the ledger has sha256 {result.sha256}, and the "
                              "file does not name a riskdesk report in its metadata")
        return
    result.report_id = int(claimed.group(1))
    created = creation_event(session, result.report_id)
    if created is None:
        result.reasons.append(f"the file names report {result.report_id}, but the ledger "
                              "holds no record of that report's creation")
        return
    _describe_creation(result, created)
    result.reasons.append(
        f"the file names report {result.report_id}, but its sha256 {result.sha256} is not the "
        f"sha256 {result.ledger_sha256} the ledger recorded when that report was created "
        f"(event {created.seq}): the file was altered, or it is not that report")
    recorded_manifest = json.loads(created.payload).get("manifest_sha256")
    if (result.claimed_manifest_sha256 is not None and recorded_manifest is not None
            and result.claimed_manifest_sha256 != recorded_manifest):
        result.reasons.append(f"the manifest sha256 it carries ({result.claimed_manifest_sha256}"
                              f") is not the one the ledger recorded ({recorded_manifest})")
    result.stored = _stored_verification(session, settings, result.report_id)
