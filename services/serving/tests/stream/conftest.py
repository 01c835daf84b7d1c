"""Stream fixtures: the serving app under uvicorn on a free loopback port, on its own database."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from fastapi import FastAPI

from qm_market.instruments import load_instrument
from qm_market.synth import SynthSpec, write_session
from qm_serving.app import create_app
from qm_serving.settings import ServingSettings
from qm_serving.stream.warmup import warm_up
from qm_testing import TestIssuer
from qm_testing.migrations import upgrade
from qm_testing.servers import create_database, drop_database
from qm_testing.tenancy import StaticLimits, StaticMembership
from qm_web.rbac import Role

INI = Path(__file__).resolve().parents[2] / "alembic.ini"
CONFIGS = Path(__file__).resolve().parents[4] / "configs"


@dataclass
class LiveServer:
    """A running serving app and the stand-ins it uses for tenancy."""

    app: FastAPI
    http: httpx.AsyncClient
    ws_url: str
    membership: StaticMembership
    limits: StaticLimits
    issuer: TestIssuer

    def workspace(self, **members: str) -> uuid.UUID:
        ws = uuid.uuid4()
        for user, role in members.items():
            self.membership.grant(ws, user, Role.parse(role))
        return ws

    def headers(self, user: str, ws: uuid.UUID) -> dict[str, str]:
        return self.issuer.as_principal(user, workspace_id=ws)


@pytest.fixture(scope="session")
async def warm_kernels() -> None:
    """Compile the numba kernels once per run, outside any test's time budget."""
    await asyncio.to_thread(warm_up)


@pytest.fixture(scope="module")
async def stream_db(qm_postgres_server: str) -> AsyncIterator[str]:
    """A database with real commits (producers read it from their own sessions)."""
    url = await create_database(qm_postgres_server, prefix="qm_stream")
    await upgrade(INI, url)
    yield url
    await drop_database(qm_postgres_server, url)


def spec_json(path: Path) -> dict[str, Any]:
    """A configs/ YAML spec as the JSON the API takes (dates as ISO strings)."""
    data: dict[str, Any] = json.loads(
        json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str)
    )
    return data


@asynccontextmanager
async def running_server(
    settings: ServingSettings, issuer: TestIssuer, ws: Any = "websockets-sansio"
) -> AsyncIterator[LiveServer]:
    """The serving app under uvicorn on a free loopback port, tenancy replaced by stand-ins."""
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        ws=ws,
        ws_per_message_deflate=False,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # uvicorn exposes no start event, only a flag
        if server.started:
            break
        await asyncio.sleep(0.02)
    port = int(server.servers[0].sockets[0].getsockname()[1])
    membership, limits = StaticMembership(), StaticLimits()
    app.state.membership, app.state.limits = membership, limits
    issuer.trust(app)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            yield LiveServer(
                app, http, f"ws://127.0.0.1:{port}/v1/stream", membership, limits, issuer
            )
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
def serve(qm_issuer: TestIssuer, qm_redis_url: str) -> Callable[..., Any]:
    """`async with serve(db, ws=..., **setting_overrides) as server:` a LiveServer of its own."""

    def start(database_url: str, ws: Any = "websockets-sansio", **overrides: Any) -> Any:
        values: dict[str, Any] = {
            "database_url": database_url,
            "redis_url": qm_redis_url,
            "redis_namespace": f"test-{uuid.uuid4().hex[:12]}:",
            "service_token": "test-service-token",
            "serving_configs_dir": str(CONFIGS),
            "serving_pace": 10.0,
            "serving_replay_minutes": 0.25,
            "serving_queue_frames": 64,
            "serving_warm_up": False,
            "log_json": False,
            **overrides,
        }
        return running_server(ServingSettings(**values), qm_issuer, ws)

    return start


RECORDED = "qmdemo_session.dbn"


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root holding a recorded 15 s QMDEMO session (the demo pipeline's window start)."""
    root = tmp_path_factory.mktemp("serving-data")
    instrument = load_instrument(CONFIGS / "instruments" / "QMDEMO.yaml")
    write_session(SynthSpec(instrument, date(2026, 3, 2), "09:30", 0.25, 7), root / RECORDED)
    return root


@pytest.fixture(scope="module")
async def live(
    stream_db: str, serve: Callable[..., Any], warm_kernels: None, data_root: Path
) -> AsyncIterator[LiveServer]:
    """The shared stream server (plain websockets protocol, fast replays)."""
    async with serve(stream_db, serving_data_root=str(data_root)) as server:
        yield server


async def register(
    server: LiveServer,
    ws: uuid.UUID,
    user: str,
    serving: str = "qmdemo_vp",
    alias: str = "demo",
    recorded: bool = False,
    source: dict[str, Any] | None = None,
) -> str:
    """Register a configs/ serving spec in `ws` (optionally with another pipeline source) and
    point `alias` at it; returns the serving id."""
    body = spec_json(CONFIGS / "serving" / f"{serving}.yaml")
    pipeline = spec_json(CONFIGS / "pipeline" / f"{body['pipeline']}.yaml")
    if recorded:
        source = {"kind": "dbn_file", "path": RECORDED}
    if source is not None:
        pipeline["source"] = source
    headers = server.headers(user, ws)
    response = await server.http.post(
        "/v1/serving/versions", json={"serving": body, "pipeline": pipeline}, headers=headers
    )
    assert response.status_code in (200, 201), response.text
    serving_id: str = response.json()["serving_id"]
    moved = await server.http.post(
        f"/v1/serving/aliases/{alias}/activate",
        json={"serving_id": serving_id, "reason": "stream test"},
        headers=headers,
    )
    assert moved.status_code in (200, 409), moved.text
    return serving_id


@pytest.fixture(scope="session")
def register_on() -> Callable[..., Any]:
    """`await register_on(server, ws, user, serving=..., alias=..., source=...)`."""
    return register


@pytest.fixture
def publish(live: LiveServer) -> Callable[..., Any]:
    """`await publish(ws, user, serving=..., alias=..., recorded=..., source=...)` on `live`."""

    async def go(ws: uuid.UUID, user: str, **kwargs: Any) -> str:
        return await register(live, ws, user, **kwargs)

    return go
