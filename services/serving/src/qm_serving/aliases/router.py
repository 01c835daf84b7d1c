"""HTTP routes of aliases: list, read, history, activate, roll back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from qm_serving.aliases import service
from qm_serving.aliases.schemas import (
    ALIAS_PATTERN,
    Activate,
    ActivationRead,
    AliasDetail,
    AliasRead,
    Rollback,
)
from qm_serving.deps import Unit, workspace_unit
from qm_web.responses import declared

router = APIRouter(prefix="/v1/serving/aliases", tags=["serving"])
AliasPath = Annotated[str, Path(pattern=ALIAS_PATTERN)]
ERRORS = declared(400, 403, 404)
MOVE_ERRORS = declared(400, 403, 404, 409)


@router.get("", responses=ERRORS)
async def list_aliases(unit: Annotated[Unit, workspace_unit("serving.read")]) -> list[AliasRead]:
    """Every alias of the workspace and the version it points at."""
    rows = await service.list_aliases(unit.session, workspace_id=unit.access.workspace_id)
    return [AliasRead.model_validate(r, from_attributes=True) for r in rows]


@router.get("/{alias}", responses=ERRORS)
async def read_alias(
    alias: AliasPath, unit: Annotated[Unit, workspace_unit("serving.read")]
) -> AliasDetail:
    """One alias with its history, newest first."""
    row, history = await service.read_alias(
        unit.session, workspace_id=unit.access.workspace_id, alias=alias
    )
    read = AliasRead.model_validate(row, from_attributes=True)
    moves = [ActivationRead.model_validate(m, from_attributes=True) for m in history]
    return AliasDetail(**read.model_dump(), history=moves)


@router.get("/{alias}/history", responses=ERRORS)
async def read_alias_history(
    alias: AliasPath, unit: Annotated[Unit, workspace_unit("serving.read")]
) -> list[ActivationRead]:
    """The alias's moves (who, when, from, to, why), newest first."""
    _, history = await service.read_alias(
        unit.session, workspace_id=unit.access.workspace_id, alias=alias
    )
    return [ActivationRead.model_validate(m, from_attributes=True) for m in history]


@router.post("/{alias}/activate", responses=MOVE_ERRORS)
async def activate_version(
    alias: AliasPath, body: Activate, unit: Annotated[Unit, workspace_unit("serving.activate")]
) -> ActivationRead:
    """Point the alias at a version (editor+); the reason is kept in the history."""
    move = await service.move_alias(
        unit.session,
        workspace_id=unit.access.workspace_id,
        alias=alias,
        serving_id=body.serving_id,
        actor_id=unit.access.principal.sub,
        reason=body.reason,
        expected_current=body.expected_current,
    )
    return ActivationRead.model_validate(move, from_attributes=True)


@router.post("/{alias}/rollback", responses=MOVE_ERRORS)
async def roll_back_alias(
    alias: AliasPath, body: Rollback, unit: Annotated[Unit, workspace_unit("serving.activate")]
) -> ActivationRead:
    """Repoint the alias to the version before its latest activation (editor+)."""
    move = await service.roll_back(
        unit.session,
        workspace_id=unit.access.workspace_id,
        alias=alias,
        actor_id=unit.access.principal.sub,
        reason=body.reason,
    )
    return ActivationRead.model_validate(move, from_attributes=True)
