"""Faults the simulated gateway injects on command, and the log of what each connection saw."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

FaultKind = Literal["close", "reset", "silence", "error", "slow"]
FAULT_KINDS: tuple[FaultKind, ...] = ("close", "reset", "silence", "error", "slow")
TERMINAL_FAULTS = frozenset({"close", "reset", "silence", "error"})


@dataclass
class Fault:
    """A one-shot fault: fires on the first connection about to serve script index >= at_record."""

    kind: FaultKind
    at_record: int | None = None
    fired_on: int | None = None


@dataclass
class ConnectionLog:
    """What one client connection asked for and was served."""

    conn_id: int
    auth: dict[str, str] = field(default_factory=dict)
    subscriptions: list[dict[str, str]] = field(default_factory=list)
    session_id: str | None = None
    rejected: str | None = None
    errors: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    chunks: list[np.ndarray] = field(default_factory=list)
    snapshot_records: int = 0
    head: int = 0
    definitions: list[str] = field(default_factory=list)
    replay_completed: bool = False
    started: bool = False
    closed: bool = False

    def served(self) -> np.ndarray:
        """Script indices served on this connection, in order."""
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int64)


class FaultQueue:
    """Pending faults, safe to add to from another thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []
        self.fired: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {fault.kind!r}; expected one of {FAULT_KINDS}")
        with self._lock:
            self._pending.append(fault)

    def take_due(self, next_index: int, conn_id: int) -> Fault | None:
        """Remove and return the first fault due before serving `next_index`."""
        with self._lock:
            for fault in self._pending:
                if fault.at_record is None or fault.at_record <= next_index:
                    self._pending.remove(fault)
                    fault.fired_on = conn_id
                    self.fired.append(fault)
                    return fault
        return None

    def next_boundary(self) -> int | None:
        """The smallest scheduled at_record still pending (chunks must stop before it)."""
        with self._lock:
            marks = [f.at_record for f in self._pending if f.at_record is not None]
        return min(marks) if marks else None
