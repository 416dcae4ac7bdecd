"""The hash chain itself: what an event's hash covers, and how verification reports a break."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from compliance import ledger

T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _chain(n):
    records, prev = [], ledger.GENESIS_HASH
    for seq in range(1, n + 1):
        rec = ledger.LedgerRecord(
            seq,
            T0 + timedelta(seconds=seq),
            "user",
            "7",
            "admin",
            "user.created",
            "user",
            str(seq),
            ledger.canonical_json({"role": "auditor", "n": seq}),
            prev,
        )
        rec = replace(rec, hash=ledger.hash_record(rec))
        records.append(rec)
        prev = rec.hash
    return records


def _rows(records):
    return [
        (
            r.seq,
            r.occurred_at,
            r.actor_type,
            r.actor_id,
            r.actor_role,
            r.action,
            r.entity_type,
            r.entity_id,
            r.payload,
            r.prev_hash,
            r.hash,
        )
        for r in records
    ]


def test_canonical_json_sorts_keys_and_drops_whitespace():
    assert (
        ledger.canonical_json({"b": 1, "a": [1, {"d": 2, "c": None}]})
        == '{"a":[1,{"c":null,"d":2}],"b":1}'
    )


def test_canonical_json_refuses_nan():
    with pytest.raises(ValueError):
        ledger.canonical_json({"x": float("nan")})


def test_hash_is_sha256_of_prev_hash_and_canonical_record():
    import hashlib

    rec = _chain(1)[0]
    expected_bytes = (
        b'[1,"2026-01-02T03:04:06.678901Z","user","7","admin","user.created",'
        b'"user","1",{"n":1,"role":"auditor"}]'
    )
    assert (
        ledger.record_bytes(
            rec.seq,
            rec.occurred_at,
            rec.actor_type,
            rec.actor_id,
            rec.actor_role,
            rec.action,
            rec.entity_type,
            rec.entity_id,
            rec.payload,
        )
        == expected_bytes
    )
    assert rec.hash == hashlib.sha256(ledger.GENESIS_HASH.encode() + expected_bytes).hexdigest()


@pytest.mark.parametrize(
    "text", ["plain", 'quo"te', "back\\slash", "ctrl\n\t\x01", "ümlaut €", "\u2028"]
)
def test_record_bytes_equal_canonical_json_of_the_fields(text):
    expected = ledger.canonical_json(
        [3, "2026-01-02T03:04:05.678901Z", text, text, text, text, text, text, {"k": text}]
    )
    assert (
        ledger.record_bytes(
            3, T0, text, text, text, text, text, text, ledger.canonical_json({"k": text})
        )
        == expected.encode()
    )


def test_naive_and_aware_utc_timestamps_hash_alike():
    assert ledger.format_timestamp(T0) == ledger.format_timestamp(T0.replace(tzinfo=None))


def test_intact_chain_verifies():
    result = ledger.verify_chain(_rows(_chain(5)))
    assert result.ok and result.events == 5 and result.head_seq == 5
    assert result.first_bad_seq is None


def test_empty_chain_verifies_with_genesis_head():
    result = ledger.verify_chain([])
    assert result.ok and result.head_seq == 0 and result.head_hash == ledger.GENESIS_HASH


@pytest.mark.parametrize(
    "field",
    ["occurred_at", "actor_id", "actor_role", "action", "entity_type", "entity_id", "payload"],
)
def test_editing_any_hashed_field_is_caught_at_that_event(field):
    records = _chain(5)
    value = getattr(records[2], field)
    changed = value + timedelta(microseconds=1) if isinstance(value, datetime) else value + "x"
    records[2] = replace(records[2], **{field: changed})
    result = ledger.verify_chain(_rows(records))
    assert not result.ok and result.first_bad_seq == 3 and result.events == 2


def test_a_deleted_event_is_caught_where_the_gap_starts():
    records = _chain(5)
    del records[1]
    assert ledger.verify_chain(_rows(records)).first_bad_seq == 2


def test_a_reordered_pair_is_caught_at_the_first_of_them():
    records = _chain(5)
    records[1], records[2] = replace(records[2], seq=2), replace(records[1], seq=3)
    assert ledger.verify_chain(_rows(records)).first_bad_seq == 2


def test_rehashing_an_edited_event_still_breaks_the_next_link():
    records = _chain(4)
    forged = replace(records[1], payload='{"role":"admin"}')
    records[1] = replace(forged, hash=ledger.hash_record(forged))
    assert ledger.verify_chain(_rows(records)).first_bad_seq == 3


def test_checkpoint_signature_round_trip_and_forgery():
    key = ledger.load_signing_key(ledger.generate_signing_key())
    pem = ledger.public_key_pem(key)
    cp = ledger.sign_checkpoint(key, 42, "ab" * 32, T0)
    assert ledger.checkpoint_signature_valid(pem, cp)
    assert not ledger.checkpoint_signature_valid(pem, {**cp, "head_seq": 43})
    other = ledger.load_signing_key(ledger.generate_signing_key())
    assert not ledger.checkpoint_signature_valid(ledger.public_key_pem(other), cp)
    assert cp["key_fingerprint"] == ledger.public_key_fingerprint(pem)


# --- Row digests --------------------------------------------------------------------------------


def test_a_row_digest_is_sha256_of_its_canonical_json():
    import hashlib

    row = {"id": "a1", "score": 612.5, "inputs": {"b": [1, 2], "a": None}}
    expected = hashlib.sha256(b'{"id":"a1","inputs":{"a":null,"b":[1,2]},"score":612.5}')
    assert ledger.row_digest(row) == expected.hexdigest()
    assert ledger.row_digest({"inputs": {"a": None, "b": [1, 2]}, "score": 612.5,
                              "id": "a1"}) == expected.hexdigest()


@pytest.mark.parametrize(("written", "read_back"), [
    # JSONB keeps numbers as decimals: a large float comes back as the integer its text denotes
    (1e16, 10**16),
    (-1.5e20, -150_000_000_000_000_000_000),
    (1.2345678901234566e25, 12_345_678_901_234_566_000_000_000),
    (-0.0, 0.0),  # and negative zero comes back zero
    ([1e300, {"x": -0.0}], [10**300, {"x": 0.0}]),
])
def test_a_row_digest_is_the_same_for_numbers_jsonb_returns_in_another_form(written, read_back):
    assert ledger.canonical_json(written) != ledger.canonical_json(read_back)
    assert ledger.row_digest({"v": written}) == ledger.row_digest({"v": read_back})
    # SQLite returns the float itself.
    assert ledger.row_digest({"v": written}) == ledger.row_digest({"v": json.loads(
        json.dumps(written))})


def test_a_row_digest_still_tells_different_values_apart():
    assert ledger.row_digest({"v": 0.1}) != ledger.row_digest({"v": 0.2})
    assert ledger.row_digest({"v": 10**16}) != ledger.row_digest({"v": 10**16 + 2})
    assert ledger.row_digest({"v": -0.05}) != ledger.row_digest({"v": 0.05})
