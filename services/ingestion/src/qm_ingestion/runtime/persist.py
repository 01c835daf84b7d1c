"""A live session's persistence hooks: status, checkpoints, rolls, events and audit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from qm_core.clock import utcnow
from qm_db.uow import unit_of_work
from qm_events.contracts import AuditRecorded
from qm_events.outbox import emit
from qm_ingestion.live import repository
from qm_ingestion.live.events import ContractRolled, LiveSessionEnded, LiveSessionStarted
from qm_ingestion.live.tables import ContractRoll, LiveSession
from qm_ingestion.runtime.supervisor import Counters, Hooks
from qm_market.envelope import Cursor

SYSTEM_ACTOR = "system:ingestion"


def checkpoint_json(cursors: dict[int, Cursor], current: int | None, seq: int) -> dict[str, Any]:
    """The session row's copy of the newest checkpoint."""
    return {
        "current": current,
        "sequence_id": seq,
        "cursors": {
            str(k): {"ts_event_ns": c.ts_event, "ordinal": c.ordinal} for k, c in cursors.items()
        },
    }


class SessionHooks(Hooks):
    """Writes one session's progress to Postgres (system-scoped unit of work per call)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], row: LiveSession, stream_key: str
    ) -> None:
        self.sessions = sessions
        self.session_id: uuid.UUID = row.session_id
        self.workspace_id: uuid.UUID = row.workspace_id
        self.stream_key = stream_key

    async def running(self) -> None:
        """starting -> running (a stop requested meanwhile is left alone)."""
        async with unit_of_work(self.sessions, system=True) as s:
            result = await s.execute(
                update(LiveSession)
                .where(
                    col(LiveSession.session_id) == self.session_id,
                    col(LiveSession.status) == "starting",
                )
                .values(status="running", updated_at=utcnow())
            )
            if getattr(result, "rowcount", 0):
                await emit(
                    s,
                    LiveSessionStarted(session_id=str(self.session_id), stream_key=self.stream_key),
                    workspace_id=self.workspace_id,
                    subject=str(self.session_id),
                )

    async def checkpoint(
        self, cursors: dict[int, Cursor], current: int | None, seq: int, counters: Counters
    ) -> None:
        """Idempotent upsert per instrument, plus the row's checkpoint/counters mirror."""
        now = utcnow()
        rows = [
            {
                "session_id": self.session_id,
                "instrument_id": iid,
                "workspace_id": self.workspace_id,
                "sequence_id": seq,
                "ts_event_ns": c.ts_event,
                "ordinal": c.ordinal,
                "updated_at": now,
            }
            for iid, c in cursors.items()
            if iid == current or current is None
        ]
        async with unit_of_work(self.sessions, system=True) as s:
            await repository.upsert_checkpoints(s, rows)
            await s.execute(
                update(LiveSession)
                .where(col(LiveSession.session_id) == self.session_id)
                .values(
                    checkpoint=checkpoint_json(cursors, current, seq),
                    counters=counters.as_dict(),
                    updated_at=now,
                )
            )

    async def rolled(self, from_symbol: str, to_symbol: str, reason: str) -> None:
        """Persist, announce and audit a contract roll."""
        sid, ws = str(self.session_id), self.workspace_id
        async with unit_of_work(self.sessions, system=True) as s:
            s.add(
                ContractRoll(
                    roll_id=uuid.uuid4(),
                    session_id=self.session_id,
                    workspace_id=ws,
                    from_contract=from_symbol,
                    to_contract=to_symbol,
                    reason=reason,
                    created_at=utcnow(),
                )
            )
            await s.flush()
            await emit(
                s,
                ContractRolled(
                    session_id=sid, from_contract=from_symbol, to_contract=to_symbol, reason=reason
                ),
                workspace_id=ws,
                subject=sid,
            )
            await emit(
                s,
                AuditRecorded(
                    actor_id=SYSTEM_ACTOR,
                    action="ingestion.contract_rolled",
                    target=f"live_session:{sid}",
                    payload={"from": from_symbol, "to": to_symbol, "reason": reason},
                ),
                workspace_id=ws,
            )

    async def finished(self, status: str, reason: str | None, counters: Counters) -> None:
        """Terminal state, lease released, ended event."""
        async with unit_of_work(self.sessions, system=True) as s:
            now = utcnow()
            await s.execute(
                update(LiveSession)
                .where(col(LiveSession.session_id) == self.session_id)
                .values(
                    status=status,
                    reason=reason,
                    stopped_at=now,
                    updated_at=now,
                    counters=counters.as_dict(),
                    lease_owner=None,
                    lease_until=None,
                )
            )
            await emit(
                s,
                LiveSessionEnded(session_id=str(self.session_id), status=status, reason=reason),
                workspace_id=self.workspace_id,
                subject=str(self.session_id),
            )
