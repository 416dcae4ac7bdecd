"""Deep verification: every tracked row against the digest its latest ledger event recorded.

A row whose digest differs is ``altered``; a row no event records was ``unrecorded`` (inserted
behind the service's back); a row an event recorded that is gone is ``missing``.

Events written before events carried row digests name their rows by ``entity_id`` or a payload
field, and some carry the sha256 of one column (an application's inputs, a decision's record, a
report's PDF). Such a row is checked on those columns and otherwise counted ``not_covered``:
reported, not failed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Connection

from app.audit import repository
from app.audit.rows import TRACKED, TrackedTable, digest_of
from compliance import ledger

ALTERED, UNRECORDED, MISSING = "altered", "unrecorded", "missing"
# Findings listed in a result; their counts per table are always complete.
MAX_LISTED = 1000
# Rows read per batch: a report carries its PDF, a model its artifact and validation data.
_BATCH = {"reports": 100, "scoring_models": 4}
_ROWS_KEY = '"rows":['

How = Literal["sha256_json", "sha256_text", "sha256_bytes", "equals"]


@dataclass(frozen=True)
class LegacyRow:
    """A row an event of one action names, in events written before row digests."""

    table: str
    key: str  # "entity_id", or the payload field holding the row's key
    # payload field -> (column, how the field relates to the column's value)
    checks: Mapping[str, tuple[str, How]] = field(default_factory=dict)


_APPLICATION = LegacyRow("applications", "entity_id")
_DECISION = LegacyRow("decisions", "decision_id")
_NOTICE = (LegacyRow("notice_obligations", "entity_id"),)
LEGACY_EVENTS: dict[str, tuple[LegacyRow, ...]] = {
    "application.decided": (
        LegacyRow("applications", "entity_id", {
            "inputs_sha256": ("inputs", "sha256_json"),
            "characteristics_sha256": ("characteristics", "sha256_json"),
            "request_sha256": ("request_sha256", "equals")}),
        LegacyRow("decisions", "decision_id", {"record_sha256": ("record", "sha256_json")}),
    ),
    "decision.review": (_APPLICATION, _DECISION),
    "decision.override": (_APPLICATION, _DECISION),
    "counteroffer.accepted": (_APPLICATION, _DECISION),
    "counteroffer.declined": (_APPLICATION, _DECISION),
    "notice.opened": _NOTICE, "notice.generated": _NOTICE, "notice.delivered": _NOTICE,
    "notice.withdrawn": _NOTICE,
    "report.created": (LegacyRow("reports", "entity_id", {"sha256": ("pdf", "sha256_bytes")}),),
    "model.trained": (LegacyRow("scoring_models", "entity_id", {
        "artifact_sha256": ("artifact_sha256", "equals")}),),
    "model.activated": (LegacyRow("scoring_models", "entity_id"),
                        LegacyRow("scoring_models", "previous_version")),
    "policy.created": (LegacyRow("decision_policies", "entity_id", {
        "sha256": ("body", "sha256_text")}),),
    "policy.activated": (LegacyRow("decision_policies", "entity_id"),
                         LegacyRow("decision_policies", "previous_version")),
    "fairness.audit_run": (LegacyRow("fairness_audits", "entity_id", {
        "sha256": ("result", "sha256_text")}),),
}


@dataclass
class _Legacy:
    seq: int
    checks: dict[str, tuple[How, str, int]] = field(default_factory=dict)  # column -> check


class RecordedRows:
    """What the events say about rows, gathered while the chain is verified: each row's latest
    recorded digest, and what older events without digests name and carry."""

    def __init__(self) -> None:
        self.latest: dict[str, dict[str, tuple[str, int]]] = {t.name: {} for t in TRACKED}
        self.legacy: dict[str, dict[str, _Legacy]] = {t.name: {} for t in TRACKED}

    def observe(self, seq: int, action: str, entity_id: str, payload: str) -> None:
        """Take in one event (called for every event, in sequence order)."""
        has_rows = _ROWS_KEY in payload
        rules = LEGACY_EVENTS.get(action)
        if not has_rows and rules is None:
            return
        body = json.loads(payload)
        entries = body.get("rows") if has_rows else None
        if isinstance(entries, list):
            for entry in entries:
                latest = self.latest.get(entry.get("table"))
                if latest is not None:
                    latest[str(entry["id"])] = (entry["sha256"], seq)
            return
        for rule in rules or ():
            key = entity_id if rule.key == "entity_id" else body.get(rule.key)
            if key is None:
                continue
            legacy = self.legacy[rule.table].setdefault(str(key), _Legacy(seq))
            legacy.seq = seq
            for name, (column, how) in rule.checks.items():
                if name in body:
                    legacy.checks[column] = (how, str(body[name]), seq)


def _matches(how: How, value: Any, expected: str) -> bool:
    if how == "equals":
        return value is not None and str(value) == expected
    if value is None:
        return False
    if how == "sha256_json":
        return ledger.sha256_hex(ledger.canonical_json(value)) == expected
    if how == "sha256_bytes":
        return ledger.sha256_hex(bytes(value)) == expected
    return ledger.sha256_hex(str(value)) == expected


@dataclass
class TableCounts:
    table: str
    rows: int = 0
    verified: int = 0
    not_covered: int = 0
    altered: int = 0
    unrecorded: int = 0
    missing: int = 0


@dataclass
class _Comparison:
    counts: list[TableCounts] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    def find(self, counts: TableCounts, kind: str, row_id: str, seq: int | None,
             detail: str) -> None:
        setattr(counts, kind, getattr(counts, kind) + 1)
        self.total += 1
        if len(self.findings) < MAX_LISTED:
            self.findings.append({"table": counts.table, "id": row_id, "kind": kind,
                                  "seq": seq, "detail": detail})


def _compare_table(connection: Connection, tracked: TrackedTable, recorded: RecordedRows,
                   out: _Comparison) -> None:
    counts = TableCounts(tracked.name)
    out.counts.append(counts)
    latest = recorded.latest[tracked.name]
    legacy = recorded.legacy[tracked.name]
    rows = repository.iter_rows(connection, tracked.table, tracked.columns,
                                _BATCH.get(tracked.name, 2000))
    for row in rows:
        counts.rows += 1
        row_id = str(row["id"])
        old = legacy.pop(str(row[tracked.legacy_key]), None) if legacy else None
        entry = latest.pop(row_id, None)
        if entry is not None:
            if digest_of(tracked, row) == entry[0]:
                counts.verified += 1
            else:
                out.find(counts, ALTERED, row_id, entry[1],
                         f"differs from the digest event {entry[1]} recorded")
        elif old is not None:
            bad = sorted(column for column, (how, expected, _) in old.checks.items()
                         if not _matches(how, row[column], expected))
            if bad:
                seqs = sorted({old.checks[c][2] for c in bad})
                out.find(counts, ALTERED, row_id, seqs[-1],
                         f"{', '.join(bad)} differ(s) from the sha256 recorded by event "
                         f"{', '.join(map(str, seqs))}")
            else:
                counts.not_covered += 1
        else:
            out.find(counts, UNRECORDED, row_id, None, "no ledger event records this row")
    for row_id, (_, seq) in latest.items():
        out.find(counts, MISSING, row_id, seq, f"event {seq} recorded this row; it is gone")
    for key, old in legacy.items():
        out.find(counts, MISSING, key, old.seq, f"event {old.seq} named this row; it is gone")


def compare(connection: Connection, recorded: RecordedRows,
            tables: Iterable[TrackedTable] = TRACKED) -> dict[str, Any]:
    """Compare every row of ``tables`` with what ``recorded`` gathered from a verified chain."""
    out = _Comparison()
    for tracked in tables:
        _compare_table(connection, tracked, recorded, out)
    not_covered = sum(c.not_covered for c in out.counts)
    return {
        "ok": out.total == 0,
        "tables": [vars(c) for c in out.counts],
        "findings": out.findings,
        "findings_total": out.total,
        "note": (f"{not_covered} row(s) were written before events recorded row digests: they "
                 "were checked only on the columns whose sha256 their events carried"
                 if not_covered else None),
    }


def skipped(chain: ledger.VerificationResult) -> dict[str, Any]:
    """The deep result when the chain itself is broken: its record cannot be trusted."""
    return {"ok": False, "tables": [], "findings": [], "findings_total": 0,
            "note": f"rows were not compared: the chain is broken at event {chain.first_bad_seq}, "
                    "so what it records cannot be trusted"}

