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
    relay: bool = True

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
)


def service_named(name: str, services: tuple[ServiceEntry, ...] = SERVICES) -> ServiceEntry:
    """The entry called `name` (KeyError when the stack has no such service)."""
    for entry in services:
        if entry.name == name:
            return entry
    raise KeyError(name)
