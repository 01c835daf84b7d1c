"""Internal API for the modeling service (service token; never routed by the gateway)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Request

from qm_core.ids import WorkspaceId
from qm_db.uow import unit_of_work
from qm_serving.internal import service
from qm_serving.internal.schemas import PromotionRead, PromotionRequest
from qm_web.deps import ServiceCaller

router = APIRouter(prefix="/internal/v1/workspaces/{workspace_id}", tags=["internal"])
KeyHeader = Annotated[str, Header(alias="Idempotency-Key", min_length=8, max_length=200)]


@router.post("/promotions")
async def promote_version(
    workspace_id: uuid.UUID,
    body: PromotionRequest,
    request: Request,
    idempotency_key: KeyHeader,
    _: ServiceCaller,
) -> PromotionRead:
    """Register a completed session's version (and move an alias) exactly once per key."""
    ws = WorkspaceId(workspace_id)
    async with unit_of_work(request.app.state.sessions, workspace_id=ws) as session:
        return await service.promote_version(
            session,
            workspace_id=ws,
            key=idempotency_key,
            request=body,
            configs_dir=Path(request.app.state.settings.serving_configs_dir),
        )
