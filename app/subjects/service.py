"""Data subjects and their keys: who an application is from, and sealing and opening their
personal data (identities, underwriters' notes, notices) under their data key.

The sealing functions are general (bytes or JSON, for one subject, bound to a table, row and
column), so any later store of personal data (sanctions screening names, say) uses them as they
are. Unwrapped data keys are not cached: unwrapping is one AES-GCM operation, and a key is held
only for the call that needs it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import text
from sqlmodel import Session

from app import digests
from app.applications.cleansing import normalised
from app.audit.service import append_event
from app.auth.principal import Principal
from app.config import Settings
from app.errors import Conflict, NotFound, RiskdeskError
from app.models import ApplicantIdentity, Application, DataSubject, Decision
from app.subjects import crypto, repository
from app.subjects.crypto import Binding
from app.subjects.keys import MasterKeyUnavailable, keyring
from risk_models.document import ApplicationDocument

S = TypeVar("S")


class PersonalDataErased(RiskdeskError):
    status_code = 410
    code = "personal_data_erased"


class SealedValueInvalid(RiskdeskError):
    """A sealed value that does not open under its subject's key where it is stored: altered,
    or moved from another row (never served)."""

    status_code = 500
    code = "sealed_value_invalid"


# --- Which subject ------------------------------------------------------------------------------


def match_subject(find: Callable[[str], S | None], national_id_digest: str | None,
                  name_dob_digest: str) -> tuple[S | None, str]:
    """The subject an application is from, and the digest they are to be known by.

    By the national id when the application has one, else by name and date of birth. A person
    known so far only by name and date of birth (an application without a national id) who now
    gives a national id is the same subject, known from now on by the national id.
    """
    if national_id_digest is None:
        return find(name_dob_digest), name_dob_digest
    subject = find(national_id_digest)
    if subject is None:
        subject = find(name_dob_digest)
    return subject, national_id_digest


def _lock_digests(session: Session, digests: Sequence[str]) -> None:
    # Two applications of one new person at once must not create two subjects (the lookup
    # digest is unique). SQLite already serialises writers; PostgreSQL locks the digests.
    if session.get_bind().dialect.name == "postgresql":
        for digest in sorted(digests):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                            {"k": f"subject:{digest}"})


def new_subject(settings: Settings, lookup_digest: str) -> DataSubject:
    """A subject with a fresh data key, wrapped by the active master key."""
    subject_id = uuid.uuid4().hex
    key_id, master = keyring(settings).active()
    return DataSubject(id=subject_id, lookup_digest=lookup_digest, master_key_id=key_id,
                       wrapped_key=crypto.wrap(master, key_id, subject_id, crypto.new_key()))


def subject_for(session: Session, settings: Settings, *, national_id_digest: str | None,
                name_dob_digest: str) -> DataSubject:
    """The subject an application is from (:func:`match_subject`), created when new."""
    _lock_digests(session, [d for d in (national_id_digest, name_dob_digest) if d])
    subject, digest = match_subject(lambda d: repository.by_lookup_digest(session, d),
                                    national_id_digest, name_dob_digest)
    if subject is None:
        subject = new_subject(settings, digest)
        session.add(subject)
        session.flush()  # before the rows that reference it: no relationship orders the inserts
    elif subject.lookup_digest != digest:
        subject.lookup_digest = digest
        session.add(subject)
    return subject


def find(session: Session, settings: Settings, actor: Principal, *, national_id: str | None,
         full_name: str | None, date_of_birth: date | None) -> dict[str, list[str]]:
    """Subjects (and their matching applications) by national id, or by name and date of birth,
    compared as intake stored them (cleansed, then digested). The search is ledgered, without
    what was searched for."""
    nid = None if national_id is None else digests.national_id_digest(
        settings, normalised("kyc.national_id", national_id))
    ndob = None if full_name is None or date_of_birth is None else digests.name_dob_digest(
        settings, normalised("kyc.full_name", full_name), date_of_birth)
    found = repository.subjects_of_digests(session, national_id_digest=nid, name_dob_digest=ndob)
    append_event(session, actor, "subject.searched", "data_subject", "search", {
        "by": [k for k, v in (("national_id", nid), ("name_and_date_of_birth", ndob)) if v],
        "subject_ids": sorted(found)})
    return found


# --- Sealing and opening ------------------------------------------------------------------------


def _data_key(settings: Settings, subject: DataSubject) -> bytes:
    if subject.wrapped_key is None or subject.master_key_id is None:
        raise PersonalDataErased(
            f"the personal data of subject {subject.id} was erased ({subject.shred_cause}, "
            f"{subject.shredded_at:%Y-%m-%d}); it cannot be read or used again"
            if subject.shredded_at else f"subject {subject.id} has no data key")
    master = keyring(settings).key(subject.master_key_id)
    try:
        return crypto.unwrap(master, subject.master_key_id, subject.id, subject.wrapped_key)
    except crypto.SealedValueError:
        raise MasterKeyUnavailable(
            f"master key {subject.master_key_id} does not open the data key of subject "
            f"{subject.id}: the wrapped key was altered", code="master_key_mismatch") from None


def _subject(session: Session, subject_id: str) -> DataSubject:
    subject = session.get(DataSubject, subject_id)
    if subject is None:
        raise NotFound(f"no data subject {subject_id}", code="subject_not_found")
    return subject


def seal_bytes(session: Session, settings: Settings, subject_id: str, binding: Binding,
               plaintext: bytes) -> bytes:
    """``plaintext`` sealed under the subject's data key, bound to where it will be stored."""
    key = _data_key(settings, _subject(session, subject_id))
    return crypto.seal(key, plaintext, binding.associated_data(subject_id))


