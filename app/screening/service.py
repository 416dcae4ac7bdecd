"""Sanctions screening inside the service: list versions, screening people, dispositions.

The matching is :mod:`risk_models.screening`'s; this module keeps what a lender must be able to
show later: which list version was in force, whom it screened (by a keyed digest, never by
name), what it found, and what underwriters concluded, four-eyes.

- **Lists.** A list is loaded in one transaction: the new version, its entries, the previous
  version superseded, a rescreening run queued, and the ledger event. A load that fails leaves
  the previous version in force. Until an OFAC SDN list is loaded, the bundled sample
  (2024-05-03) is the OFAC list in force.
- **Screening.** Each party of an application (applicant, co-applicant, guarantor) is screened
  by name and date of birth. Nationality is not used for applications: the only nationality
  riskdesk holds is the voluntary monitoring answer, which never reaches a decision rule.
- **Dispositions** are remembered by the screened person's digest and the listed entry's
  content digest: the same person against the same entry, as listed, is not raised again; a
  changed entry (a new alias, a new date of birth) is.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import insert, select, update
from sqlmodel import Session, col

from app import digests
from app.audit.service import append_event
from app.auth.principal import Principal
from app.config import Settings
from app.errors import NotFound, Unprocessable
from app.models import Rescreen, Screening, ScreeningDisposition, ScreeningList, ScreeningListEntry
from app.models.base import table_of
from app.subjects import service as subjects
from compliance.ledger import canonical_json, sha256_hex
from risk_models.document import ApplicationDocument
from risk_models.screening import (
    ListEntry,
    ParsedList,
    Screener,
    ScreeningResult,
    bundled_ofac_path,
    normalise_name,
    parse_ofac_sdn,
    parse_opensanctions_simple,
)

LIST_READERS = {"ofac-sdn": parse_ofac_sdn, "opensanctions": parse_opensanctions_simple}
ListName = Literal["ofac-sdn", "opensanctions"]
BUNDLED_LIST_ID = "bundled-ofac-sdn-2024-05-03"
IN_FORCE, SUPERSEDED = "in_force", "superseded"
CLEAR, POTENTIAL, CONFIRMED = "clear", "potential_match", "confirmed_match"
FALSE_POSITIVE, TRUE_MATCH = "false_positive", "true_match"
# How strict each screening status is; the caller's ``not_screened`` says nothing, so ours stands.
STRICTNESS = {"not_screened": 0, CLEAR: 0, POTENTIAL: 1, CONFIRMED: 2}
PARTIES = ("applicant", "co_applicant", "guarantor")
ENTRY_BATCH = 2000
# The longest name screened on demand (API and command line): the matcher's work grows with
# the square of a name's length.
NAME_MAX_LENGTH = 200
# A new version listing fewer than this share of the individuals in force is refused unless
# the operator says the list really shrank.
SHRINK_LIMIT = 0.5


def stricter(caller: str, ours: str) -> str:
    """The screening status that stands when the caller sent one and riskdesk screened too."""
    return caller if STRICTNESS[caller] > STRICTNESS[ours] else ours


def entry_sha256(entry: ListEntry) -> str:
    """The digest of an entry's content: what a disposition on it holds for."""
    return sha256_hex(canonical_json(entry.to_dict()))


def subject_digest(settings: Settings, name: str, birth_date: date | None,
                   national_id: str | None) -> str:
    """Who was screened, as a keyed digest of the facts screened (the name normalised, so word
    order and accents do not make another person)."""
    return digests.keyed_digest(
        settings, "screening",
        f"{normalise_name(name)}|{birth_date or ''}|{national_id or ''}")


# --- Lists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListVersion:
    """A list version in force: loaded into the database, or the bundled OFAC sample."""

    list_id: str
    list_name: str
    sha256: str
    source_name: str
    loaded_at: datetime | None
    entry_count: int
    individual_count: int
    problems: list[dict[str, Any]]

    def ref(self) -> dict[str, str]:
        return {"list_id": self.list_id, "list_name": self.list_name, "sha256": self.sha256}

    def to_dict(self) -> dict[str, Any]:
        return {**self.ref(), "source_name": self.source_name,
                "loaded_at": self.loaded_at.isoformat() if self.loaded_at else None,
                "entry_count": self.entry_count, "individual_count": self.individual_count,
                "problems": len(self.problems), "bundled": self.list_id == BUNDLED_LIST_ID}


@functools.cache
def _bundled_list() -> ParsedList:
    return parse_ofac_sdn(bundled_ofac_path().read_bytes())


