"""Jobs SSE latency: from the worker's emit (event committed in Postgres, then published on
Redis) to receipt by a client reading the jobs API's event stream over HTTP (uvicorn).

The reference, measured in the same run, is a bare Redis pub/sub round trip (publish to
subscriber receipt), i.e. the floor under the platform's path. Results are merged into
var/bench/jobs.json under "sse" (other keys belong to other benchmarks).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from redis.asyncio import Redis

from qm_core.clock import utcnow
from qm_db.uow import unit_of_work
from qm_jobs import live
from qm_jobs.app import create_app
from qm_jobs.experiments import repository, service
from qm_jobs.experiments.states import JobStatus
from qm_jobs.experiments.tables import ExperimentJob
from qm_jobs.settings import JobsSettings
from qm_testing import TestIssuer
from qm_testing.migrations import upgrade
from qm_testing.servers import create_database, drop_database, postgres_server, redis_server
from qm_testing.tenancy import StaticLimits, StaticMembership
from qm_web.rbac import Role

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "var" / "bench"
INI = REPO / "services" / "jobs" / "alembic.ini"
EVENTS, GAP_S = 300, 0.01


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000.0


def _summary(latencies: list[float]) -> dict[str, float]:
    return {
        "n": len(latencies),
        "p50_ms": _pct(latencies, 0.50),
        "p99_ms": _pct(latencies, 0.99),
        "mean_ms": statistics.fmean(latencies) * 1000.0,
    }


async def _new_job(app: Any, ws: uuid.UUID) -> uuid.UUID:
    job = ExperimentJob(
        job_id=uuid.uuid4(),
        workspace_id=ws,
        submitted_by="bench",
        spec_ref="bench",
        spec_name="bench",
        spec_hash="0" * 64,
        spec_json={},
        datasets=[],
        status="queued",
        progress_json={},
        attempt=1,
        max_attempts=1,
        last_sequence=0,
        created_at=utcnow(),
    )
    async with unit_of_work(app.state.sessions, system=True) as session:
        session.add(job)
        await session.flush()
        await service.move(session, job, JobStatus.running)
    return job.job_id


async def _emit(app: Any, job_id: uuid.UUID, event_type: str, payload: dict[str, Any]) -> float:
    """What the worker does per progress report: lock, append, commit, then publish; returns
    the moment of the commit (when the event exists)."""
    async with unit_of_work(app.state.sessions, system=True) as session:
        job = await repository.lock_job(session, job_id)
        assert job is not None
        if event_type == "job_state":
            event = await service.move(session, job, JobStatus.succeeded)
        else:
            event = await repository.append_event(session, job, event_type, payload)
    committed = time.perf_counter()
    await live.publish_events(app.state.redis, app.state.namespace, [event])
    return committed


async def _client(url: str, headers: dict[str, str], ready: asyncio.Event) -> dict[int, float]:
    received: dict[int, float] = {}
    async with httpx.AsyncClient(timeout=60) as http, http.stream("GET", url, headers=headers) as r:
        async for line in r.aiter_lines():
            if line.startswith("retry:"):
                ready.set()
            if not line.startswith("data:"):
                continue
            body = json.loads(line[5:])
            if "i" in body["payload"]:
                received[body["payload"]["i"]] = time.perf_counter()
    return received


async def _platform(app: Any, base: str, issuer: TestIssuer) -> tuple[list[float], list[float]]:
    """(emit → client receipt, commit duration) per event; emit = the event's commit."""
    ws = uuid.uuid4()
    app.state.membership.grant(ws, "bench", Role.viewer)
    job_id = await _new_job(app, ws)
    headers = issuer.as_principal("bench", workspace_id=ws)
    ready = asyncio.Event()
    url = f"{base}/v1/jobs/experiments/{job_id}/events"
    reader = asyncio.create_task(_client(url, headers, ready))
    await ready.wait()
    await asyncio.sleep(0.5)  # past the replay: every frame below takes the live path
    committed: dict[int, float] = {}
    commit_s: list[float] = []
    for i in range(EVENTS):
        t0 = time.perf_counter()
        committed[i] = await _emit(app, job_id, "job_progress", {"i": i})
        commit_s.append(committed[i] - t0)
        await asyncio.sleep(GAP_S)
    await _emit(app, job_id, "job_state", {})
    received = await reader
    return [received[i] - committed[i] for i in committed if i in received], commit_s


async def _redis_floor(url: str) -> list[float]:
    redis = Redis.from_url(url)
    pubsub = redis.pubsub()
    channel = f"bench-{uuid.uuid4().hex}"
    await pubsub.subscribe(channel)
    latencies = []
    for _ in range(EVENTS):
        await redis.publish(channel, str(time.perf_counter()))
        while (msg := await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)) is None:
            pass
        latencies.append(time.perf_counter() - float(msg["data"]))
        await asyncio.sleep(GAP_S)
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    await redis.aclose()
    return latencies


async def _run(pg: str, redis_url: str, artifacts: Path) -> dict[str, Any]:
    db = await create_database(pg, prefix="qm_bench_jobs")
    try:
        await upgrade(INI, db)
        settings = JobsSettings(
            database_url=db,
            redis_url=redis_url,
            redis_namespace=f"bench-{uuid.uuid4().hex[:6]}:",
            jobs_artifacts_dir=artifacts,
            jobs_api_reaper=False,
            log_json=False,
            log_level="WARNING",
        )
        app, issuer, port = create_app(settings), TestIssuer(), _port()
        issuer.trust(app)
        server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn only exposes a flag
            await asyncio.sleep(0.02)
        app.state.membership, app.state.limits = StaticMembership(), StaticLimits()
        try:
            platform, commits = await _platform(app, f"http://127.0.0.1:{port}", issuer)
        finally:
            server.should_exit = True
            await task
        floor = await _redis_floor(redis_url)
    finally:
        await drop_database(pg, db)
    return {
        "emit_to_sse_client": _summary(platform),
        "reference_redis_pubsub_roundtrip": _summary(floor),
        "worker_commit_of_one_event": _summary(commits),
        "note": "API, emitter and client share one process and event loop",
        "events": EVENTS,
        "emit_gap_s": GAP_S,
        "cpu_count": os.cpu_count(),
        "load_avg_1m": os.getloadavg()[0],
    }


def write(result: dict[str, Any]) -> Path:
    """Merge our keys into var/bench/jobs.json (other benchmarks own the other keys)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "jobs.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data.update(result)
    tmp = path.with_suffix(f".{os.getpid()}.sse.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def main() -> int:
    """Measure emit → SSE client latency beside the Redis floor; write var/bench/jobs.json."""
    with postgres_server() as pg, redis_server() as redis_url, tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(_run(pg, redis_url, Path(tmp)))
    path = write({"sse": result})
    print(json.dumps(result, indent=2))
    print(f"wrote {path.relative_to(REPO)}")
    received = result["emit_to_sse_client"]["n"]
    return 0 if received == EVENTS else 1


if __name__ == "__main__":
    raise SystemExit(main())
