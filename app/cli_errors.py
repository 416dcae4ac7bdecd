"""How every command reports an error it expected: one line on stderr, exit status 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from app.config import Settings


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn unsafe settings, an invalid request and a service's refusal (with its stable code)
    into ``error: ...`` and exit status 2; anything else is a bug and stays a traceback."""
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


def settings_or_exit() -> Settings:
    """The settings, or ``error: ...`` and exit status 2 when they are unsafe."""
    from app.config import get_settings

    with cli_errors():
        return get_settings()