def _individuals(entries: Iterable[ListEntry]) -> int:
    return sum(e.kind == "individual" for e in entries)


def _version_of(row: ScreeningList) -> ListVersion:
    return ListVersion(row.id, row.list_name, row.sha256, row.source_name, row.loaded_at,
                       row.entry_count, row.individual_count, row.problems)


@functools.cache
def _bundled_version() -> ListVersion:
    parsed = _bundled_list()
    return ListVersion(BUNDLED_LIST_ID, "ofac-sdn", parsed.sha256, bundled_ofac_path().name,
                       None, len(parsed.entries), _individuals(parsed.entries), [])


def lists_in_force(session: Session) -> list[ListVersion]:
    """The list versions screening uses now, by list name (the bundled OFAC sample while no
    OFAC list has been loaded)."""
    rows = session.exec(select(ScreeningList).where(  # type: ignore[call-overload]
        col(ScreeningList.state) == IN_FORCE).order_by(col(ScreeningList.list_name))).scalars()
    versions = [_version_of(r) for r in rows]
    if not any(v.list_name == "ofac-sdn" for v in versions):
        versions.insert(0, _bundled_version())
    return versions


@dataclass(frozen=True)
class LoadResult:
    version: ScreeningList
    rescreen: Rescreen | None  # None when the file is the version already in force
    problems: tuple[dict[str, Any], ...] = ()


def load_list(session: Session, actor: Principal, list_name: str, data: bytes,
              source_name: str, *, accept_problems: bool = False,
              allow_shrink: bool = False) -> LoadResult:
    """Load a list file as the new version of ``list_name`` (in the caller's transaction).

    A file with lines that could not be read is refused, the problems listed, unless
    ``accept_problems``: then it is loaded and the problems are kept with the version. A file
    listing under half the individuals of the version in force (a truncated download, say) is
    refused unless ``allow_shrink``. Entry ids that repeat are always refused. The same file as
    the version in force is not loaded twice.
    """
    reader = LIST_READERS.get(list_name)
    if reader is None:
        raise Unprocessable(f"unknown list {list_name!r}; riskdesk reads "
                            + " and ".join(sorted(LIST_READERS)), code="unknown_list")
    parsed = reader(data, list_name)
    problems = tuple({"line": p.line, "message": p.message} for p in parsed.problems)
    if problems and not accept_problems:
        shown = "; ".join(f"line {p['line']}: {p['message']}" for p in problems[:5])
        raise Unprocessable(
            f"{len(problems)} line(s) of {source_name} could not be read ({shown}); fix the "
            "file, or load it with those lines reported and left out", code="list_problems",
            details={"problems": list(problems[:100])})
    repeated = sorted(i for i, n in Counter(e.entry_id for e in parsed.entries).items() if n > 1)
    if repeated:
        raise Unprocessable(f"entry ids repeat in {source_name} ({', '.join(repeated[:10])}); a "
                            "list names each entry once", code="list_duplicate_ids",
                            details={"entry_ids": repeated[:100]})
    individuals = _individuals(parsed.entries)
    if individuals == 0:
        raise Unprocessable(f"{source_name} holds no individuals as a {list_name} list; is it "
                            "the right file and layout?", code="list_empty")
    current = session.exec(select(ScreeningList).where(  # type: ignore[call-overload]
        col(ScreeningList.list_name) == list_name, col(ScreeningList.state) == IN_FORCE)
        .with_for_update()).scalars().first()
    if current is not None and current.sha256 == parsed.sha256:
        return LoadResult(current, None, problems)
    in_force = (current.individual_count if current is not None
                else _bundled_version().individual_count if list_name == "ofac-sdn" else 0)
    if individuals < in_force * SHRINK_LIMIT and not allow_shrink:
        raise Unprocessable(
            f"{source_name} lists {individuals} individuals where the {list_name} version in "
            f"force lists {in_force}: a truncated file? If the list really shrank, load it "
            "allowing the shrink", code="list_shrinks",
            details={"individuals": individuals, "in_force": in_force})
    now = datetime.now(UTC)
    if current is not None:
        # Superseded first: the partial unique index allows one version in force per list.
        current.state, current.superseded_at = SUPERSEDED, now
        session.add(current)
        session.flush()
    version = ScreeningList(
        id=uuid.uuid4().hex, list_name=list_name, sha256=parsed.sha256,
        source_name=source_name[:255], loaded_at=now, loaded_by=actor.actor_id,
        entry_count=len(parsed.entries), individual_count=individuals,
        problems=list(problems), state=IN_FORCE)
    session.add(version)
    session.flush()
    rows = [{"list_id": version.id, "entry_id": e.entry_id, "kind": e.kind,
             "entry_sha256": entry_sha256(e), "entry": e.to_dict()} for e in parsed.entries]
    for start in range(0, len(rows), ENTRY_BATCH):
        session.execute(insert(table_of(ScreeningListEntry)), rows[start:start + ENTRY_BATCH])
    rescreen = Rescreen(id=uuid.uuid4().hex, list_id=version.id, requested_at=now,
                        requested_by=actor.actor_id, state="queued")
    session.add(rescreen)
    session.flush()
    append_event(session, actor, "screening.list_loaded", "screening_list", version.id, {
        "list_name": list_name, "sha256": parsed.sha256, "source_name": version.source_name,
        "entry_count": version.entry_count, "individual_count": individuals,
        "entries_sha256": sha256_hex(canonical_json([[r["entry_id"], r["entry_sha256"]]
                                                     for r in rows])),
        "problems": len(problems), "superseded": current.id if current is not None else None,
        "rescreen_id": rescreen.id}, rows=(version, current))
    return LoadResult(version, rescreen, problems)


