"""Admission to the database: a bounded number of requests in flight, the rest waiting on the
event loop for a while, and beyond that an immediate 503 with ``Retry-After``.

Waiting happens on the event loop, not in the worker threads that run endpoints, so waiters
never take the threads the requests holding a slot need to finish, and /healthz, which needs no
slot, answers however loaded the database is.
"""

from __future__ import annotations

import asyncio
import math
from types import TracebackType
from typing import Any

from sqlalchemy.engine import Engine

from app.errors import ServiceUnavailable

# Requests waiting for a slot beyond which new ones are refused at once, and how long one
# waits before it is refused: a client gets an answer within about this long, never a hang.
MAX_WAITING = 256
MAX_WAIT_SECONDS = 10.0
RETRY_AFTER_SECONDS = 1


class Overloaded(ServiceUnavailable):
    code = "overloaded"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class Gate:
    """``slots`` requests in at once; up to ``max_waiting`` more wait up to ``max_wait`` s."""

    def __init__(self, slots: int, *, max_waiting: int = MAX_WAITING,
                 max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.slots = slots
        self.max_waiting = max_waiting
        self.max_wait = max_wait
        self.waiting = 0
        self._semaphore = asyncio.Semaphore(slots)

    async def __aenter__(self) -> Gate:
        if not self._semaphore.locked():
            await self._semaphore.acquire()  # a free slot: taken at once, without waiting
            return self
        if self.waiting >= self.max_waiting:
            raise Overloaded(f"the service is at capacity ({self.waiting} requests waiting); "
                             f"retry in {RETRY_AFTER_SECONDS} s")
        self.waiting += 1
        try:
            await asyncio.wait_for(self._semaphore.acquire(), self.max_wait)
        except TimeoutError:
            raise Overloaded(f"no database slot came free within {math.ceil(self.max_wait)} s; "
                             f"retry in {RETRY_AFTER_SECONDS} s") from None
        finally:
            self.waiting -= 1
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self._semaphore.release()


def gate_for(app: Any, engine: Engine) -> Gate:
    """The app's gate to ``engine`` on the running event loop (asyncio primitives belong to one
    loop; a test client may run the app on several in turn)."""
    from app.db import request_slots

    gates: dict[tuple[int, str], Gate] = app.state.__dict__.setdefault("db_gates", {})
    key = (id(asyncio.get_running_loop()), str(engine.url))
    gate = gates.get(key)
    if gate is None:
        gate = gates[key] = Gate(request_slots(engine))
    return gate
