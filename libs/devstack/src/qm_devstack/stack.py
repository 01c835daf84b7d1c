"""The whole local platform as one object: databases, migrations, services, relays, Envoy."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from qm_devstack.database import migration_grant, service_login
from qm_devstack.envoy import envoy_spec
from qm_devstack.gateway import GatewaySettings
from qm_devstack.net import free_port, http_ok, port_is_free, preferred_or_free
from qm_devstack.paths import repo_root
from qm_devstack.postgres import EmbeddedPostgres
from qm_devstack.stack_table import SERVICES, ServiceEntry
from qm_devstack.supervisor import ProcessSpec, Supervisor
from qm_devstack.valkey import EmbeddedValkey

EMBEDDED_PG_PORT = 55432
EMBEDDED_REDIS_PORT = 56379


@dataclass(frozen=True)
class StackConfig:
    """What to start and where; `free_ports` picks every port at random (tests)."""

    var_dir: Path
    database_url: str | None = None
    redis_url: str | None = None
    redis_namespace: str = ""
    gateway_port: int = 8080
    free_ports: bool = False
    dev_auth: bool = True
    log_json: bool = True
    issuer: str = "qmachina-dev"
    audience: str = "qmachina"
    echo_logs: IO[str] | None = None
    progress: IO[str] | None = None
    # Embedded Postgres only: fsync off trades crash safety for speed (throwaway test data).
    fsync: bool = True
    # Each service logs in as its own role, limited to its schema (False: all use the admin URL).
    service_roles: bool = True
    services: tuple[ServiceEntry, ...] = field(default=SERVICES)


@contextmanager
def _no_grant(_admin_url: str, _services: Sequence[str]) -> Iterator[None]:
    yield


class Stack:
    """Start with `start()` (or `with Stack(config) as stack:`); `stop()` leaves nothing running."""

    def __init__(self, config: StackConfig, root: Path | None = None) -> None:
        self.config = replace(config, var_dir=Path(config.var_dir).resolve())
        self.root = root or repo_root()
        self.supervisor = Supervisor(self.var / "log", cwd=self.root, echo=config.echo_logs)
        self.postgres: EmbeddedPostgres | None = None
        self.valkey: EmbeddedValkey | None = None
        self.database_url = config.database_url or ""
        self.redis_url = config.redis_url or ""
        self.ports: dict[str, int] = {}
        self.gateway_port = 0
        self._started_at = time.monotonic()

    @property
    def var(self) -> Path:
        """The stack's data directory (Postgres, Valkey, logs, keys, rendered configs)."""
        return self.config.var_dir

    @property
    def gateway_url(self) -> str:
        """Base URL of the Envoy gateway."""
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def dev_key_path(self) -> Path:
        """Where tenancy keeps the dev signing key (a JWK with a kid)."""
        return self.var / "dev-auth" / "dev-signing-key.json"

    def service_url(self, name: str) -> str:
        """Direct (not through the gateway) base URL of a service."""
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self) -> Stack:
        """Bring everything up in dependency order; on any failure stop what started and raise."""
        try:
            self._started_at = time.monotonic()
            self._start_stores()
            self._say(f"postgres {self.database_url} and redis {self.redis_url} ready")
            self._pick_ports()
            urls = {s.name: self._service_database(s) for s in self.config.services}
            self._migrate_all(urls)
            for service in self.config.services:
                self._start_service(service, urls[service.name])
            # Started together, waited for together: imports dominate start-up time.
            for service in self.config.services:
                self.supervisor.wait_ready(service.name)
                self._say(f"{service.name}: healthy on :{self.ports[service.name]}")
            self._start_gateway()
            self._say(f"gateway: ready on :{self.gateway_port}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop processes (SIGTERM, then SIGKILL), then the embedded servers."""
        self.supervisor.stop_all()
        if self.valkey is not None:
            self.valkey.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def migrate_all(self) -> None:
        """Apply every service's migrations (embedded Postgres only while it runs), then stop."""
        try:
            self._start_stores(redis=False)
            self._migrate_all({s.name: self._service_database(s) for s in self.config.services})
        finally:
            self.stop()

    def _migrate_all(self, urls: dict[str, str]) -> None:
        # Schemas are independent, so the services' migrations run side by side.
        grant = migration_grant if self.config.service_roles else _no_grant
        with grant(self.database_url, list(urls)), ThreadPoolExecutor(max_workers=4) as pool:
            jobs = [pool.submit(self.migrate, s, urls[s.name]) for s in self.config.services]
            for job in jobs:
                job.result()
        self._say(f"migrations applied: {', '.join(urls)}")

    def migrate(self, service: ServiceEntry, database_url: str) -> None:
        """`alembic upgrade head` for one service, from the repository root (no grants)."""
        argv = [sys.executable, "-m", "alembic", "-c", service.alembic_ini, "upgrade", "head"]
        env = {**os.environ, **self.service_env(), "QM_DATABASE_URL": database_url}
        done = subprocess.run(  # noqa: S603 - fixed argv
            argv, cwd=self.root, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"migrations of {service.name} failed:\n{done.stderr[-4000:]}")

    def service_env(self) -> dict[str, str]:
        """The environment every service process shares (each gets its own QM_DATABASE_URL)."""
        tenancy = f"http://127.0.0.1:{self.ports.get('tenancy', 8101)}"
        env = {
            "QM_REDIS_URL": self.redis_url,
            "QM_AUTH_ISSUER": self.config.issuer,
            "QM_AUTH_AUDIENCE": self.config.audience,
            "QM_AUTH_JWKS_URL": f"{tenancy}/.well-known/jwks.json",
            "QM_TENANCY_URL": tenancy,
            # serving asks ingestion which session stream feeds a live pipeline
            "QM_SERVING_INGESTION_URL": f"http://127.0.0.1:{self.ports.get('ingestion', 8102)}",
            "QM_SERVICE_TOKEN": self._service_token(),
            "QM_TENANCY_DEV_KEY_PATH": str(self.dev_key_path),
            # The simulated Databento gateway (ingestion's local worker) and the workers dialing it
            "QM_INGESTION_GATEWAY_PORT": str(self.ports.get("ingestion-gateway-sim", 13000)),
            "QM_LOG_JSON": "true" if self.config.log_json else "false",
            "PYTHONUNBUFFERED": "1",
        }
        if self.config.redis_namespace:
            env["QM_REDIS_NAMESPACE"] = self.config.redis_namespace
        if self.config.dev_auth:
            env["QM_DEV_AUTH"] = "1"
        return env

    def _start_stores(self, *, redis: bool = True) -> None:
        pick = None if self.config.free_ports else EMBEDDED_PG_PORT
        if not self.database_url:
            self.postgres = EmbeddedPostgres(
                self.var / "postgres", port=pick, fsync=self.config.fsync
            )
            self.database_url = self.postgres.start()
        if redis and not self.redis_url:
            port = None if self.config.free_ports else EMBEDDED_REDIS_PORT
            self.valkey = EmbeddedValkey(self.var / "valkey", port=port)
            self.redis_url = self.valkey.start()

    def _pick_ports(self) -> None:
        for service in self.config.services:
            self.ports[service.name] = free_port() if self.config.free_ports else service.port
        wanted = None if self.config.free_ports else self.config.gateway_port
        self.gateway_port = wanted if wanted is not None else free_port()
        # the simulator listens on this port and on the next one (its control port)
        self.ports["ingestion-gateway-sim"] = _free_pair() if self.config.free_ports else 13000

    def _service_database(self, service: ServiceEntry) -> str:
        if not self.config.service_roles:
            return self.database_url
        return service_login(self.database_url, service.name)

    def _start_service(self, service: ServiceEntry, database_url: str) -> None:
        env = {**self.service_env(), "QM_DATABASE_URL": database_url}
        port = self.ports[service.name]
        api = [sys.executable, "-m", "uvicorn", service.api, "--factory"]
        api += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
        api += service.uvicorn_args
        health = f"http://127.0.0.1:{port}/healthz"
        ready = ProcessSpec(
            service.name, api, env, ready=lambda: http_ok(health), ready_timeout=180
        )
        self.supervisor.start(ready, wait=False)
        if service.relay:
            relay = [sys.executable, "-m", "qm_events.relay", "--schema", service.schema]
            self.supervisor.start(ProcessSpec(f"{service.name}-relay", relay, env))
        for suffix, module in service.workers:
            argv = [sys.executable, "-m", *module]
            self.supervisor.start(ProcessSpec(f"{service.name}-{suffix}", argv, env))
        for suffix, module in service.local_workers:
            argv = [sys.executable, "-m", *(a.format(gateway_url=self.gateway_url) for a in module)]
            self.supervisor.start(ProcessSpec(f"{service.name}-{suffix}", argv, env))

    def _start_gateway(self) -> None:
        admin = free_port() if self.config.free_ports else preferred_or_free(9901)
        settings = GatewaySettings(
            upstreams={s.name: ("127.0.0.1", self.ports[s.name]) for s in self.config.services},
            gateway_port=self.gateway_port,
            admin_port=admin,
            issuer=self.config.issuer,
            audience=self.config.audience,
            jwks_uri=self.service_env()["QM_AUTH_JWKS_URL"],
        )
        self.supervisor.start(envoy_spec(settings, self.var / "gateway", self.root))

    def _say(self, message: str) -> None:
        if self.config.progress is not None:
            elapsed = time.monotonic() - self._started_at
            self.config.progress.write(f"[{elapsed:5.1f}s] {message}\n")
            self.config.progress.flush()

    def _service_token(self) -> str:
        # One random token per var/ dir, kept so that restarts keep trusting each other.
        path = self.var / "service-token"
        if not path.exists():
            self.var.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32))
        return path.read_text().strip()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _free_pair() -> int:
    """A port whose successor is free too (the simulated gateway's data and control ports)."""
    for _ in range(50):
        port = free_port()
        if port_is_free(port + 1):
            return port
    raise RuntimeError("no two consecutive free ports on loopback")
