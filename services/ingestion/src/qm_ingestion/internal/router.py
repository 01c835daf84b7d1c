"""Internal API: which live session (and market stream) feeds a workspace's symbol."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from qm_core.errors import NotFound
from qm_core.ids import WorkspaceId
from qm_db.uow import unit_of_work
from qm_events.market_stream import stream_key
from qm_ingestion.live.repository import SessionRows
from qm_web.deps import ServiceCaller

router = APIRouter(prefix="/internal/v1/workspaces/{workspace_id}", tags=["internal"])


class LiveStreamRead(BaseModel):
    """The active session of a symbol and the Redis stream its records flow through."""

    session_id: uuid.UUID
    symbol: str
    dataset: str
    status: str
    stream_key: str


@router.get("/live/streams")
async def read_live_stream(
    workspace_id: uuid.UUID,
    request: Request,
    _: ServiceCaller,
    symbol: Annotated[str, Query(min_length=1, max_length=64)],
    dataset: Annotated[str, Query(min_length=1, max_length=32)] = "GLBX.MDP3",
) -> LiveStreamRead:
    """The workspace's active live session of `symbol` on `dataset` (404 when none runs)."""
    ws = WorkspaceId(workspace_id)
    async with unit_of_work(request.app.state.sessions, workspace_id=ws) as session:
        row = await SessionRows(session, ws).active_for(symbol, dataset)
    if row is None:
        raise NotFound(f"no live session of {symbol} on {dataset} is running in this workspace")
    namespace = request.app.state.settings.redis_namespace
    return LiveStreamRead(
        session_id=row.session_id,
        symbol=row.symbol,
        dataset=row.dataset,
        status=row.status,
        stream_key=stream_key(namespace, str(row.session_id)),
    )
