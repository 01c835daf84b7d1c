"""The issue's walk-through on a fresh `make run` (the whole stack): the demo live session runs,
the `live` alias streams it through the gateway, a gateway reset is recovered with nothing lost
or repeated, and stopping the session ends the stream.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_run import RunProcess
from websockets.asyncio.client import connect

from qm_devstack.paths import repo_root
from qm_devstack.seed import dev_token
from qm_market.lsg_sim.control import send

pytestmark = pytest.mark.e2e
SESSIONS = "/v1/ingestion/live/sessions"


@pytest.fixture
def running() -> Iterator[tuple[RunProcess, str, Path]]:
    var_dir = repo_root() / "var" / f"e2e-live-{uuid.uuid4().hex[:8]}"
    run = RunProcess(var_dir)
    try:
        gateway = run.wait_for_banner()
        yield run, gateway, var_dir
        assert run.ctrl_c() == 0, run.output[-3000:]
    finally:
        run.kill()
        shutil.rmtree(var_dir, ignore_errors=True)


def _until(what: str, probe: Callable[[], Any], within: float = 180.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _headers(client: httpx.Client) -> dict[str, str]:
    auth = {"Authorization": f"Bearer {dev_token(client)}"}

    def demo() -> str | None:
        mine = client.get("/v1/workspaces", headers=auth).json()
        return next((w["workspace_id"] for w in mine if w["slug"] == "demo"), None)

    return {**auth, "X-Workspace-Id": _until("workspace demo", demo)}


def _control_port(var_dir: Path) -> int:
    log = var_dir / "log" / "ingestion-gateway-sim.log"

    def port() -> int | None:
        found = re.search(r"control on (\d+)", log.read_text() if log.exists() else "")
        return int(found[1]) if found else None

    return int(_until("the simulated gateway", port))


async def _bins(sock: Any, n: int, first_within: float = 60.0) -> list[dict[str, Any]]:
    headers = []
    while len(headers) < n:
        message = json.loads(
            await asyncio.wait_for(sock.recv(), first_within if not headers else 60)
        )
        assert message["type"] == "grid_update", message
        headers.append(message)
        assert isinstance(await asyncio.wait_for(sock.recv(), 60), bytes)
    return headers


def _ready(gateway: str) -> tuple[dict[str, str], str]:
    """Headers for dev-owner in workspace demo, once its live session and alias are up."""
    with httpx.Client(base_url=gateway, timeout=15.0) as client:
        headers = _headers(client)

        def session() -> dict[str, Any] | None:
            listed = client.get(SESSIONS, headers=headers).json()
            running = [s for s in listed if s["status"] == "running"]
            return running[0] if running and running[0]["counters"].get("records") else None

        sid = str(_until("the demo live session", session)["session_id"])
        alias = "/v1/serving/aliases/live"
        _until("alias live", lambda: client.get(alias, headers=headers).is_success)
    return headers, sid


async def _eventually(what: str, probe: Callable[[], Any], within: float = 60.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


async def _walk_through(gateway: str, var_dir: Path) -> None:
    headers, sid = _ready(gateway)
    control = _control_port(var_dir)
    async with httpx.AsyncClient(base_url=gateway, timeout=15.0) as client:

        async def counters() -> dict[str, Any]:
            reply = await client.get(f"{SESSIONS}/{sid}", headers=headers)
            body: dict[str, Any] = reply.json()
            return body

        token = await client.post("/v1/stream/tokens", json={"serving": "live"}, headers=headers)
        assert token.status_code == 200, token.text
        ws_url = gateway.replace("http://", "ws://") + token.json()["url"]
        async with connect(ws_url, max_size=None) as sock:
            config = json.loads(await asyncio.wait_for(sock.recv(), 120))
            assert config["type"] == "runtime_config", config
            assert config["session"]["source"] == "live"
            # the first bins wait for the catch-up (and, on a cold cache, the kernels' compile)
            before = await _bins(sock, 5, first_within=300)
            was = (await counters())["counters"]
            assert await send("127.0.0.1", control, "fault reset") == "ok"

            async def recovered() -> dict[str, Any] | None:
                now: dict[str, Any] = (await counters())["counters"]
                moved = now["reconnects"] > was["reconnects"]
                return now if moved and now["gaps_filled"] > was["gaps_filled"] else None

            # the stream keeps flowing while ingestion reconnects and fills the gap
            after, now = await asyncio.gather(_bins(sock, 5), _eventually("reconnect", recovered))
            assert now["records"] > was["records"]
            assert now["duplicates_dropped"] >= was["duplicates_dropped"]
            seqs = [h["bin_seq"] for h in before + after]
            assert seqs == sorted(set(seqs)), seqs  # strictly increasing across the fault
            stopped = await client.post(f"{SESSIONS}/{sid}/stop", headers=headers)
            assert stopped.status_code == 200, stopped.text
            while True:
                message = await asyncio.wait_for(sock.recv(), 60)
                if isinstance(message, str) and json.loads(message)["type"] == "end":
                    assert json.loads(message)["reason"] == "live session ended"
                    break

        async def stopped_session() -> dict[str, Any] | None:
            body = await counters()
            return body if body["status"] == "stopped" else None

        final = await _eventually("the stopped session", stopped_session)
        assert final["stopped_at"] is not None


def test_demo_live_session_streams_recovers_from_a_reset_and_stops(
    running: tuple[RunProcess, str, Path],
) -> None:
    run, gateway, var_dir = running
    assert 'aliases "demo" (synthetic replay) and "live"' in run.output
    asyncio.run(_walk_through(gateway, var_dir))
