"""Feature flags: effective values (environment default + workspace allowlist), overrides."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.clock import utcnow
from qm_core.ids import WorkspaceId
from qm_events.contracts import AuditRecorded
from qm_events.outbox import emit
from qm_tenancy.flags.repository import FlagRows
from qm_tenancy.flags.schemas import FlagState
from qm_tenancy.flags.tables import FeatureFlag


async def effective_flags(
    session: AsyncSession, *, workspace_id: WorkspaceId, defaults: dict[str, bool]
) -> dict[str, FlagState]:
    """Every flag's value for the workspace."""
    overrides = await FlagRows(session, workspace_id).overrides()
    return {
        flag: FlagState(enabled=overrides[flag].enabled, source="workspace")
        if flag in overrides
        else FlagState(enabled=default, source="environment")
        for flag, default in defaults.items()
    }


async def override_flags(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    actor_id: str,
    changes: dict[str, bool | None],
) -> None:
    """Set (or with None, clear) workspace overrides; audited."""
    rows = FlagRows(session, workspace_id)
    current = await rows.overrides()
    for flag, value in changes.items():
        if value is None:
            await rows.clear(flag)
        elif flag in current:
            current[flag].enabled, current[flag].updated_by = value, actor_id
            current[flag].updated_at = utcnow()
        else:
            session.add(
                FeatureFlag(
                    workspace_id=workspace_id,
                    flag=flag,
                    enabled=value,
                    updated_by=actor_id,
                    updated_at=utcnow(),
                )
            )
    await session.flush()
    await emit(
        session,
        AuditRecorded(
            actor_id=actor_id,
            action="flags.set",
            target=f"workspace:{workspace_id}",
            payload=dict(changes),
        ),
        workspace_id=workspace_id,
    )
