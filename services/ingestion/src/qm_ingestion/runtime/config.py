"""Supervisor configuration: the gateway, the subscription, and reconnect/watchdog bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qm_ingestion.runtime.schedule import ScheduledRoll

CONTINUOUS = re.compile(r"^[A-Z0-9]{1,8}\.[cnv]\.\d{1,2}$")


def stype_of(symbol: str) -> str:
    """`continuous` for ROOT.RULE.RANK symbols (ES.c.0), else `raw_symbol`."""
    return "continuous" if CONTINUOUS.match(symbol) else "raw_symbol"


@dataclass(frozen=True)
class GatewayConfig:
    """Where the live gateway is and how patient we are with it."""

    key: str
    host: str = "127.0.0.1"
    port: int = 13000
    heartbeat_interval_s: int = 30
    watchdog_margin_s: float = 5.0
    backoff_base_s: float = 0.2
    backoff_max_s: float = 10.0
    backoff_jitter: float = 0.5
    max_attempts: int = 8
    success_threshold_s: float = 10.0
    checkpoint_interval_s: float = 1.0
    stop_timeout_s: float = 5.0


@dataclass(frozen=True)
class SessionSpec:
    """One live session: what to subscribe to and from where."""

    session_id: str
    dataset: str
    symbol: str
    start_ns: int | None = None
    snapshot: bool = False
    roll: ScheduledRoll | None = None  # a days_before_expiry policy (continuous symbols only)

    @property
    def stype_in(self) -> str:
        """The input symbology of `symbol`."""
        return stype_of(self.symbol)


def backoff_delay(cfg: GatewayConfig, attempt: int, unit: float) -> float:
    """Exponential backoff for reconnect `attempt` (1-based), jittered by `unit` in [0, 1)."""
    delay = min(cfg.backoff_max_s, cfg.backoff_base_s * 2.0 ** (attempt - 1))
    return delay * (1.0 - cfg.backoff_jitter * unit)
