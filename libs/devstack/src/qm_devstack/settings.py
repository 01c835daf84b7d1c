"""Settings of the dev-stack CLIs (make run, make migrate), read once from QM_* variables."""

from __future__ import annotations

from qm_core.settings import QmSettings


class DevstackSettings(QmSettings):
    """QM_DATABASE_URL / QM_REDIS_URL select external servers; unset means embedded ones."""

    database_url: str = ""
    redis_url: str = ""
    gateway_port: int = 8080
    auth_issuer: str = "qmachina-dev"
    auth_audience: str = "qmachina"
    devstack_echo_logs: bool = False
    # Random free ports for every process (tests running beside a developer's `make run`).
    devstack_free_ports: bool = False
    # Comma list of services to start (empty: the whole stack table).
    devstack_services: str = ""
