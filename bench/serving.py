"""Serving fan-out benchmark: 500 WebSocket subscribers of one alias beside 1, at 10 bins/s.

The serving app runs under uvicorn in a child process on a loopback port with the flags the
deployments use (uvloop, `websockets-sansio`, no per-message-deflate; its own scratch database;
tenancy's membership and quota lookups replaced by static stand-ins, since tenancy is not part of
this measurement). The parent registers the demo spec (configs/serving/qmdemo_vp), points alias
`bench` at it and measures first 1 subscriber, then N, each for a fixed window at pace 1.0
(100 ms bins, i.e. 10 bins/s).

Clients run in `--clients` worker processes (the N subscribers split between them), so that one
Python client process does not become the thing being measured. Delay = receipt wall clock (taken
as soon as the client library hands over the header) minus the producer's `emitted_at_ns` stamp.
The machine's cores are shared by the server and the clients: the JSON records the CPU seconds
each side spent in the window (per bin) and the load average, so a figure can be read in context.
Writes var/bench/serving.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench._fanout_clients import (
    Viewer,
    client_process,
    cpu_seconds,
    free_port,
)

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "var" / "bench"
INI = REPO / "services" / "serving" / "alembic.ini"
TARGET_P99_MS = 50.0
BINS_PER_SECOND = 10
# The uvicorn options serving runs with everywhere (devstack, images): see docs/adr/0600.
FRAMED_WS = "qm_serving.stream.wsserver:FramedWebSockets"
UVICORN_OPTIONS: dict[str, Any] = {
    "loop": "uvloop",
    "http": "httptools",
    "ws": FRAMED_WS,
    "ws_per_message_deflate": False,
}


def _phase(
    url: str,
    headers: dict[str, str],
    n: int,
    seconds: float,
    *,
    clients: int,
    client: str,
    server_pid: int,
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    shares = [n // clients + (1 if i < n % clients else 0) for i in range(min(clients, n))]
    pipes, procs = [], []
    for share in shares:
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=client_process, args=(url, headers, share, seconds, client, child)
        )
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    try:
        connected = sum(int(p.recv()) for p in pipes)
        time.sleep(1.0)  # let the fan-out settle after the ramp
        load_before = os.getloadavg()[0]
        server_cpu0 = cpu_seconds(server_pid)
        for p in pipes:
            p.send("go")
        reports = [p.recv() for p in pipes]
        server_cpu = cpu_seconds(server_pid) - server_cpu0
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    viewers = [
        Viewer(list(delays), dropped, frame_bytes, ok)
        for report in reports
        for delays, dropped, frame_bytes, ok in report["viewers"]
    ]
    summary = _summary(viewers, seconds)
    bins = seconds * BINS_PER_SECOND
    summary.update(
        connected=connected,
        client_processes=len(shares),
        server_cpu_ms_per_bin=round(server_cpu / bins * 1000, 2),
        client_cpu_ms_per_bin=round(sum(r["cpu_s"] for r in reports) / bins * 1000, 2),
        load_average_1m=round(load_before, 2),
    )
    return summary


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


def _serve(database_url: str, port: int, info: Path, deflate: bool, ws: str) -> None:
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
    options = {**UVICORN_OPTIONS, "ws_per_message_deflate": deflate, "ws": ws}
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)
    server = uvicorn.Server(config)

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

    # the loop uvicorn's CLI would pick for these options (uvloop)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(run())


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


def _spawn(database: str, port: int, info: Path, deflate: bool, ws: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "bench.serving", "--serve", "--db", database]
    argv += ["--port", str(port), "--info", str(info), "--ws", ws]
    argv += ["--server-deflate"] if deflate else []
    return subprocess.Popen(argv, cwd=REPO)


async def _measure(args: argparse.Namespace, server_url: str) -> dict[str, Any]:
    from qm_testing.migrations import upgrade
    from qm_testing.servers import create_database, drop_database

    database = await create_database(server_url, prefix="qm_bench_serving")
    port, info = free_port(), OUT / f"serving-{uuid.uuid4().hex[:8]}.json.tmp"
    proc = None
    try:
        await upgrade(INI, database)
        proc = _spawn(database, port, info, args.server_deflate, args.ws)
        headers = await asyncio.to_thread(_wait_for, info, proc, 180.0)
        serving_id = await _prepare(f"http://127.0.0.1:{port}", headers)
        url = f"ws://127.0.0.1:{port}/v1/stream?serving=bench"
        options = {"client": args.client, "server_pid": proc.pid}
        one = await asyncio.to_thread(_phase, url, headers, 1, args.seconds, clients=1, **options)
        many = await asyncio.to_thread(
            _phase, url, headers, args.subscribers, args.seconds, clients=args.clients, **options
        )
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
    parser.add_argument("--clients", type=int, default=2, help="client worker processes")
    parser.add_argument(
        "--client",
        choices=("lean", "websockets", "websockets-deflate"),
        default="lean",
        help="lean: minimal RFC 6455 reader; websockets: the library's client (-deflate: offers "
        "permessage-deflate like a browser)",
    )
    parser.add_argument(
        "--server-deflate", action="store_true", help="let the server accept permessage-deflate"
    )
    parser.add_argument(
        "--ws", default=FRAMED_WS, help="uvicorn ws protocol (websockets-sansio: no framed writes)"
    )
    parser.add_argument("--out", type=Path, default=OUT / "serving.json")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--info", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    if args.serve:
        _serve(args.db, args.port, args.info, args.server_deflate, args.ws)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    server = os.environ.get("QM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    started = time.monotonic()
    result = asyncio.run(_measure(args, server))
    fan = result["fan_out"]
    result.update(
        bins_per_second=BINS_PER_SECOND,
        cpu_count=os.cpu_count(),
        uvicorn={**UVICORN_OPTIONS, "ws_per_message_deflate": args.server_deflate, "ws": args.ws},
        client=args.client,
        target_p99_ms=TARGET_P99_MS,
        target_met=bool(
            fan["delay_ms_p99"] is not None
            and fan["delay_ms_p99"] < TARGET_P99_MS
            and fan["subscribers_with_drops"] == 0
        ),
        wall_s=round(time.monotonic() - started, 1),
    )
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("one_subscriber", "fan_out", "target_met")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
