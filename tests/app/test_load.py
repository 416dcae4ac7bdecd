"""Under 200 simultaneous clients the service answers every request, decided (201) or refused
for now (503 with Retry-After), never hangs and never fails, and /healthz answers throughout."""

from __future__ import annotations

import socket

import pytest

from bench.e2e import documents, serve
from bench.load import storm
from tests.conftest import TEST_PASSWORD

CLIENTS = 200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
@pytest.mark.usefixtures("active_model")
def test_two_hundred_clients_at_once_all_get_an_answer(db_url, tmp_path):
    import httpx

    port = _free_port()
    process = serve(db_url, str(tmp_path), port)
    try:
        token = httpx.post(f"http://127.0.0.1:{port}/auth/token",
                           data={"username": "loan-officer", "password": TEST_PASSWORD}
                           ).json()["access_token"]
        result = storm(port, token, documents(CLIENTS))
    finally:
        process.terminate()
        process.wait()
    assert result.errors == [], "some requests got no answer at all"
    assert result.answered == CLIENTS
    assert set(result.statuses) <= {201, 503}, result.statuses
    assert result.retry_after_missing == 0
    assert result.health_failures == 0 and result.health_probes > 0
