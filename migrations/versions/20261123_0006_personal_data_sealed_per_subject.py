"""personal data sealed under a data key per subject; erasure requests and legal holds

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 23:40:00

Upgrade finds each application's data subject by its keyed digests (as the service does), gives
each subject a data key wrapped by the active master key (RISKDESK_MASTER_KEY, else the key file,
created on first use), and seals the identities, underwriters' notes and stored adverse action
notices that were in the clear. The plaintext columns are then dropped. On SQLite, run VACUUM
afterwards so that no free page keeps the old plaintext; backups taken before still hold it.

Downgrade opens everything again into the plaintext columns, and refuses when any subject's key
has been destroyed: the older schema has no way to say a name is erased, and nothing can bring
it back.
"""

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IDENTITY_COLUMNS = ('full_name', 'date_of_birth', 'national_id', 'address', 'contact',
                    'co_applicant', 'guarantor')


class _Keys:
    """The master keys, read only when there is something to seal or open."""

    def __init__(self) -> None:
        self._ring: Any = None

    @property
    def ring(self) -> Any:
        if self._ring is None:
            from app.config import KeySettings
            from app.subjects.keys import keyring

            self._ring = keyring(KeySettings())
        return self._ring


def upgrade() -> None:
    op.create_table('data_subjects',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lookup_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=True),
    sa.Column('master_key_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('shredded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shred_cause', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('legal_hold_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('legal_hold_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('legal_hold_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('data_subjects', schema=None) as batch_op:
        batch_op.create_index('ix_data_subjects_lookup_digest', ['lookup_digest'], unique=True)
        batch_op.create_index(batch_op.f('ix_data_subjects_master_key_id'), ['master_key_id'],
                              unique=False)
    op.create_table('erasure_requests',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=32), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('within_retention_acknowledged', sa.Boolean(), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('approval_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['subject_id'], ['data_subjects.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_requests_subject_id'), ['subject_id'],
                              unique=False)

    with op.batch_alter_table('applicant_identities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('sealed', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_sealed', sa.LargeBinary(), nullable=True))

    _seal_everything()

    with op.batch_alter_table('applicant_identities', schema=None) as batch_op:
        for column in IDENTITY_COLUMNS:
            batch_op.drop_column(column)
        batch_op.alter_column('subject_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('sealed', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.create_index(batch_op.f('ix_applicant_identities_subject_id'), ['subject_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_applicant_identities_subject_id', 'data_subjects',
                                    ['subject_id'], ['id'])
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('note')


def _text(value: Any) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _seal_everything() -> None:
    from app.subjects import crypto
    from app.subjects.service import (
        identity_binding,
        match_subject,
        note_binding,
        report_binding,
    )

    connection = op.get_bind()
    keys = _Keys()
    rows = connection.execute(sa.text(
        "SELECT i.application_id, i.full_name, i.date_of_birth, i.national_id, i.address, "
        "i.contact, i.co_applicant, i.guarantor, a.national_id_digest, a.name_dob_digest, "
        "a.submitted_at FROM applicant_identities i JOIN applications a "
        "ON a.id = i.application_id ORDER BY a.submitted_at, a.id")).all()
    subjects: dict[str, dict[str, Any]] = {}  # lookup digest -> subject
    data_keys: dict[str, bytes] = {}  # subject id -> data key
    subject_of: dict[str, str] = {}  # application id -> subject id
    for row in rows:
        subject, digest = match_subject(subjects.get, row.national_id_digest,
                                        row.name_dob_digest)
        if subject is None:
            subject = {"id": _new_id(), "created_at": row.submitted_at}
            data_keys[subject["id"]] = crypto.new_key()
        subjects.pop(subject.get("lookup_digest", ""), None)
        subject["lookup_digest"] = digest
        subjects[digest] = subject
        subject_of[row.application_id] = subject["id"]
        value = {"full_name": row.full_name, "date_of_birth": _text(row.date_of_birth),
                 "national_id": row.national_id,
                 **{column: None if getattr(row, column) is None else json.loads(
                     getattr(row, column)) for column in ('address', 'contact',
                                                          'co_applicant', 'guarantor')}}
        body = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        sealed = crypto.seal(data_keys[subject["id"]], body, identity_binding(
            row.application_id).associated_data(subject["id"]))
        connection.execute(sa.text(
            "UPDATE applicant_identities SET subject_id = :s, sealed = :sealed "
            "WHERE application_id = :a").bindparams(sa.bindparam("sealed",
                                                                 type_=sa.LargeBinary())),
            {"s": subject["id"], "sealed": sealed, "a": row.application_id})

    insert = sa.text(
        "INSERT INTO data_subjects (id, created_at, lookup_digest, wrapped_key, master_key_id) "
        "VALUES (:id, :created_at, :lookup_digest, :wrapped_key, :master_key_id)").bindparams(
        sa.bindparam("wrapped_key", type_=sa.LargeBinary()))
    for subject in {s["id"]: s for s in subjects.values()}.values():
        key_id, master = keys.ring.active()
        connection.execute(insert, {
            **subject, "master_key_id": key_id,
            "wrapped_key": crypto.wrap(master, key_id, subject["id"], data_keys[subject["id"]])})

    for decision_id, application_id, note in connection.execute(sa.text(
            "SELECT id, application_id, note FROM decisions WHERE note IS NOT NULL")).all():
        subject_id = subject_of[application_id]
        sealed = crypto.seal(data_keys[subject_id], note.encode(),
                             note_binding(decision_id).associated_data(subject_id))
        connection.execute(sa.text("UPDATE decisions SET note_sealed = :sealed WHERE id = :id")
                           .bindparams(sa.bindparam("sealed", type_=sa.LargeBinary())),
                           {"sealed": sealed, "id": decision_id})

    for report_id, application_id, sha256, pdf in connection.execute(sa.text(
            "SELECT id, application_id, sha256, pdf FROM reports "
            "WHERE application_id IS NOT NULL")).all():
        subject_id = subject_of[application_id]
        sealed = crypto.seal(data_keys[subject_id], bytes(pdf),
                             report_binding(sha256).associated_data(subject_id))
        connection.execute(sa.text("UPDATE reports SET pdf = :sealed WHERE id = :id")
                           .bindparams(sa.bindparam("sealed", type_=sa.LargeBinary())),
                           {"sealed": sealed, "id": report_id})


def _new_id() -> str:
    import uuid

    return uuid.uuid4().hex


def downgrade() -> None:
    connection = op.get_bind()
    erased = connection.execute(sa.text(
        "SELECT COUNT(*) FROM data_subjects WHERE wrapped_key IS NULL")).scalar_one()
    if erased:
        raise RuntimeError(
            f"cannot downgrade below 0006: the personal data of {erased} data subjects was "
            "erased (their keys destroyed), and the older schema requires a name, date of birth "
            "and contact for every application. Restore a backup taken before 0006 instead.")
    with op.batch_alter_table('applicant_identities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column('date_of_birth', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('national_id', sqlmodel.sql.sqltypes.AutoString(
            length=40), nullable=True))
        for column in ('address', 'contact', 'co_applicant', 'guarantor'):
            batch_op.add_column(sa.Column(column, sa.Text(), nullable=True))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))

    _open_everything()

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('note_sealed')
    with op.batch_alter_table('applicant_identities', schema=None) as batch_op:
        batch_op.drop_constraint('fk_applicant_identities_subject_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_applicant_identities_subject_id'))
        batch_op.drop_column('sealed')
        batch_op.drop_column('subject_id')
        for column in ('full_name', 'date_of_birth', 'contact'):
            batch_op.alter_column(column, existing_type=sa.Text() if column == 'contact'
                                  else sa.Date() if column == 'date_of_birth'
                                  else sqlmodel.sql.sqltypes.AutoString(length=200),
                                  nullable=False)
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_requests_subject_id'))
    op.drop_table('erasure_requests')
    with op.batch_alter_table('data_subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_subjects_master_key_id'))
        batch_op.drop_index('ix_data_subjects_lookup_digest')
    op.drop_table('data_subjects')


