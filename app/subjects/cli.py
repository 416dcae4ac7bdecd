"""``riskdesk keys ...``: master key status, rotation and retirement (acting as the service,
``system:keys``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

keys_cli = typer.Typer(help="Master keys of personal data.", no_args_is_help=True)


@contextmanager
def _errors_exit() -> Iterator[None]:
    from pydantic import ValidationError

    from app.config import InsecureSettingsError
    from app.errors import RiskdeskError

    try:
        yield
    except InsecureSettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"error: {'.'.join(map(str, err['loc']))}: {err['msg']}", err=True)
        raise typer.Exit(2) from exc
    except RiskdeskError as exc:
        typer.echo(f"error: {exc.message} ({exc.code})", err=True)
        raise typer.Exit(2) from exc


@keys_cli.command("status")
def keys_status() -> None:
    """The master keys configured, and how many data keys each wraps; exit 1 when a data key is
    wrapped by a key that is not configured."""
    from app.config import get_settings
    from app.db import session_scope
    from app.subjects import rotation

    with _errors_exit():
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

    with _errors_exit():
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

    with _errors_exit():
        settings = get_settings()
        with session_scope() as session:
            rotation.retire(session, settings, Principal.system("keys"), key_id)
    typer.echo(f"master key {key_id} removed from the key file. Database backups taken "
               "before the rotation open only with it: keep its copy with them while they are "
               "kept, then destroy it (that also shreds the erased subjects in those backups)")
