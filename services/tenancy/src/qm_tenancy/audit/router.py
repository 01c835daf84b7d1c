"""HTTP routes of the audit chain (admin+)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qm_tenancy.audit import service
from qm_tenancy.audit.schemas import AuditEventRead, ChainVerdict
from qm_web.responses import declared
from qm_web.units import Unit, workspace_unit

router = APIRouter(prefix="/v1/audit", tags=["audit"])
ERRORS = declared(400, 403, 404)


@router.get("", responses=ERRORS)
async def list_audit_events(
    unit: Annotated[Unit, workspace_unit("audit.read")],
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEventRead]:
    """The workspace's audit chain, oldest first (`?workspace_id=` or X-Workspace-Id)."""
    rows = await service.list_entries(
        unit.session, workspace_id=unit.access.workspace_id, after_seq=after_seq, limit=limit
    )
    return [AuditEventRead.model_validate(r, from_attributes=True) for r in rows]


@router.get("/verify", responses=ERRORS)
async def verify_audit_chain(unit: Annotated[Unit, workspace_unit("audit.read")]) -> ChainVerdict:
    """Recompute the chain and report the first broken link, if any."""
    return await service.verify_chain(unit.session, workspace_id=unit.access.workspace_id)
