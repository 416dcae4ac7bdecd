"""The database gate admits its slots, lets a bounded number wait, and refuses the rest with
503 and Retry-After instead of queueing without end."""

from __future__ import annotations

import asyncio

import pytest

from app.admission import Gate, Overloaded


def test_waiters_beyond_the_bound_are_refused_at_once():
    async def scenario() -> list[str]:
        gate = Gate(1, max_waiting=2, max_wait=5.0)
        outcomes: list[str] = []
        release = asyncio.Event()

        async def request(name: str) -> None:
            try:
                async with gate:
                    await release.wait()
                    outcomes.append(f"{name}: served")
            except Overloaded as refused:
                assert refused.headers == {"Retry-After": "1"} and refused.status_code == 503
                outcomes.append(f"{name}: refused")

        tasks = [asyncio.create_task(request(f"r{i}")) for i in range(5)]
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(*tasks)
        return sorted(outcomes)

    assert asyncio.run(scenario()) == ["r0: served", "r1: served", "r2: served",
                                       "r3: refused", "r4: refused"]


def test_a_waiter_is_refused_when_no_slot_frees_in_time():
    async def scenario() -> None:
        gate = Gate(1, max_waiting=10, max_wait=0.05)
        async with gate:
            with pytest.raises(Overloaded):
                async with gate:
                    pass
        async with gate:  # the slot is free again
            pass

    asyncio.run(scenario())