def open_bytes(session: Session, settings: Settings, subject_id: str, binding: Binding,
               sealed: bytes) -> bytes:
    """A value sealed by :func:`seal_bytes`; 410 ``personal_data_erased`` once shredded."""
    key = _data_key(settings, _subject(session, subject_id))
    try:
        return crypto.open_sealed(key, sealed, binding.associated_data(subject_id))
    except crypto.SealedValueError as exc:
        raise SealedValueInvalid(f"a sealed value of subject {subject_id} in {binding.table}."
                                 f"{binding.column} ({binding.row}) does not open: {exc}"
                                 ) from None


def seal_json(session: Session, settings: Settings, subject_id: str, binding: Binding,
              value: Any) -> bytes:
    body = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    return seal_bytes(session, settings, subject_id, binding, body)


def open_json(session: Session, settings: Settings, subject_id: str, binding: Binding,
              sealed: bytes) -> Any:
    return json.loads(open_bytes(session, settings, subject_id, binding, sealed))


# --- Identities ---------------------------------------------------------------------------------


def identity_binding(application_id: str) -> Binding:
    return Binding("applicant_identities", application_id, "sealed")


@dataclass(frozen=True)
class Identity:
    """An applicant's personal data as submitted (after cleansing)."""

    full_name: str
    date_of_birth: date
    national_id: str | None
    address: dict[str, Any] | None
    contact: dict[str, Any]
    co_applicant: dict[str, Any] | None
    guarantor: dict[str, Any] | None


def identity_value(document: ApplicationDocument) -> dict[str, Any]:
    """The personal data of an application document, as sealed."""
    kyc = document.kyc

    def dumped(part: Any) -> Any:
        return None if part is None else part.model_dump(mode="json")

    return {"full_name": kyc.full_name, "date_of_birth": kyc.date_of_birth.isoformat(),
            "national_id": kyc.national_id, "address": dumped(kyc.address),
            "contact": dumped(kyc.contact), "co_applicant": dumped(document.co_applicant),
            "guarantor": dumped(document.guarantor)}


def keep_identity(session: Session, settings: Settings, application: Application,
                  document: ApplicationDocument) -> ApplicantIdentity:
    """Store the application's personal data sealed under its subject's key (the subject found
    by the application's digests, or created)."""
    return store_identity(session, settings, application, identity_value(document))