def _open_everything() -> None:
    from app.subjects import crypto
    from app.subjects.service import identity_binding, note_binding, report_binding

    connection = op.get_bind()
    keys = _Keys()
    data_keys: dict[str, bytes] = {}

    def data_key(subject_id: str) -> bytes:
        if subject_id not in data_keys:
            key_id, wrapped = connection.execute(sa.text(
                "SELECT master_key_id, wrapped_key FROM data_subjects WHERE id = :id"),
                {"id": subject_id}).one()
            data_keys[subject_id] = crypto.unwrap(keys.ring.key(key_id), key_id, subject_id,
                                                  bytes(wrapped))
        return data_keys[subject_id]

    subject_of = dict(connection.execute(sa.text(
        "SELECT application_id, subject_id FROM applicant_identities")).all())
    update = sa.text(
        "UPDATE applicant_identities SET full_name = :full_name, date_of_birth = :date_of_birth, "
        "national_id = :national_id, address = :address, contact = :contact, "
        "co_applicant = :co_applicant, guarantor = :guarantor WHERE application_id = :a"
    ).bindparams(sa.bindparam("date_of_birth", type_=sa.Date()))
    for application_id, subject_id, sealed in connection.execute(sa.text(
            "SELECT application_id, subject_id, sealed FROM applicant_identities")).all():
        value = json.loads(crypto.open_sealed(data_key(subject_id), bytes(sealed),
                                              identity_binding(application_id)
                                              .associated_data(subject_id)))
        connection.execute(update, {
            "a": application_id, "full_name": value["full_name"],
            "date_of_birth": date.fromisoformat(value["date_of_birth"]),
            "national_id": value["national_id"],
            **{column: None if value[column] is None else json.dumps(value[column])
               for column in ('address', 'contact', 'co_applicant', 'guarantor')}})
    for decision_id, application_id, sealed in connection.execute(sa.text(
            "SELECT id, application_id, note_sealed FROM decisions "
            "WHERE note_sealed IS NOT NULL")).all():
        subject_id = subject_of[application_id]
        note = crypto.open_sealed(data_key(subject_id), bytes(sealed),
                                  note_binding(decision_id).associated_data(subject_id))
        connection.execute(sa.text("UPDATE decisions SET note = :note WHERE id = :id"),
                           {"note": note.decode(), "id": decision_id})
    for report_id, application_id, sha256, sealed in connection.execute(sa.text(
            "SELECT id, application_id, sha256, pdf FROM reports "
            "WHERE application_id IS NOT NULL")).all():
        subject_id = subject_of[application_id]
        pdf = crypto.open_sealed(data_key(subject_id), bytes(sealed),
                                 report_binding(sha256).associated_data(subject_id))
        connection.execute(sa.text("UPDATE reports SET pdf = :pdf WHERE id = :id")
                           .bindparams(sa.bindparam("pdf", type_=sa.LargeBinary())),
                           {"pdf": pdf, "id": report_id})
