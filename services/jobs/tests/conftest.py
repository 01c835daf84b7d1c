"""Jobs test fixtures: a migrated database with real commits, the API served over HTTP by
uvicorn (SSE needs a real socket), a tiny synthetic lake, worker processes, identities."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from qm_engine.dataset import build_dataset
from qm_jobs.app import create_app
from qm_jobs.settings import JobsSettings
from qm_market.instruments import load_instrument
from qm_market.synth import SynthSpec, write_session
from qm_testing import TestIssuer
from qm_testing.migrations import upgrade
from qm_testing.servers import create_database, drop_database
from qm_testing.tenancy import StaticLimits, StaticMembership
from qm_web.rbac import Role

HERE = Path(__file__).resolve().parent
JOBS_INI = HERE.parent / "alembic.ini"
REPO = HERE.parents[2]
Headers = dict[str, str]


@pytest.fixture(scope="session")
async def jobs_db(qm_postgres_server: str) -> AsyncIterator[str]:
    """A database of its own with jobs' migrations (worker processes need real commits)."""
    url = await create_database(qm_postgres_server, prefix="qm_jobs")
    await upgrade(JOBS_INI, url)
    yield url
    await drop_database(qm_postgres_server, url)


@pytest.fixture(scope="session")
def built_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A lake holding one qm_engine dataset of a two-minute synthetic QMDEMO session."""
    root = tmp_path_factory.mktemp("lake")
    instrument = load_instrument(REPO / "configs" / "instruments" / "QMDEMO.yaml")
    session = SynthSpec(instrument, date(2026, 3, 2), "09:30", 2.0, 7)
    write_session(session, root / "session.dbn")
    ref = build_dataset(
        source=root / "session.dbn",
        instrument=instrument,
        start_ns=session.start_ns,
        end_ns=session.start_ns + 120 * 1_000_000_000,
        lake=root / "lake",
    )
    return root / "lake", ref.dataset_id


@pytest.fixture(scope="session")
def lake(built_dataset: tuple[Path, str]) -> Path:
    return built_dataset[0]


@pytest.fixture(scope="session")
def dataset_id(built_dataset: tuple[Path, str]) -> str:
    return built_dataset[1]


@pytest.fixture(scope="session")
def redis_namespace() -> str:
    """One namespace for the API and its workers in this run (tests use their own workspaces)."""
    return f"test-jobs-{uuid.uuid4().hex[:8]}:"


@pytest.fixture(scope="session")
def jobs_settings(
    jobs_db: str,
    qm_redis_url: str,
    redis_namespace: str,
    lake: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> JobsSettings:
    return JobsSettings(
        database_url=jobs_db,
        redis_url=qm_redis_url,
        redis_namespace=redis_namespace,
        jobs_configs_dir=REPO / "configs",
        jobs_lake_dir=lake,
        jobs_artifacts_dir=tmp_path_factory.mktemp("artifacts"),
        jobs_sse_keepalive_s=0.6,
        jobs_sse_poll_s=0.3,
        jobs_stale_after_s=3,
        jobs_reaper_interval_s=0.5,
        log_json=False,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Api:
    """The served API, its base URL and the tenancy stand-ins behind it."""

    url: str
    membership: StaticMembership
    limits: StaticLimits
    app: Any


@pytest.fixture(scope="session")
async def api(jobs_settings: JobsSettings, qm_issuer: TestIssuer) -> AsyncIterator[Api]:
    """The jobs API on a real port (uvicorn in this event loop)."""
    app = create_app(jobs_settings)
    qm_issuer.trust(app)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn only exposes a flag
        await asyncio.sleep(0.02)
    membership, limits = StaticMembership(), StaticLimits(max_jobs=3)
    app.state.membership, app.state.limits = membership, limits
    yield Api(f"http://127.0.0.1:{port}", membership, limits, app)
    server.should_exit = True
    await task


@pytest.fixture
async def http(api: Api) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.url, timeout=30.0) as client:
        yield client


@pytest.fixture
def member(api: Api, qm_issuer: TestIssuer) -> Callable[..., Headers]:
    """Headers of a fresh user holding `role` in workspace `ws`: `member(ws, "editor")`."""

    def make(ws: uuid.UUID, role: str = "editor") -> Headers:
        user = f"{role}-{uuid.uuid4().hex[:8]}"
        api.membership.grant(ws, user, Role.parse(role))
        return qm_issuer.as_principal(user, workspace_id=ws)

    return make


@pytest.fixture
def submit(http: httpx.AsyncClient, dataset_id: str) -> Callable[..., Awaitable[httpx.Response]]:
    """POST a job: the demo sweep by reference, or an inline spec with a description knob."""

    async def post(
        headers: Headers,
        *,
        description: str | None = None,
        budget: dict[str, Any] | None = None,
        **body: Any,
    ) -> httpx.Response:
        payload: dict[str, Any] = {"datasets": [dataset_id], **body}
        if description is not None:
            payload["spec"] = inline_spec(description)
            if budget is not None:
                payload["spec"]["budget"] = budget
        elif "spec" not in payload:
            payload.setdefault("spec_ref", "derivative_baseline_sweep")
        return await http.post("/v1/jobs/experiments", json=payload, headers=headers)

    return post


def inline_spec(description: str, cooldowns: tuple[int, ...] = (20, 40)) -> dict[str, Any]:
    """The derivative baseline sweep inline (8 runs), with a pacing knob in its description."""
    return {
        "kind": "experiment",
        "name": "paced_derivative_sweep",
        "description": description,
        "serving": "derivative_baseline",
        "eval": {"tp_ticks": [8], "sl_ticks": [4], "cooldown_bins": list(cooldowns)},
        "sweep": {"signal": {"params.zscore_window_bins": [240, 300], "weights.mixed": [0.0, 0.5]}},
    }


async def wait_for(
    http: httpx.AsyncClient,
    path: str,
    headers: Headers,
    done: Callable[[dict[str, Any]], bool],
    within: float = 60.0,
) -> dict[str, Any]:
    """Poll a JSON resource until `done(body)` or fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        body: dict[str, Any] = (await http.get(path, headers=headers)).json()
        if done(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting on {path}: {body}")
        await asyncio.sleep(0.1)


@pytest.fixture
def poll() -> Callable[..., Awaitable[dict[str, Any]]]:
    return wait_for


class WorkerProcess:
    """`python -m qm_jobs.worker` as a child process."""

    metrics_url: str | None = None

    def __init__(self, settings: JobsSettings, log: Path, **overrides: Any) -> None:
        env = {**os.environ, **_env(settings), **{k: str(v) for k, v in overrides.items()}}
        env["PYTHONPATH"] = os.pathsep.join([str(HERE / "support"), env.get("PYTHONPATH", "")])
        # A file, not a pipe: an unread pipe fills up and blocks the worker's event loop.
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qm_jobs.worker"],
            env=env,
            cwd=REPO,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, like a machine losing power."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _env(settings: JobsSettings) -> dict[str, str]:
    return {
        "QM_DATABASE_URL": settings.database_url,
        "QM_REDIS_URL": settings.redis_url,
        "QM_REDIS_NAMESPACE": settings.redis_namespace,
        "QM_JOBS_LAKE_DIR": str(settings.jobs_lake_dir),
        "QM_JOBS_ARTIFACTS_DIR": str(settings.jobs_artifacts_dir),
        "QM_JOBS_CONFIGS_DIR": str(settings.jobs_configs_dir),
        "QM_JOBS_RUNNER": "jobs_paced_runner:run_experiment",
        "QM_JOBS_WORKER_METRICS_PORT": "0",
        "QM_JOBS_HEARTBEAT_S": "0.5",
        "QM_JOBS_STALE_AFTER_S": "3",
        "QM_JOBS_REAPER_INTERVAL_S": "0.5",
        "QM_LOG_JSON": "false",
        "QM_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def start_worker(
    jobs_settings: JobsSettings, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start worker processes for one test; all are stopped afterwards."""
    started: list[WorkerProcess] = []

    def start(**overrides: Any) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        worker = WorkerProcess(jobs_settings, log, **overrides)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="session")
def shared_worker(
    jobs_settings: JobsSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """One worker (2 jobs at once) shared by the worker tests, to pay its warm-up once."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    port = _free_port()
    worker = WorkerProcess(
        jobs_settings, log, QM_JOBS_WORKER_CONCURRENCY=2, QM_JOBS_WORKER_METRICS_PORT=port
    )
    worker.metrics_url = f"http://127.0.0.1:{port}/metrics"
    yield worker
    worker.stop()


@dataclass
class Frame:
    """One SSE message (`comment` for keep-alive lines)."""

    id: int | None = None
    event: str | None = None
    data: str = ""
    comment: str | None = None


def _parse(lines: list[str]) -> Frame:
    frame = Frame()
    for line in lines:
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "":
            frame.comment = value
        elif field == "id":
            frame.id = int(value)
        elif field == "event":
            frame.event = value
        elif field == "data":
            frame.data += value
    return frame


async def read_sse(
    http: httpx.AsyncClient,
    path: str,
    headers: Headers,
    *,
    last_event_id: int | None = None,
    stop_after: int | None = None,
    seconds: float = 90.0,
) -> list[Frame]:
    """Frames of an SSE stream until it ends, `stop_after` id'd frames arrive, or `seconds`."""
    if last_event_id is not None:
        headers = {**headers, "Last-Event-ID": str(last_event_id)}
    frames: list[Frame] = []
    with contextlib.suppress(asyncio.TimeoutError):
        async with asyncio.timeout(seconds):
            async with http.stream("GET", path, headers=headers) as response:
                assert response.status_code == 200, await response.aread()
                assert response.headers["content-type"].startswith("text/event-stream")
                pending: list[str] = []
                async for line in response.aiter_lines():
                    if line:
                        pending.append(line)
                        continue
                    if pending:
                        frames.append(_parse(pending))
                        pending = []
                    if stop_after is not None and len([f for f in frames if f.id]) >= stop_after:
                        break
    return frames


@pytest.fixture
def sse() -> Callable[..., Awaitable[list[Frame]]]:
    return read_sse
