"""`python -m qm_ingestion.demo`: start the demo live session (ES.c.0 from the local simulator).

Used by `make run`: waits for the stack, gets a dev token for dev-owner, finds workspace "demo"
and starts a live session unless one is already active. `--hold` keeps the process alive so a
process supervisor can own it.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from typing import Any

import httpx

from qm_ingestion.settings import IngestionSettings

SESSIONS = "/v1/ingestion/live/sessions"
DEV_OWNER = {"sub": "dev-owner", "email": "dev-owner@example.com", "name": "Dev Owner"}


def _demo_workspace(client: httpx.Client, headers: dict[str, str]) -> str:
    reply = client.get("/v1/workspaces", headers=headers)
    reply.raise_for_status()
    body = reply.json()
    items = body.get("items", []) if isinstance(body, dict) else body
    found = next((w for w in items if isinstance(w, dict) and w.get("slug") == "demo"), None)
    if found is None:
        raise LookupError("no workspace 'demo' yet")
    return str(found["workspace_id"])


def ensure_session(client: httpx.Client, symbol: str) -> dict[str, Any]:
    """The active demo session for `symbol`, started if there is none."""
    token = client.post("/v1/auth/dev/token", json=DEV_OWNER)
    token.raise_for_status()
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    headers = {**auth, "X-Workspace-Id": _demo_workspace(client, auth)}
    listed = client.get(SESSIONS, headers=headers)
    listed.raise_for_status()
    for session in listed.json():
        if session["symbol"] == symbol and session["status"] in ("starting", "running"):
            return dict(session)
    body = {
        "symbol": symbol,
        "snapshot": True,
        "roll_policy": "es_calendar",
        "heartbeat_interval_s": 5,
    }
    created = client.post(SESSIONS, json=body, headers=headers)
    created.raise_for_status()
    return dict(created.json())


def gateway_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether the (simulated) Databento gateway accepts connections yet."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def main() -> None:
    """Entry point."""
    p = argparse.ArgumentParser(prog="python -m qm_ingestion.demo")
    p.add_argument("--gateway-url", default="http://127.0.0.1:8080")
    p.add_argument("--symbol", default="ES.c.0")
    p.add_argument("--wait-s", type=float, default=180.0)
    p.add_argument("--hold", action="store_true", help="stay alive after starting the session")
    args = p.parse_args()
    deadline = time.monotonic() + args.wait_s
    # the local simulator builds its script before it listens: start the session after that,
    # so the demo does not spend its reconnect budget on a gateway that is still starting
    port = IngestionSettings().ingestion_gateway_port
    while not gateway_listening(port) and time.monotonic() < deadline:
        time.sleep(1.0)
    with httpx.Client(base_url=args.gateway_url, timeout=10.0) as client:
        while True:
            try:
                session = ensure_session(client, args.symbol)
                break
            except (httpx.HTTPError, LookupError) as exc:
                if time.monotonic() > deadline:
                    sys.exit(f"demo live session not started: {exc}")
                time.sleep(2.0)
    sys.stdout.write(
        f"demo live session {session['session_id']} ({session['symbol']}): "
        f"{session['status']}, stream {session['stream_key']}\n"
    )
    sys.stdout.flush()
    while args.hold:
        time.sleep(3600)


if __name__ == "__main__":
    main()
