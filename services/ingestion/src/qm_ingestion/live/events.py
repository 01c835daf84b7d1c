"""Domain events of live sessions (type ingestion.<name>.v1)."""

from __future__ import annotations

from qm_events.envelope import DomainEvent


class LiveSessionRequested(DomainEvent):
    """A user asked for a live session."""

    name = "live_session_requested"

    session_id: str
    symbol: str
    dataset: str


class LiveSessionStopRequested(DomainEvent):
    """A user asked a live session to stop."""

    name = "live_session_stop_requested"

    session_id: str


class LiveSessionStarted(DomainEvent):
    """The session is streaming (starting -> running)."""

    name = "live_session_started"

    session_id: str
    stream_key: str


class LiveSessionEnded(DomainEvent):
    """The session reached a terminal state (stopped or failed)."""

    name = "live_session_ended"

    session_id: str
    status: str
    reason: str | None = None


class ContractRolled(DomainEvent):
    """The session's continuous symbol now streams another contract."""

    name = "contract_rolled"

    session_id: str
    from_contract: str
    to_contract: str
    reason: str
