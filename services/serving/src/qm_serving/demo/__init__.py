"""Demo seeding over the public API: register a configs/ serving spec, point an alias at it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import yaml


def _spec(path: Path) -> dict[str, Any]:
    # YAML dates become ISO strings: the API takes JSON
    data: dict[str, Any] = json.loads(
        json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str)
    )
    return data


def registration(configs_dir: Path, serving: str) -> dict[str, Any]:
    """The POST /v1/serving/versions body for a serving spec of configs/ and its pipeline."""
    spec = _spec(configs_dir / "serving" / f"{serving}.yaml")
    pipeline = _spec(configs_dir / "pipeline" / f"{spec['pipeline']}.yaml")
    return {"serving": spec, "pipeline": pipeline, "description": f"demo: {serving}"}


def seed_alias(
    client: httpx.Client, headers: dict[str, str], *, configs_dir: Path, serving: str, alias: str
) -> dict[str, Any]:
    """Register (idempotent: same content, same version) and activate unless already active."""
    reply = client.post(
        "/v1/serving/versions", json=registration(configs_dir, serving), headers=headers
    )
    reply.raise_for_status()
    serving_id = str(reply.json()["serving_id"])
    current = client.get(f"/v1/serving/aliases/{alias}", headers=headers)
    if current.status_code == 200 and current.json()["serving_id"] == serving_id:
        return {"alias": alias, "serving_id": serving_id, "moved": False}
    moved = client.post(
        f"/v1/serving/aliases/{alias}/activate",
        json={"serving_id": serving_id, "reason": f"demo seed of {serving}"},
        headers=headers,
    )
    moved.raise_for_status()
    return {"alias": alias, "serving_id": serving_id, "moved": True}


DEV_OWNER = {"sub": "dev-owner", "email": "dev-owner@example.com", "name": "Dev Owner"}


def dev_headers(client: httpx.Client) -> dict[str, str]:
    """dev-owner's token (tenancy's dev issuer) and the workspace with slug "demo"."""
    token = client.post("/v1/auth/dev/token", json=DEV_OWNER)
    token.raise_for_status()
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    listed = client.get("/v1/workspaces", headers=auth)
    listed.raise_for_status()
    body = listed.json()
    items = body.get("items", []) if isinstance(body, dict) else body
    found = next((w for w in items if isinstance(w, dict) and w.get("slug") == "demo"), None)
    if found is None:
        raise LookupError("no workspace 'demo' yet")
    return {**auth, "X-Workspace-Id": str(found["workspace_id"])}
