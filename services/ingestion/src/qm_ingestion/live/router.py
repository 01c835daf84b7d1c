"""HTTP routes of live sessions (behind ff_live_ingestion)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, status

from qm_events.market_stream import stream_key
from qm_ingestion.deps import Unit, workspace_unit
from qm_ingestion.live import service
from qm_ingestion.live.repository import SessionRows
from qm_ingestion.live.rolls import session_roll
from qm_ingestion.live.schemas import LiveSessionCreate, LiveSessionRead
from qm_ingestion.live.tables import LiveSession
from qm_web.responses import declared

router = APIRouter(prefix="/v1/ingestion/live/sessions", tags=["live"])
ERRORS = declared(400, 403, 404)


def _read(request: Request, row: LiveSession) -> LiveSessionRead:
    key = stream_key(request.app.state.settings.redis_namespace, str(row.session_id))
    read = LiveSessionRead.model_validate(row, from_attributes=True)
    return read.model_copy(update={"stream_key": key})


@router.post("", status_code=status.HTTP_201_CREATED, responses=declared(400, 403, 409, 429))
async def start_session(
    body: LiveSessionCreate,
    request: Request,
    unit: Annotated[Unit, workspace_unit("ingestion.manage")],
) -> LiveSessionRead:
    """Start a live session (`starting`; the worker moves it to `running` or `failed`)."""
    ws, limits = unit.access.workspace_id, request.app.state.limits
    await service.check_flag(limits, ws)
    session_roll(request.app.state.settings.ingestion_rolls_dir, body.roll_policy, body.symbol)
    quotas = await limits.quotas(ws)
    row = await service.request_session(
        unit.session,
        workspace_id=ws,
        actor_id=unit.access.principal.sub,
        request=body,
        max_streams=int(quotas["max_streams"]),
    )
    return _read(request, row)


@router.get("", responses=ERRORS)
async def list_sessions(
    request: Request, unit: Annotated[Unit, workspace_unit("ingestion.read")]
) -> list[LiveSessionRead]:
    """Every live session of the workspace, newest first."""
    await service.check_flag(request.app.state.limits, unit.access.workspace_id)
    rows = await SessionRows(unit.session, unit.access.workspace_id).all()
    return [_read(request, r) for r in rows]


@router.get("/{session_id}", responses=ERRORS)
async def read_session(
    session_id: uuid.UUID,
    request: Request,
    unit: Annotated[Unit, workspace_unit("ingestion.read")],
) -> LiveSessionRead:
    """Status, checkpoint and counters of one session."""
    await service.check_flag(request.app.state.limits, unit.access.workspace_id)
    row = await SessionRows(unit.session, unit.access.workspace_id).require(
        session_id, column="session_id"
    )
    return _read(request, row)


@router.post("/{session_id}/stop", responses=ERRORS)
async def stop_session(
    session_id: uuid.UUID,
    request: Request,
    unit: Annotated[Unit, workspace_unit("ingestion.manage")],
) -> LiveSessionRead:
    """Ask the session to stop (`stopping`, then `stopped`); idempotent on ended sessions."""
    await service.check_flag(request.app.state.limits, unit.access.workspace_id)
    row = await service.request_stop(
        unit.session,
        workspace_id=unit.access.workspace_id,
        actor_id=unit.access.principal.sub,
        session_id=session_id,
    )
    return _read(request, row)