def store_identity(session: Session, settings: Settings, application: Application,
                   value: dict[str, Any]) -> ApplicantIdentity:
    """Store ``value`` (the shape of :func:`identity_value`) as the application's identity."""
    subject = subject_for(session, settings, national_id_digest=application.national_id_digest,
                          name_dob_digest=application.name_dob_digest)
    row = ApplicantIdentity(
        application_id=application.id, subject_id=subject.id,
        sealed=seal_json(session, settings, subject.id, identity_binding(application.id), value))
    session.add(row)
    return row


def identity_row(session: Session, application_id: str) -> ApplicantIdentity:
    row = session.get(ApplicantIdentity, application_id)
    if row is None:
        raise Conflict(f"application {application_id} has no applicant identity",
                       code="applicant_identity_missing")
    return row


def identity_of(session: Session, settings: Settings, application_id: str) -> Identity:
    """The applicant's personal data; 410 ``personal_data_erased`` once shredded."""
    row = identity_row(session, application_id)
    value = open_json(session, settings, row.subject_id, identity_binding(application_id),
                      row.sealed)
    return Identity(**{**value, "date_of_birth": date.fromisoformat(value["date_of_birth"])})


# --- Underwriters' notes ------------------------------------------------------------------------


def note_binding(decision_id: str) -> Binding:
    return Binding("decisions", decision_id, "note_sealed")


def case_note_binding(note_id: str) -> Binding:
    return Binding("case_notes", note_id, "note_sealed")


def seal_case_note(session: Session, settings: Settings, application_id: str, note_id: str,
                   note: str) -> bytes:
    subject_id = identity_row(session, application_id).subject_id
    return seal_bytes(session, settings, subject_id, case_note_binding(note_id), note.encode())


def open_case_note(session: Session, settings: Settings, application_id: str, note_id: str,
                   sealed: bytes) -> str | None:
    """A case note's text, or None once the applicant's personal data is erased."""
    subject_id = identity_row(session, application_id).subject_id
    try:
        return open_bytes(session, settings, subject_id, case_note_binding(note_id),
                          sealed).decode()
    except PersonalDataErased:
        return None


def seal_note(session: Session, settings: Settings, application_id: str, decision_id: str,
              note: str) -> bytes:
    subject_id = identity_row(session, application_id).subject_id
    return seal_bytes(session, settings, subject_id, note_binding(decision_id), note.encode())


@dataclass(frozen=True)
class PersonalData:
    """What an application's answer shows of its personal data: whose it is, whether it is
    erased, and the decisions' notes (none when erased)."""

    subject_id: str
    erased: bool
    notes: dict[str, str]


def personal_data_of(session: Session, settings: Settings, application_id: str,
                     decisions: Sequence[Decision]) -> PersonalData:
    row = identity_row(session, application_id)
    subject = _subject(session, row.subject_id)
    if subject.wrapped_key is None:
        return PersonalData(subject.id, True, {})
    notes = {d.id: open_bytes(session, settings, subject.id, note_binding(d.id),
                              d.note_sealed).decode()
             for d in decisions if d.note_sealed is not None}
    return PersonalData(subject.id, False, notes)


# --- Reports that name an applicant -------------------------------------------------------------


def report_binding(sha256: str, column: str = "pdf") -> Binding:
    """Where a part of a report on an application is stored: its PDF, or the input manifest
    it was built from. A report's id is assigned when it is inserted; the part's content
    digest names it before that."""
    return Binding("reports", sha256, column)


def seal_report(session: Session, settings: Settings, application_id: str, sha256: str,
                data: bytes, column: str = "pdf") -> bytes:
    subject_id = identity_row(session, application_id).subject_id
    return seal_bytes(session, settings, subject_id, report_binding(sha256, column), data)


def open_report(session: Session, settings: Settings, application_id: str, sha256: str,
                sealed: bytes, column: str = "pdf") -> bytes:
    subject_id = identity_row(session, application_id).subject_id
    return open_bytes(session, settings, subject_id, report_binding(sha256, column), sealed)
