"""``riskdesk subjects ...``, ``riskdesk retention run`` and ``riskdesk keys ...``: erasure by
two admins, legal holds, the retention run, and master key rotation.

Erasure and holds name the person acting (``--as USERNAME``): the four-eyes rule needs to know
who requests and who approves. The retention run and key rotation act as the service
(``system:retention``, ``system:keys``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer

from app.cli_errors import cli_errors

subjects_cli = typer.Typer(help="Data subjects: erasure, legal holds.", no_args_is_help=True)
retention_cli = typer.Typer(help="Retention of personal data.", no_args_is_help=True)
keys_cli = typer.Typer(help="Master keys of personal data.", no_args_is_help=True)

T = TypeVar("T")
Reason = Annotated[str, typer.Option("--reason", help="Why (a case reference, not a name).")]
As = Annotated[str, typer.Option("--as", help="Your username (an admin; for holds, an admin "
                                              "or compliance officer).")]


def _as_user(username: str, action_name: str, work: Callable[..., T]) -> T:
    """Run ``work(session, actor)`` in one transaction as the named user."""
    from app.auth.permissions import Action
    from app.db import session_scope
    from app.users.service import acting_user

    with session_scope() as session:
        actor = acting_user(session, username, Action(action_name))
        return work(session, actor)


@subjects_cli.command("erase")
def erase(
    subject_id: Annotated[str, typer.Argument(help="The data subject's id.")],
    reason: Reason,
    username: As,
    acknowledge_retention: Annotated[bool, typer.Option(
        "--acknowledge-retention",
        help="Erase although the Reg B 25-month retention has not ended.")] = False,
) -> None:
    """Request erasure (first admin) or approve and carry it out (a second, different admin)."""
    from app.subjects import erasure
    from app.subjects.schemas import ErasureCreate

    with cli_errors():
        body = ErasureCreate(reason=reason, acknowledge_retention=acknowledge_retention)
        outcome = _as_user(username, "subject.erase", lambda session, actor: erasure.erase(
            session, actor, subject_id, reason=body.reason,
            acknowledge_retention=body.acknowledge_retention))
    if outcome.executed:
        typer.echo(f"subject {subject_id}: key destroyed; personal data erased (request "
                   f"{outcome.request.id}, requested by {outcome.request.requested_by})")
    else:
        typer.echo(f"subject {subject_id}: erasure requested ({outcome.request.id}); a "
                   "different admin runs the same command to approve it")


def _hold(subject_id: str, reason: str, username: str, setting: bool) -> None:
    from app.subjects import erasure
    from app.subjects.schemas import LegalHoldChange

    change = erasure.set_legal_hold if setting else erasure.release_legal_hold
    with cli_errors():
        body = LegalHoldChange(reason=reason)
        _as_user(username, "subject.legal_hold",
                 lambda session, actor: change(session, actor, subject_id, body.reason))
    typer.echo(f"subject {subject_id}: legal hold {'set' if setting else 'released'}")


@subjects_cli.command("hold")
def hold(subject_id: Annotated[str, typer.Argument(help="The data subject's id.")],
         reason: Reason, username: As) -> None:
    """Set a legal hold: neither erasure nor retention destroys the subject's data."""
    _hold(subject_id, reason, username, True)


@subjects_cli.command("release")
def release(subject_id: Annotated[str, typer.Argument(help="The data subject's id.")],
            reason: Reason, username: As) -> None:
    """Release a legal hold."""
    _hold(subject_id, reason, username, False)


@retention_cli.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be shredded; "
                                                            "change nothing.")] = False,
    as_of: Annotated[datetime | None, typer.Option(
        "--as-of", formats=["%Y-%m-%d"],
        help="Apply the retention period on this day (default today; a later day only with "
             "--dry-run).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Shred the keys of subjects past the 25-month Reg B retention, except legal holds."""
    from app.auth.principal import Principal
    from app.config import get_settings
    from app.db import session_scope
    from app.subjects import retention

    with cli_errors():
        settings = get_settings()
        with session_scope() as session:
            result = retention.run(session, settings, Principal.system("retention"),
                                   as_of=None if as_of is None else as_of.date(),
                                   dry_run=dry_run)
    summary: dict[str, Any] = {**result.counts(), "expired_subjects": result.expired,
                               "held_subjects": result.held,
                               "notice_owed_subjects": result.notice_owed}
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    verb = "would shred" if dry_run else "shredded"
    typer.echo(f"retention on {result.as_of}: {verb} {len(result.expired)} of "
               f"{result.considered} subjects; kept {len(result.held)} under legal hold and "
               f"{len(result.notice_owed)} still owed a notice")
    for subject_id in result.expired:
        typer.echo(f"  {verb} {subject_id}")
    typer.echo(f"ledger: {result.ledger_events_past_retention} events older than "
               f"{result.ledger_retention_months} months (kept: nothing deletes ledger events)")


@keys_cli.command("status")
def keys_status() -> None:
    """The master keys configured, and how many data keys each wraps; exit 1 when a data key is
    wrapped by a key that is not configured."""
    from app.config import get_settings
    from app.db import session_scope
    from app.subjects import rotation

    with cli_errors():
        settings = get_settings()
        with session_scope() as session:
            found = rotation.status(session, settings)
    typer.echo(f"master keys from {found.source}; active {found.active_id}")
    for key_id in sorted(set(found.configured) | set(found.usage)):
        state = "active" if key_id == found.active_id else (
            "configured" if key_id in found.configured else "MISSING")
        typer.echo(f"  {key_id}  {state:<10}  wraps {found.usage.get(key_id, 0)} data keys")
    if found.missing:
        raise typer.Exit(1)


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Add a fresh master key to the key file and re-wrap every data key under it (values stay
    as they are); with RISKDESK_MASTER_KEY, re-wrap under its first key."""
    from app.auth.principal import Principal
    from app.config import get_settings
    from app.db import session_scope
    from app.subjects import rotation

    with cli_errors():
        settings = get_settings()
        with session_scope() as session:
            active, moved = rotation.rotate(session, settings, Principal.system("keys"))
    typer.echo(f"active master key {active}; re-wrapped {sum(moved.values())} data keys"
               + "".join(f"\n  from {key_id}: {count}" for key_id, count in moved.items()))


@keys_cli.command("retire")
def keys_retire(key_id: Annotated[str, typer.Argument(help="The master key's id (mk-...).")],
                ) -> None:
    """Remove a master key from the key file once no data key is wrapped by it."""
    from app.auth.principal import Principal
    from app.config import get_settings
    from app.db import session_scope
    from app.subjects import rotation

    with cli_errors():
        settings = get_settings()
        with session_scope() as session:
            rotation.retire(session, settings, Principal.system("keys"), key_id)
    typer.echo(f"master key {key_id} removed from the key file. Database backups taken "
               "before the rotation open only with it: keep its copy with them while they are "
               "kept, then destroy it (that also shreds the erased subjects in those backups)")