# --- Screening --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Index:
    screener: Screener
    # (list_name, entry_id) -> (list_id, entry digest, entry)
    entries: dict[tuple[str, str], tuple[str, str, ListEntry]]


_indexes: dict[tuple[str, ...], _Index] = {}
_indexes_lock = threading.Lock()


def _entries_of(session: Session, version: ListVersion) -> list[ListEntry]:
    if version.list_id == BUNDLED_LIST_ID:
        return list(_bundled_list().entries)
    rows = session.execute(select(ScreeningListEntry.entry).where(  # type: ignore[call-overload]
        col(ScreeningListEntry.list_id) == version.list_id)).scalars()
    return [ListEntry.from_dict(r) for r in rows]


def _index_for(session: Session, versions: Sequence[ListVersion]) -> _Index:
    """The screener over ``versions``, built once per process for each set of versions."""
    key = tuple(v.list_id for v in versions)
    index = _indexes.get(key)
    if index is not None:
        return index
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            parsed, entries = [], {}
            for version in versions:
                listed = _entries_of(session, version)
                parsed.append(ParsedList(version.list_name, version.sha256, tuple(listed), ()))
                for entry in listed:
                    entries[(version.list_name, entry.entry_id)] = (
                        version.list_id, entry_sha256(entry), entry)
            index = _Index(Screener.from_lists(parsed), entries)
            # Keep only the latest set: superseded versions are never screened against again.
            _indexes.clear()
            _indexes[key] = index
    return index


@dataclass(frozen=True)
class Person:
    """Someone to screen: their role on the application and the facts screened."""

    party: str
    name: str
    birth_date: date | None = None
    national_id: str | None = None
    country: str | None = None


@dataclass
class PartyResult:
    """One person screened: status, the matches (each with its list entry, score, features
    and any disposition that settled it) and the digest it is remembered by."""

    party: str
    subject_digest: str
    status: str
    matches: list[dict[str, Any]]
    screening_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def answer(self) -> dict[str, Any]:
        """The answer to an on-demand check, as the API and the command line give it."""
        return {"screening_id": self.screening_id, "status": self.status,
                "matches": [{k: m[k] for k in ("entry_id", "list_name", "list_id", "name",
                                               "matched_name", "programs", "score",
                                               "features", "disposition")}
                            for m in self.matches]}

    def summary(self) -> dict[str, Any]:
        """What a ledger event or a case may say of it: no name, only ids and scores."""
        return {"party": self.party, "screening_id": self.screening_id, "status": self.status,
                "matches": [{k: m[k] for k in ("entry_id", "list_name", "list_id", "score",
                                               "disposition_id")} for m in self.matches]}


def _dispositions(session: Session, digest: str) -> dict[tuple[str, str, str], Any]:
    """Every disposition remembered for the person of ``digest``, the latest holding, by
    (list, entry, entry digest)."""
    rows = session.exec(select(ScreeningDisposition).where(  # type: ignore[call-overload]
        col(ScreeningDisposition.subject_digest) == digest)
        .order_by(col(ScreeningDisposition.decided_at))).scalars()
    return {(r.list_name, r.entry_id, r.entry_sha256): r for r in rows}


# A true match confirmed on the caller's own screening, with no entry of ours to name: the
# person is remembered as confirmed under this key.
CALLER_KEY = ("caller", "caller-screening", "-")


