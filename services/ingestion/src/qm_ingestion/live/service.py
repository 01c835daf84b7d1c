"""Live session use cases: request a session, request its stop, read them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.clock import utcnow
from qm_core.errors import Conflict, Forbidden, QuotaExceeded
from qm_core.ids import WorkspaceId
from qm_events.contracts import AuditRecorded
from qm_events.outbox import emit
from qm_ingestion.live.events import LiveSessionRequested, LiveSessionStopRequested
from qm_ingestion.live.repository import SessionRows
from qm_ingestion.live.schemas import LiveSessionCreate
from qm_ingestion.live.tables import TERMINAL, LiveSession

FLAG = "ff_live_ingestion"


async def check_flag(limits: Any, workspace_id: WorkspaceId) -> None:
    """Live ingestion is behind ff_live_ingestion (403 when off for the workspace)."""
    if not await limits.flag_enabled(workspace_id, FLAG):
        raise Forbidden(f"live ingestion is disabled for this workspace ({FLAG})")


async def request_session(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    actor_id: str,
    request: LiveSessionCreate,
    max_streams: int,
) -> LiveSession:
    """Record a `starting` session for the worker; quota and duplicate checks first."""
    rows = SessionRows(session, workspace_id)
    running = await rows.active_for(request.symbol, request.dataset)
    if running is not None:
        raise Conflict(
            f"a live session for {request.symbol} on {request.dataset} is already "
            f"{running.status} ({running.session_id})"
        )
    if await rows.active_count() >= max_streams:
        raise QuotaExceeded(f"max_streams quota reached ({max_streams} live sessions)")
    now = utcnow()
    row = LiveSession(
        session_id=uuid.uuid4(),
        workspace_id=workspace_id,
        symbol=request.symbol,
        dataset=request.dataset,
        status="starting",
        created_by=actor_id,
        started_at=now,
        updated_at=now,
        config_json=request.model_dump(mode="json", by_alias=True),
    )
    session.add(row)
    await session.flush()
    sid = str(row.session_id)
    await emit(
        session,
        LiveSessionRequested(session_id=sid, symbol=row.symbol, dataset=row.dataset),
        workspace_id=workspace_id,
        subject=sid,
    )
    await _audit(
        session,
        workspace_id,
        actor_id,
        "ingestion.live_session.started",
        sid,
        {"symbol": row.symbol, "dataset": row.dataset},
    )
    return row


async def request_stop(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    actor_id: str,
    session_id: uuid.UUID,
) -> LiveSession:
    """Move an active session to `stopping` (the worker closes it); terminal ones are returned."""
    row = await SessionRows(session, workspace_id).require(session_id, column="session_id")
    if row.status in TERMINAL or row.status == "stopping":
        return row
    row.status, row.updated_at = "stopping", utcnow()
    await session.flush()
    sid = str(session_id)
    await emit(
        session, LiveSessionStopRequested(session_id=sid), workspace_id=workspace_id, subject=sid
    )
    await _audit(session, workspace_id, actor_id, "ingestion.live_session.stopped", sid, {})
    return row


async def _audit(
    session: AsyncSession,
    ws: WorkspaceId,
    actor: str,
    action: str,
    sid: str,
    payload: dict[str, Any],
) -> None:
    await emit(
        session,
        AuditRecorded(actor_id=actor, action=action, target=f"live_session:{sid}", payload=payload),
        workspace_id=ws,
    )
