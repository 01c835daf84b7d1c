"""The stack table: every service `make run` starts. Adding a service is one entry here.

Reserved local ports: tenancy 8101, ingestion 8102, modeling 8103, jobs 8104, gold-dsl 8105,
serving 8106, monitoring 8107.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServiceEntry:
    """One service: its folder name, local port, ASGI factory and extra processes."""

    name: str
    port: int
    api: str
    # Extra long-running processes: (process name suffix, `python -m` argv).
    workers: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    # Processes only the local stack runs (simulators, demo seeding): not mirrored in compose/Helm.
    # "{gateway_url}" in an argv is replaced by the running gateway's URL.
    local_workers: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    relay: bool = True
    # Extra uvicorn command-line options of the API process.
    uvicorn_args: tuple[str, ...] = field(default=())

    @property
    def schema(self) -> str:
        """The Postgres schema (and event outbox) name: the folder name with underscores."""
        return self.name.replace("-", "_")

    @property
    def alembic_ini(self) -> str:
        """Path of the service's alembic.ini, relative to the repository root."""
        return f"services/{self.name}/alembic.ini"


SERVICES: tuple[ServiceEntry, ...] = (
    ServiceEntry(
        name="tenancy",
        port=8101,
        api="qm_tenancy.app:create_app",
        workers=(("consumer", ("qm_tenancy.consumer",)),),
    ),
    ServiceEntry(
        name="ingestion",
        port=8102,
        api="qm_ingestion.app:create_app",
        workers=(("worker", ("qm_ingestion.worker",)),),
        local_workers=(
            ("gateway-sim", ("qm_ingestion.gateway_sim",)),
            ("demo", ("qm_ingestion.demo", "--hold", "--gateway-url", "{gateway_url}")),
        ),
    ),
    ServiceEntry(
        name="jobs",
        port=8104,
        api="qm_jobs.app:create_app",
        workers=(("worker", ("qm_jobs.worker",)),),
        # seeds the demo dataset (2 synthetic minutes) so the demo experiment can run at once
        local_workers=(("demo", ("qm_jobs.demo", "--hold")),),
    ),
    ServiceEntry(
        name="serving",
        port=8106,
        api="qm_serving.app:create_app",
        # stream fan-out: pre-framed writes, no per-connection compression (docs/adr/0600)
        uvicorn_args=(
            "--ws",
            "qm_serving.stream.wsserver:FramedWebSockets",
            "--ws-per-message-deflate",
            "false",
        ),
        # registers configs/serving/qmdemo_vp.yaml and points alias `demo` at it
        local_workers=(("demo", ("qm_serving.demo", "--gateway-url", "{gateway_url}", "--hold")),),
    ),
)


def service_named(name: str, services: tuple[ServiceEntry, ...] = SERVICES) -> ServiceEntry:
    """The entry called `name` (KeyError when the stack has no such service)."""
    for entry in services:
        if entry.name == name:
            return entry
    raise KeyError(name)


def select(names: str, services: tuple[ServiceEntry, ...] = SERVICES) -> tuple[ServiceEntry, ...]:
    """The entries named in a comma list ("" = all), always with tenancy (it issues tokens)."""
    wanted = {name.strip() for name in names.split(",") if name.strip()}
    if not wanted:
        return services
    unknown = wanted - {entry.name for entry in services}
    if unknown:
        raise KeyError(f"not in the stack table: {', '.join(sorted(unknown))}")
    return tuple(e for e in services if e.name in wanted or e.name == "tenancy")