def screen_people(session: Session, settings: Settings, people: Sequence[Person],
                  versions: Sequence[ListVersion] | None = None, *,
                  found: Sequence[ScreeningResult] | None = None) -> list[PartyResult]:
    """Screen each person against the lists in force, and apply the dispositions remembered
    for them. Writes nothing (:func:`record` does). ``found`` gives the matcher's results when
    they were computed elsewhere (a rescreening run's worker processes)."""
    versions = list(versions) if versions is not None else lists_in_force(session)
    index = _index_for(session, versions)
    if found is None:
        found = match_people(index.screener, people)
    results = []
    for person, result in zip(people, found, strict=True):
        digest = subject_digest(settings, person.name, person.birth_date, person.national_id)
        matches: list[dict[str, Any]] = []
        for match in result.matches:
            list_id, content, entry = index.entries[(match.list_name, match.entry_id)]
            matches.append({"entry_id": match.entry_id, "list_name": match.list_name,
                            "list_id": list_id, "entry_sha256": content,
                            "name": entry.name, "matched_name": match.matched_name,
                            "programs": list(entry.programs), "score": round(match.score, 4),
                            "features": match.features, "disposition_id": None,
                            "disposition": None})
        known = _dispositions(session, digest)
        for m in matches:
            settled = known.get((m["list_name"], m["entry_id"], m["entry_sha256"]))
            if settled is not None:
                m["disposition_id"], m["disposition"] = settled.id, settled.disposition
        confirmed_before = known.get(CALLER_KEY)
        status = (CONFIRMED if any(m["disposition"] == TRUE_MATCH for m in matches)
                  or (confirmed_before is not None and confirmed_before.disposition == TRUE_MATCH)
                  else POTENTIAL if any(m["disposition"] is None for m in matches) else CLEAR)
        results.append(PartyResult(person.party, digest, status, matches))
    return results


def match_people(screener: Screener, people: Sequence[Person]) -> list[ScreeningResult]:
    """The matcher's results for ``people`` (pure: no database, no settings)."""
    return [screener.screen(p.name, p.birth_date, p.country) for p in people]


def screener_for(session: Session, versions: Sequence[ListVersion]) -> Screener:
    return _index_for(session, versions).screener


def people_of(identity: dict[str, Any]) -> list[Person]:
    """The parties to screen, from an application's personal data in the shape it is sealed in
    (app.subjects.service.identity_value): at intake and when rescreening alike."""
    def birth(value: Any) -> date | None:
        return date.fromisoformat(value) if isinstance(value, str) else value

    people = [Person("applicant", identity["full_name"], birth(identity["date_of_birth"]),
                     identity.get("national_id"))]
    for party in ("co_applicant", "guarantor"):
        other = identity.get(party)
        if other:
            people.append(Person(party, other["full_name"], birth(other.get("date_of_birth")),
                                 other.get("national_id")))
    return people


@dataclass(frozen=True)
class ApplicationScreening:
    """An application's screening: each party's result, the caller's own status, and the
    status that stands (the stricter)."""

    caller_status: str
    ours: str
    status: str
    parties: list[PartyResult]
    lists: list[dict[str, str]]

    def summary(self) -> dict[str, Any]:
        return {"status": self.status, "caller_status": self.caller_status, "ours": self.ours,
                "lists": self.lists, "parties": [p.summary() for p in self.parties]}


def screen_application(session: Session, settings: Settings,
                       document: ApplicationDocument) -> ApplicationScreening:
    versions = lists_in_force(session)
    parties = screen_people(session, settings, people_of(subjects.identity_value(document)),
                            versions)
    ours = max((p.status for p in parties), key=STRICTNESS.__getitem__)
    caller = document.kyc.sanctions_screening.status
    return ApplicationScreening(caller, ours, stricter(caller, ours), parties,
                                [v.ref() for v in versions])


def record(session: Session, results: Sequence[PartyResult], lists: list[dict[str, str]], *,
           application_id: str | None, purpose: str, actor: Principal, now: datetime,
           rescreen_id: str | None = None) -> None:
    """Store screenings."""
    record_batch(session, [(application_id, results)], lists, purpose=purpose, actor=actor,
                 now=now, rescreen_id=rescreen_id)


