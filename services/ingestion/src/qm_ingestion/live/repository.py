"""Queries of live sessions, checkpoints and rolls (the worker's claims are system-scoped)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from qm_db.repository import WorkspaceRepository
from qm_ingestion.live.tables import ACTIVE, Checkpoint, ContractRoll, LiveSession


class SessionRows(WorkspaceRepository[LiveSession]):
    """Live sessions of one workspace."""

    model = LiveSession
    noun = "live session"

    async def all(self) -> list[LiveSession]:
        stmt = self.scoped().order_by(col(LiveSession.started_at).desc())
        return list((await self.session.execute(stmt)).scalars())

    async def active_count(self) -> int:
        stmt = select(func.count()).where(
            col(LiveSession.workspace_id) == self.workspace_id,
            col(LiveSession.status).in_(ACTIVE),
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def active_for(self, symbol: str, dataset: str) -> LiveSession | None:
        stmt = self.scoped().where(
            col(LiveSession.symbol) == symbol,
            col(LiveSession.dataset) == dataset,
            col(LiveSession.status).in_(ACTIVE),
        )
        row: LiveSession | None = (await self.session.execute(stmt)).scalars().first()
        return row

    async def rolls(self, session_id: uuid.UUID) -> list[ContractRoll]:
        stmt = (
            select(ContractRoll)
            .where(
                ContractRoll.session_id == session_id,
                ContractRoll.workspace_id == self.workspace_id,
            )
            .order_by(col(ContractRoll.created_at))
        )
        return list((await self.session.execute(stmt)).scalars())


async def claim(
    session: AsyncSession,
    owner: str,
    now: datetime,
    until: datetime,
) -> list[LiveSession]:
    """Lease every active session that is unleased, expired, or already ours."""
    stmt = (
        update(LiveSession)
        .where(col(LiveSession.status).in_(ACTIVE))
        .where(
            or_(
                col(LiveSession.lease_owner).is_(None),
                col(LiveSession.lease_until) < now,
                col(LiveSession.lease_owner) == owner,
            )
        )
        .values(lease_owner=owner, lease_until=until)
        .returning(LiveSession)
    )
    return list((await session.execute(stmt)).scalars())


async def release(session: AsyncSession, owner: str) -> None:
    """Give up every lease of `owner` (graceful worker shutdown)."""
    await session.execute(
        update(LiveSession)
        .where(col(LiveSession.lease_owner) == owner)
        .values(lease_owner=None, lease_until=None)
    )


async def upsert_checkpoints(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Idempotent, monotone: a row only moves forward (a higher sequence_id wins)."""
    if not rows:
        return
    stmt = insert(Checkpoint).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["session_id", "instrument_id"],
        set_={k: stmt.excluded[k] for k in ("sequence_id", "ts_event_ns", "ordinal", "updated_at")},
        where=col(Checkpoint.sequence_id) < stmt.excluded.sequence_id,
    )
    await session.execute(stmt)


async def checkpoints(session: AsyncSession, session_id: uuid.UUID) -> list[Checkpoint]:
    """Every instrument checkpoint of a session."""
    stmt = select(Checkpoint).where(col(Checkpoint.session_id) == session_id)
    return list((await session.execute(stmt)).scalars())
