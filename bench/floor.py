"""Floors for `bench/e2e.py --floor`: what a request costs on this machine before riskdesk.

A bare ASGI application served by the same uvicorn and driven by the same client:

- ``POST /echo`` reads the JSON body and answers a small JSON: HTTP alone.
- ``POST /decide`` validates the body as an application document, decides it with the bundled
  scorecard and policy, writes five rows with the sqlite3 module and commits once (WAL): a
  decision's work without the service around it (no authentication, ledger chain, database
  gate, SQLAlchemy or FastAPI).

Run by bench/e2e.py:  uvicorn bench.floor:app
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

from starlette.types import Receive, Scope, Send


@cache
def _decider() -> tuple[Any, Any, Any, sqlite3.Connection]:
    from risk_models.default_model import train_default_model
    from risk_models.reasons import ReasonCatalog
    from risk_models.scorer import CompiledScorer

    result, policy = train_default_model()
    db = sqlite3.connect(f"{tempfile.mkdtemp()}/floor.db", isolation_level=None,
                         check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for table in ("applications", "identities", "monitoring", "decisions", "events"):
        db.execute(f"CREATE TABLE {table} (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
    return CompiledScorer(result.compiled), policy, ReasonCatalog.bundled(), db


def _decide(body: bytes) -> dict[str, Any]:
    from risk_models.decisions import decide_application
    from risk_models.document import ApplicationDocument

    scorer, policy, catalog, db = _decider()
    document = ApplicationDocument.model_validate_json(body)
    today = datetime.now(UTC).date()
    inputs = document.inputs(as_of=today, minimum_age=policy.minimum_age)
    record = decide_application(inputs, scorer=scorer, policy=policy, catalog=catalog,
                                as_of=today).to_dict()
    key = uuid.uuid4().hex
    db.execute("BEGIN IMMEDIATE")
    for table, row in (("applications", inputs.model_dump_json()),
                       ("identities", document.kyc.model_dump_json()),
                       ("monitoring", "{}"), ("decisions", json.dumps(record)),
                       ("events", json.dumps({"outcome": record["outcome"]}))):
        db.execute(f"INSERT INTO {table} VALUES (?, ?)", (key, row))  # noqa: S608
    db.execute("COMMIT")
    return {"id": key, "outcome": record["outcome"], "score": record["score"]}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/decide":
        answer = _decide(body)
    else:
        answer = {"ok": True, "fields": len(json.loads(body or b"{}"))}
    payload = json.dumps(answer).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