def record_batch(session: Session,
                 batch: Sequence[tuple[str | None, Sequence[PartyResult]]],
                 lists: list[dict[str, str]], *, purpose: str, actor: Principal,
                 now: datetime, rescreen_id: str | None = None) -> None:
    """Store the screenings of several applications in one statement (a rescreening run's
    batch). The listed names stay out: the entry id finds them."""
    rows = [{"id": r.screening_id, "application_id": application_id, "party": r.party,
             "purpose": purpose, "rescreen_id": rescreen_id, "screened_at": now,
             "screened_by": actor.actor_id, "subject_digest": r.subject_digest,
             "lists": lists, "status": r.status,
             "matches": [{k: v for k, v in m.items() if k not in ("name", "matched_name")}
                         for m in r.matches]}
            for application_id, results in batch for r in results]
    if rows:
        session.execute(insert(table_of(Screening)), rows)


def check(session: Session, settings: Settings, actor: Principal, person: Person) -> PartyResult:
    """Screen one person on demand; the screening and a ledger event (its digest only) are
    stored."""
    versions = lists_in_force(session)
    result = screen_people(session, settings, [person], versions)[0]
    now = datetime.now(UTC)
    refs = [v.ref() for v in versions]
    record(session, [result], refs, application_id=None, purpose="check", actor=actor, now=now)
    append_event(session, actor, "screening.checked", "screening", result.screening_id, {
        "subject_digest": result.subject_digest, "lists": refs, **result.summary()})
    return result


def screenings_of(session: Session, application_id: str) -> list[Screening]:
    return list(session.exec(select(Screening).where(  # type: ignore[call-overload]
        col(Screening.application_id) == application_id)
        .order_by(col(Screening.screened_at))).scalars())


def entry(session: Session, list_id: str, entry_id: str) -> dict[str, Any]:
    """A listed entry as a version holds it (the bundled sample's from its file)."""
    if list_id == BUNDLED_LIST_ID:
        for listed in _bundled_list().entries:
            if listed.entry_id == entry_id:
                return listed.to_dict()
    else:
        row = session.get(ScreeningListEntry, (list_id, entry_id))
        if row is not None:
            return row.entry
    raise NotFound(f"no entry {entry_id} in list version {list_id}", code="entry_not_found")


# --- Dispositions -------------------------------------------------------------------------------


def remember(session: Session, *, screenings: Sequence[Screening], disposition: str,
             entry_ids: Sequence[str], confirmed_person: str | None = None,
             **made: Any) -> list[ScreeningDisposition]:
    """Record a disposition on the matches of ``screenings``: every unsettled match for a false
    positive, the named entries for a true match; and, for a true match confirmed on the
    caller's own screening (no entry of ours matched), the person of ``confirmed_person`` (a
    subject digest) under :data:`CALLER_KEY`. ``made`` names the case, approval, maker,
    checker, note and time (the columns of ``ScreeningDisposition``)."""
    keys = [(s.subject_digest, m["list_name"], m["entry_id"], m["entry_sha256"], m["list_id"])
            for s in screenings for m in s.matches
            if m.get("disposition_id") is None
            and (disposition == FALSE_POSITIVE or m["entry_id"] in entry_ids)]
    if confirmed_person is not None:
        keys.append((confirmed_person, *CALLER_KEY, "-"))
    rows = [ScreeningDisposition(id=uuid.uuid4().hex, subject_digest=digest, list_name=name,
                                 entry_id=entry_id, entry_sha256=content, list_id=list_id,
                                 disposition=disposition, **made)
            for digest, name, entry_id, content, list_id in keys]
    session.add_all(rows)
    session.flush()
    return rows


def unsettled_entries(screenings: Sequence[Screening]) -> set[str]:
    return {m["entry_id"] for s in screenings for m in s.matches
            if m.get("disposition_id") is None}


# --- Rescreening runs -------------------------------------------------------------------------


def get_rescreen(session: Session, rescreen_id: str) -> Rescreen:
    row = session.get(Rescreen, rescreen_id)
    if row is None:
        raise NotFound(f"no rescreening run {rescreen_id}", code="rescreen_not_found")
    return row


def recent_rescreens(session: Session, limit: int = 20) -> list[Rescreen]:
    return list(session.exec(select(Rescreen).order_by(  # type: ignore[call-overload]
        col(Rescreen.requested_at).desc()).limit(limit)).scalars())


def unfinished_rescreens(session: Session) -> list[Rescreen]:
    return list(session.exec(select(Rescreen).where(  # type: ignore[call-overload]
        col(Rescreen.state).in_(["queued", "running", "failed"]))
        .order_by(col(Rescreen.requested_at))).scalars())


def mark_rescreen(session: Session, rescreen_id: str, **values: Any) -> None:
    session.execute(update(table_of(Rescreen)).where(
        table_of(Rescreen).c.id == rescreen_id).values(**values))
