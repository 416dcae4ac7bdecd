"""Deciding an application as underwriters do: a decision that needs a second underwriter is
approved by the seeded underwriting lead."""

from __future__ import annotations

from typing import Any


def review(client: Any, auth_headers: Any, application_id: str, body: dict[str, Any], *,
           reviewer: str = "underwriter", checker: str = "underwriting_lead") -> Any:
    response = client.post(f"/applications/{application_id}/review", json=body,
                           headers=auth_headers[reviewer])
    if response.status_code == 202:
        response = client.post(f"/approvals/{response.json()['id']}/approve",
                               headers=auth_headers[checker])
    return response
