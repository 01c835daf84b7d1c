"""Queries of the audit chain."""

from __future__ import annotations

from sqlalchemy import func, text
from sqlmodel import col, select

from qm_db.repository import WorkspaceRepository
from qm_tenancy.audit.tables import AuditEvent


class AuditRows(WorkspaceRepository[AuditEvent]):
    """The audit chain of one workspace."""

    model = AuditEvent
    noun = "audit event"

    async def lock_chain(self) -> None:
        """Serialize appends to this workspace's chain for the rest of the transaction."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"audit:{self.workspace_id}"},
        )

    async def head(self) -> AuditEvent | None:
        stmt = self.scoped().order_by(col(AuditEvent.seq).desc()).limit(1)
        row: AuditEvent | None = (await self.session.execute(stmt)).scalars().first()
        return row

    async def page(self, *, after_seq: int, limit: int) -> list[AuditEvent]:
        stmt = (
            self.scoped()
            .where(col(AuditEvent.seq) > after_seq)
            .order_by(col(AuditEvent.seq))
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def count(self) -> int:
        stmt = select(func.count()).where(AuditEvent.workspace_id == self.workspace_id)
        return int((await self.session.execute(stmt)).scalar_one())
