"""Personal data sealed per data subject: the envelope primitives, the master keys (sources,
rotation, retirement), one subject per person, and no plaintext anywhere in the database."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import inspect, text
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.config import KeySettings
from app.models import ApplicantIdentity, AuditEvent, DataSubject, Decision, Report
from app.subjects import crypto, keys
from app.subjects import service as subjects
from app.subjects.crypto import Binding, SealedValueError
from tests.app import reviewing
from tests.app.application_documents import good_application, risky_application

pytestmark = pytest.mark.usefixtures("active_model")

NAME, NATIONAL_ID = "Alex Example", "T22000129"
PLAINTEXTS = (NAME, NATIONAL_ID, "alex@example.org", "Musterstrasse", "1980-05-17",
              "Collateral outside the model")


def _submit(client, headers, document):
    response = client.post("/applications", json=document, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _events(engine, action):
    with Session(engine) as session:
        return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


# --- The primitives -----------------------------------------------------------------------------

IDENTITY_OF_A = Binding("applicant_identities", "app-a", "sealed")


def test_a_sealed_value_opens_with_its_key_where_it_is_stored():
    key = crypto.new_key()
    sealed = crypto.seal(key, b"Robin Example", IDENTITY_OF_A.associated_data("s1"))
    assert b"Robin" not in sealed
    assert crypto.open_sealed(key, sealed, IDENTITY_OF_A.associated_data("s1")) == (
        b"Robin Example")
    # A fresh nonce each time: sealing the same value twice never gives the same bytes.
    assert crypto.seal(key, b"Robin Example", IDENTITY_OF_A.associated_data("s1")) != sealed


@pytest.mark.parametrize("elsewhere", [
    Binding("applicant_identities", "app-b", "sealed"),  # another row
    Binding("decisions", "app-a", "note_sealed"),  # another table and column
])
def test_a_sealed_value_moved_elsewhere_does_not_open(elsewhere):
    key = crypto.new_key()
    sealed = crypto.seal(key, b"Robin Example", IDENTITY_OF_A.associated_data("s1"))
    with pytest.raises(SealedValueError):
        crypto.open_sealed(key, sealed, elsewhere.associated_data("s1"))
    with pytest.raises(SealedValueError):  # the same place, but claimed for another subject
        crypto.open_sealed(key, sealed, IDENTITY_OF_A.associated_data("s2"))
    with pytest.raises(SealedValueError):  # the right place, another key
        crypto.open_sealed(crypto.new_key(), sealed, IDENTITY_OF_A.associated_data("s1"))


def test_a_wrapped_data_key_is_bound_to_its_subject_and_master_key():
    master, data_key = crypto.new_key(), crypto.new_key()
    key_id = crypto.master_key_id(master)
    wrapped = crypto.wrap(master, key_id, "s1", data_key)
    assert crypto.unwrap(master, key_id, "s1", wrapped) == data_key
    with pytest.raises(SealedValueError):
        crypto.unwrap(master, key_id, "s2", wrapped)


# --- Master keys --------------------------------------------------------------------------------


def test_the_key_file_is_created_0600_on_first_use_and_reread_when_it_changes(tmp_path):
    settings = KeySettings(data_dir=tmp_path)
    first = keys.keyring(settings)
    path = tmp_path / "master_keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.keyring(settings) == first  # the same file, the same keys
    added = keys.add_file_key(settings)
    again = keys.keyring(settings)
    assert again.active_id == added and set(again.keys) == {first.active_id, added}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_master_keys_from_the_environment_first_one_active(monkeypatch, tmp_path):
    new, old = crypto.new_key(), crypto.new_key()
    monkeypatch.setenv("RISKDESK_MASTER_KEY", ",".join(base64.b64encode(k).decode()
                                                      for k in (new, old)))
    ring = keys.keyring(KeySettings(data_dir=tmp_path))
    assert ring.active() == (crypto.master_key_id(new), new)
    assert ring.key(crypto.master_key_id(old)) == old
    assert not (tmp_path / "master_keys.json").exists()


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_master_key_is_refused_saying_what_is_wrong(monkeypatch, tmp_path, value):
    monkeypatch.setenv("RISKDESK_MASTER_KEY", value)
    with pytest.raises(keys.MasterKeyUnavailable) as caught:
        keys.keyring(KeySettings(data_dir=tmp_path))
    assert caught.value.code == "master_key_invalid"
    assert "RISKDESK_MASTER_KEY" in caught.value.message


def test_data_sealed_under_another_master_key_fails_clearly(client, auth_headers, engine,
                                                            settings_env, monkeypatch):
    from app.config import get_settings

    body = _submit(client, auth_headers["loan_officer"], good_application())
    monkeypatch.setenv("RISKDESK_MASTER_KEY", base64.b64encode(crypto.new_key()).decode())
    get_settings.cache_clear()
    with Session(engine) as session, pytest.raises(keys.MasterKeyUnavailable) as caught:
        subjects.identity_of(session, get_settings(), body["id"])
    assert caught.value.code == "master_key_missing" and caught.value.status_code == 503
    original = keys.keyring(settings_env).active_id
    assert original in caught.value.message  # names the key it needs


# --- Sealed in the database ---------------------------------------------------------------------


def _database_text(engine) -> str:
    """Everything the database holds, as text: the SQLite file and its WAL as bytes (decoded
    leniently), or every row of every PostgreSQL table as JSON."""
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database)
        return "".join(Path(f"{path}{suffix}").read_bytes().decode("latin-1")
                       for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists())
    with engine.connect() as conn:
        return "\n".join(
            row[0] for table in inspect(engine).get_table_names()
            for row in conn.execute(text(f'SELECT row_to_json(t)::text FROM "{table}" t')))


def test_no_personal_data_is_stored_in_the_clear(client, auth_headers, engine, settings_env):
    officer = auth_headers["loan_officer"]
    declined = _submit(client, officer, risky_application(**{"kyc.full_name": NAME}))
    notice = client.post("/reports", headers=officer, json={
        "kind": "adverse_action", "application_id": declined["id"]})
    assert notice.status_code == 201, notice.text
    pdf = client.get(f"/reports/{notice.json()['id']}/pdf", headers=officer)
    assert pdf.status_code == 200
    assert NAME in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    review = reviewing.review(client, auth_headers, declined["id"], {
        "outcome": "approve", "note": "Collateral outside the model."})
    assert review.status_code == 201, review.text
    shown = client.get(f"/applications/{declined['id']}", headers=officer).json()
    assert shown["decisions"][-1]["note"] == "Collateral outside the model."

    stored = _database_text(engine)
    assert declined["id"] in stored  # the scan reads the rows
    assert [p for p in PLAINTEXTS if p in stored] == []
    with Session(engine) as session:
        report = session.get(Report, notice.json()["id"])
        assert report.pdf.startswith(crypto.FORMAT) and report.pdf != pdf.content
        assert subjects.identity_of(session, settings_env, declined["id"]).national_id == (
            NATIONAL_ID)


def test_the_same_person_applying_again_is_one_subject_with_one_key(client, auth_headers,
                                                                    engine):
    officer = auth_headers["loan_officer"]
    first = _submit(client, officer, good_application())
    again = _submit(client, officer, good_application(**{"loan.amount": "2000.00"}))
    other = _submit(client, officer, good_application(**{"kyc.national_id": "Z9999999",
                                                         "kyc.full_name": "Kim Other"}))
    assert first["subject_id"] == again["subject_id"] != other["subject_id"]
    with Session(engine) as session:
        assert len(session.exec(select(DataSubject)).all()) == 2


def test_a_person_known_by_name_and_birth_date_gives_a_national_id_later(client, auth_headers,
                                                                        engine, settings_env):
    officer = auth_headers["loan_officer"]
    incomplete = _submit(client, officer, good_application(**{"kyc.national_id": None}))
    complete = _submit(client, officer, good_application())
    assert incomplete["subject_id"] == complete["subject_id"]
    from app.digests import national_id_digest

    with Session(engine) as session:
        subject = session.get(DataSubject, complete["subject_id"])
        assert subject.lookup_digest == national_id_digest(settings_env, NATIONAL_ID)


def test_a_sealed_identity_copied_to_another_row_of_the_same_subject_does_not_open(
        client, auth_headers, engine, settings_env):
    officer = auth_headers["loan_officer"]
    first = _submit(client, officer, good_application())
    second = _submit(client, officer, good_application(**{"loan.amount": "2000.00"}))
    with Session(engine) as session:
        sealed = session.get(ApplicantIdentity, first["id"]).sealed
        row = session.get(ApplicantIdentity, second["id"])
        row.sealed = sealed  # same subject, same key: only the binding to the row differs
        session.add(row)
        session.commit()
    with Session(engine) as session:
        with pytest.raises(subjects.SealedValueInvalid):
            subjects.identity_of(session, settings_env, second["id"])
        assert subjects.identity_of(session, settings_env, first["id"]).full_name == NAME


# --- Rotation -----------------------------------------------------------------------------------


def _sealed_bytes(engine) -> dict[str, bytes]:
    with Session(engine) as session:
        rows = {i.application_id: i.sealed for i in session.exec(select(ApplicantIdentity))}
        rows.update({d.id: d.note_sealed for d in session.exec(select(Decision))
                     if d.note_sealed})
        return rows


def test_rotation_rewraps_every_data_key_and_leaves_the_values_alone(
        client, auth_headers, engine, settings_env):
    from app.cli import cli

    officer = auth_headers["loan_officer"]
    bodies = [_submit(client, officer, good_application(**{
        "kyc.national_id": f"N{i}000000", "kyc.full_name": f"Person {i}"})) for i in range(3)]
    old = keys.keyring(settings_env).active_id
    before = _sealed_bytes(engine)
    runner = CliRunner()
    rotated = runner.invoke(cli, ["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    new = keys.keyring(settings_env).active_id
    assert new != old and "re-wrapped 3 data keys" in rotated.output
    assert _sealed_bytes(engine) == before  # the sealed values are untouched
    with Session(engine) as session:
        assert {s.master_key_id for s in session.exec(select(DataSubject))} == {new}
        for i, body in enumerate(bodies):
            assert subjects.identity_of(session, settings_env, body["id"]).full_name == (
                f"Person {i}")
    assert json.loads(_events(engine, "keys.rewrapped")[0].payload) == {
        "from": {old: 3}, "rewrapped": 3}

    status = runner.invoke(cli, ["keys", "status"])
    assert status.exit_code == 0 and f"{old}  configured  wraps 0" in status.output
    refused = runner.invoke(cli, ["keys", "retire", new])
    assert refused.exit_code == 2 and "master_key_active" in refused.output
    retired = runner.invoke(cli, ["keys", "retire", old])
    assert retired.exit_code == 0, retired.output
    assert set(keys.keyring(settings_env).keys) == {new}
    with Session(engine) as session:  # still readable with the old key gone
        assert subjects.identity_of(session, settings_env, bodies[0]["id"]).full_name == (
            "Person 0")


def test_a_master_key_still_in_use_cannot_be_retired(client, auth_headers, settings_env):
    from app.cli import cli

    _submit(client, auth_headers["loan_officer"], good_application())
    old = keys.keyring(settings_env).active_id
    keys.add_file_key(settings_env)  # a new active key, with nothing re-wrapped yet
    result = CliRunner().invoke(cli, ["keys", "retire", old])
    assert result.exit_code == 2 and "master_key_in_use" in result.output
    assert old in keys.keyring(settings_env).keys


def test_keys_status_exits_1_when_a_data_key_is_wrapped_by_a_missing_master_key(
        client, auth_headers, settings_env):
    from app.cli import cli

    _submit(client, auth_headers["loan_officer"], good_application())
    os.remove(settings_env.master_key_path)  # a new file, with another key, is made on use
    result = CliRunner().invoke(cli, ["keys", "status"])
    assert result.exit_code == 1 and "MISSING" in result.output
