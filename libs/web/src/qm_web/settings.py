"""Settings every HTTP service shares (env prefix QM_)."""

from __future__ import annotations

from qm_core.settings import QmSettings


class WebSettings(QmSettings):
    """Where the database, Redis, identity provider and tenancy are."""

    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_namespace: str = ""
    auth_issuer: str = "qmachina-dev"
    auth_audience: str = "qmachina"
    auth_jwks_url: str = "http://127.0.0.1:8101/.well-known/jwks.json"
    tenancy_url: str = "http://127.0.0.1:8101"
    service_token: str = ""
    max_body_bytes: int = 1 << 20
    membership_ttl_s: float = 5.0
