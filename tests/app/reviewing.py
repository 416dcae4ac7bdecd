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


def clear_sanctions_case(client: Any, auth_headers: Any, application_id: str, *,
                         maker: str = "underwriter",
                         checker: str = "underwriting_lead") -> dict[str, Any]:
    """Dispose of the application's sanctions case as a false positive, four-eyes."""
    cases = client.get("/cases", params={"kind": "sanctions_match", "limit": 500},
                       headers=auth_headers[maker]).json()["items"]
    case = next(c for c in cases if c["application_id"] == application_id
                and c["state"] != "decided")
    proposed = client.post(f"/cases/{case['id']}/disposition", json={
        "disposition": "false_positive", "note": "a namesake: the documents differ"},
        headers=auth_headers[maker])
    assert proposed.status_code == 202, proposed.text
    approved = client.post(f"/approvals/{proposed.json()['id']}/approve",
                           headers=auth_headers[checker])
    assert approved.status_code == 201, approved.text
    return dict(approved.json())
