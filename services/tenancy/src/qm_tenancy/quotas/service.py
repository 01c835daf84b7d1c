"""Quota use cases: read the effective limits, set new ones."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.clock import utcnow
from qm_core.ids import WorkspaceId
from qm_events.contracts import AuditRecorded
from qm_events.outbox import emit
from qm_tenancy.quotas.repository import QuotaRows
from qm_tenancy.quotas.schemas import QuotaRead, QuotaSet
from qm_tenancy.quotas.tables import WorkspaceQuota
from qm_tenancy.settings import TenancySettings


async def read_quota(
    session: AsyncSession, *, workspace_id: WorkspaceId, settings: TenancySettings
) -> QuotaRead:
    """The workspace's limits, falling back to the environment defaults."""
    row = await QuotaRows(session, workspace_id).current()
    if row is None:
        return QuotaRead(
            workspace_id=workspace_id,
            max_jobs=settings.default_max_jobs,
            max_streams=settings.default_max_streams,
            max_storage_gb=settings.default_max_storage_gb,
            is_default=True,
        )
    return QuotaRead(
        workspace_id=row.workspace_id,
        max_jobs=row.max_jobs,
        max_streams=row.max_streams,
        max_storage_gb=row.max_storage_gb,
        is_default=False,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


async def set_quota(
    session: AsyncSession, *, workspace_id: WorkspaceId, actor_id: str, limits: QuotaSet
) -> WorkspaceQuota:
    """Replace the workspace's limits (audited)."""
    rows = QuotaRows(session, workspace_id)
    row = await rows.current()
    before = (
        None
        if row is None
        else {
            "max_jobs": row.max_jobs,
            "max_streams": row.max_streams,
            "max_storage_gb": row.max_storage_gb,
        }
    )
    if row is None:
        row = WorkspaceQuota(
            workspace_id=workspace_id,
            updated_by=actor_id,
            updated_at=utcnow(),
            **limits.model_dump(),
        )
        session.add(row)
    else:
        for key, value in limits.model_dump().items():
            setattr(row, key, value)
        row.updated_by, row.updated_at = actor_id, utcnow()
    await session.flush()
    await emit(
        session,
        AuditRecorded(
            actor_id=actor_id,
            action="quota.set",
            target=f"workspace:{workspace_id}",
            payload={"before": before, "after": limits.model_dump()},
        ),
        workspace_id=workspace_id,
    )
    return row
