"""Ingestion settings: web settings plus the live gateway, worker lease and checkpoint timing."""

from __future__ import annotations

from qm_web.settings import WebSettings


class IngestionSettings(WebSettings):
    """Env: QM_* (shared) and QM_INGESTION_GATEWAY_HOST / _PORT / _DATABENTO_KEY / ..."""

    ingestion_gateway_host: str = "127.0.0.1"
    ingestion_gateway_port: int = 13000
    # The local simulator's key (`python -m qm_market.lsg_sim serve` accepts it by default);
    # real deployments set QM_INGESTION_DATABENTO_KEY from a secret.
    ingestion_databento_key: str = "db-qmachina-local-simulator-key00"
    ingestion_rolls_dir: str = "configs/rolls"
    ingestion_lease_s: float = 10.0
    ingestion_poll_s: float = 0.5
    ingestion_checkpoint_interval_s: float = 1.0
    ingestion_watchdog_margin_s: float = 5.0
    ingestion_max_attempts: int = 8
