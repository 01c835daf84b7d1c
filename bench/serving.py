"""Serving fan-out benchmark: 500 WebSocket subscribers of one alias beside 1, at 10 bins/s.

The serving app runs under uvicorn in a child process on a loopback port (its own scratch
database; tenancy's membership and quota lookups replaced by static stand-ins, since tenancy is
not part of this measurement). The parent registers the demo spec (configs/serving/qmdemo_vp),
points alias `bench` at it and opens first 1 subscriber, then N, each for a fixed window at
pace 1.0 (100 ms bins, i.e. 10 bins/s). Delay = receipt wall clock minus the producer's
`emitted_at_ns` stamp, measured in the client process (so it includes client-side parsing under
load). Writes var/bench/serving.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from websockets.asyncio.client import connect

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "var" / "bench"
INI = REPO / "services" / "serving" / "alembic.ini"
TARGET_P99_MS = 50.0


@dataclass
class Viewer:
    """What one subscriber saw inside the measurement window."""

    delays_ms: list[float] = field(default_factory=list)
    dropped: int = 0
    frame_bytes: int = 0
    connected: bool = False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _watch(
    url: str, headers: dict[str, str], viewer: Viewer, window: dict[str, bool]
) -> None:
    # no permessage-deflate: compressing every frame per connection is the first fan-out limit
    async with connect(
        url, additional_headers=headers, max_size=None, open_timeout=120, compression=None
    ) as ws:
        await ws.recv()  # runtime_config
        viewer.connected = True
        async for message in ws:
            now = time.time_ns()
            if not window["on"]:
                continue
            if isinstance(message, bytes):
                viewer.frame_bytes = len(message)
                continue
            header = json.loads(message)
            viewer.delays_ms.append((now - int(header["emitted_at_ns"])) / 1e6)
            viewer.dropped += int(header["dropped_since_last"])


async def _phase(url: str, headers: dict[str, str], n: int, seconds: float) -> dict[str, Any]:
    viewers, window = [Viewer() for _ in range(n)], {"on": False}
    tasks = []
    for i, viewer in enumerate(viewers):
        tasks.append(asyncio.create_task(_watch(url, headers, viewer, window)))
        if i % 50 == 49:
            await asyncio.sleep(0.2)  # ramp up instead of a SYN flood
    for _ in range(600):  # up to 2 minutes for every subscriber to get its runtime_config
        if all(v.connected for v in viewers):
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # let the fan-out settle after the ramp
    window["on"] = True
    await asyncio.sleep(seconds)
    window["on"] = False
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return _summary(viewers, seconds)


def _summary(viewers: list[Viewer], seconds: float) -> dict[str, Any]:
    delays = np.array([d for v in viewers for d in v.delays_ms]) if viewers else np.array([])
    frames = [len(v.delays_ms) for v in viewers]
    keeping_up = [v for v in viewers if v.dropped == 0]
    return {
        "subscribers": len(viewers),
        "connected": sum(v.connected for v in viewers),
        "window_s": seconds,
        "frames_received": int(sum(frames)),
        "frames_per_subscriber_min": min(frames, default=0),
        "frames_per_subscriber_max": max(frames, default=0),
        "delay_ms_p50": round(float(np.percentile(delays, 50)), 3) if delays.size else None,
        "delay_ms_p99": round(float(np.percentile(delays, 99)), 3) if delays.size else None,
        "delay_ms_max": round(float(delays.max()), 3) if delays.size else None,
        "dropped_frames": int(sum(v.dropped for v in viewers)),
        "subscribers_with_drops": len(viewers) - len(keeping_up),
        "frame_bytes": max((v.frame_bytes for v in viewers), default=0),
    }


def _serve(database_url: str, port: int, info: Path) -> None:
    """Child process: the serving app on 127.0.0.1:port with static tenancy stand-ins."""
    import uvicorn

    from qm_serving.app import create_app
    from qm_serving.settings import ServingSettings
    from qm_serving.stream.warmup import warm_up
    from qm_testing import TestIssuer
    from qm_testing.tenancy import StaticLimits, StaticMembership
    from qm_web.rbac import Role

    settings = ServingSettings(
        database_url=database_url,
        serving_configs_dir=str(REPO / "configs"),
        serving_pace=1.0,
        serving_warm_up=False,
        log_json=False,
        log_level="WARNING",
    )
    warm_up()
    app = create_app(settings)
    issuer, workspace = TestIssuer(), uuid.uuid4()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            ws="websockets-sansio",
            ws_per_message_deflate=False,
            log_level="warning",
        )
    )

    async def run() -> None:
        task = asyncio.create_task(server.serve())
        for _ in range(2400):  # uvicorn exposes no start event, only a flag
            if server.started:
                break
            await asyncio.sleep(0.05)
        app.state.membership = StaticMembership({(workspace, "bench"): Role.editor})
        app.state.limits = StaticLimits(max_streams=100_000)
        issuer.trust(app)
        headers = issuer.as_principal("bench", workspace_id=workspace, ttl_s=3600)
        await asyncio.to_thread(info.write_text, json.dumps(headers))
        await task

    asyncio.run(run())


async def _prepare(base: str, headers: dict[str, str]) -> str:
    from qm_serving.demo import registration

    async with httpx.AsyncClient(base_url=base, timeout=30.0) as http:
        reply = await http.post(
            "/v1/serving/versions",
            json=registration(REPO / "configs", "qmdemo_vp"),
            headers=headers,
        )
        reply.raise_for_status()
        serving_id = str(reply.json()["serving_id"])
        moved = await http.post(
            "/v1/serving/aliases/bench/activate",
            json={"serving_id": serving_id, "reason": "fan-out benchmark"},
            headers=headers,
        )
        moved.raise_for_status()
        return serving_id


def _wait_for(info: Path, proc: subprocess.Popen[bytes], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while not info.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("serving child did not start")
        time.sleep(0.2)
    headers: dict[str, str] = json.loads(info.read_text())
    return headers


def _spawn(database: str, port: int, info: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "bench.serving", "--serve", "--db", database]
    argv += ["--port", str(port), "--info", str(info)]
    return subprocess.Popen(argv, cwd=REPO)


async def _measure(subscribers: int, seconds: float, server_url: str) -> dict[str, Any]:
    from qm_testing.migrations import upgrade
    from qm_testing.servers import create_database, drop_database

    database = await create_database(server_url, prefix="qm_bench_serving")
    port, info = _free_port(), OUT / f"serving-{uuid.uuid4().hex[:8]}.json.tmp"
    proc = None
    try:
        await upgrade(INI, database)
        proc = _spawn(database, port, info)
        headers = await asyncio.to_thread(_wait_for, info, proc, 180.0)
        serving_id = await _prepare(f"http://127.0.0.1:{port}", headers)
        url = f"ws://127.0.0.1:{port}/v1/stream?serving=bench"
        one = await _phase(url, headers, 1, seconds)
        many = await _phase(url, headers, subscribers, seconds)
        return {"serving_id": serving_id, "one_subscriber": one, "fan_out": many}
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        info.unlink(missing_ok=True)
        await drop_database(server_url, database)


def main(argv: list[str] | None = None) -> int:
    """Run the fan-out benchmark (or, with --serve, be its server child)."""
    parser = argparse.ArgumentParser(prog="python -m bench.serving")
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--info", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    if args.serve:
        _serve(args.db, args.port, args.info)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    server = os.environ.get("QM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    started = time.monotonic()
    result = asyncio.run(_measure(args.subscribers, args.seconds, server))
    fan = result["fan_out"]
    result.update(
        bins_per_second=10,
        cpu_count=os.cpu_count(),
        target_p99_ms=TARGET_P99_MS,
        target_met=bool(
            fan["delay_ms_p99"] is not None
            and fan["delay_ms_p99"] < TARGET_P99_MS
            and fan["subscribers_with_drops"] == 0
        ),
        wall_s=round(time.monotonic() - started, 1),
    )
    (OUT / "serving.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("one_subscriber", "fan_out", "target_met")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
