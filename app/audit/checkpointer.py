"""The server's background task that appends a signed checkpoint whenever one is due.

Each tick reads the chain's head through the database gate (:mod:`app.admission`), in a worker
thread so the event loop never blocks, and holds the gate for that one short read only; signing
and the file append happen outside it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from app.admission import Overloaded, gate_for
from app.audit import service
from app.audit.checkpoints import LedgerContradictsCheckpoint
from app.config import Settings
from app.db import get_engine

logger = logging.getLogger("riskdesk.checkpoints")


async def checkpoint_tick(app: FastAPI, settings: Settings) -> dict[str, Any] | None:
    """Take a checkpoint if one is due; return it, or None when none was."""
    engine = get_engine()
    latest = await run_in_threadpool(service.latest_checkpoint, settings)
    async with gate_for(app, engine):
        view = await run_in_threadpool(service.read_chain_view, engine, latest)
    return await run_in_threadpool(service.write_checkpoint, settings, view, latest,
                                   only_if_due=True)


async def run_checkpoints(app: FastAPI, settings: Settings) -> None:
    """Tick every CHECKPOINT_POLL_SECONDS until cancelled. A chain that contradicts the latest
    checkpoint is logged as an error (once until it changes), never signed."""
    last_problem = None
    while True:
        problem = None
        try:
            await checkpoint_tick(app, settings)
        except Overloaded:
            pass  # the database is busy: the next tick will do
        except LedgerContradictsCheckpoint as exc:
            problem = exc.message
            if problem != last_problem:
                logger.error("ledger checkpoint: %s", problem)
        except Exception as exc:  # keep ticking: a failed tick must not end the task
            # The type only: a database error's message can quote a statement's values.
            problem = type(exc).__name__
            if problem != last_problem:
                logger.warning("ledger checkpoint failed: %s", problem)
        last_problem = problem
        await asyncio.sleep(settings.checkpoint_poll_seconds)
