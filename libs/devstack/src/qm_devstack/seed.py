"""Idempotent demo data, created through the public API: workspace "demo" owned by dev-owner."""

from __future__ import annotations

import time
from typing import Any

import httpx

DEV_OWNER = {"sub": "dev-owner", "email": "dev-owner@example.com", "name": "Dev Owner"}
DEMO = {"name": "Demo", "slug": "demo"}


def dev_token(client: httpx.Client, identity: dict[str, str] = DEV_OWNER) -> str:
    """A dev access token for `identity` from tenancy's dev issuer."""
    reply = client.post("/v1/auth/dev/token", json=identity)
    reply.raise_for_status()
    return str(reply.json()["access_token"])


def seed_demo(gateway_url: str, *, timeout: float = 30.0) -> dict[str, Any]:
    """Return the demo workspace, creating it only when dev-owner has none with slug "demo"."""
    with httpx.Client(base_url=gateway_url, timeout=10.0) as client:
        headers = {"Authorization": f"Bearer {dev_token(client)}"}
        mine = _my_workspaces(client, headers, timeout)
        found = next((ws for ws in mine if ws.get("slug") == DEMO["slug"]), None)
        if found is not None:
            return found
        reply = client.post("/v1/workspaces", json=DEMO, headers=headers)
        reply.raise_for_status()
        created: dict[str, Any] = reply.json()
        return created


def _my_workspaces(
    client: httpx.Client, headers: dict[str, str], timeout: float
) -> list[dict[str, Any]]:
    # The gateway may still be fetching the JWKS for a moment after it reports ready.
    deadline = time.monotonic() + timeout
    while True:
        reply = client.get("/v1/workspaces", headers=headers)
        if reply.status_code != 401 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    reply.raise_for_status()
    body = reply.json()
    items = body.get("items", []) if isinstance(body, dict) else body
    return [item for item in items if isinstance(item, dict)]
