"""Promotion use case: idempotent register-and-activate for the modeling service."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.clock import utcnow
from qm_core.errors import Conflict
from qm_core.hashing import canonical_hash
from qm_core.ids import WorkspaceId
from qm_serving.aliases import service as aliases
from qm_serving.aliases.repository import AliasRows
from qm_serving.internal.repository import PromotionRows
from qm_serving.internal.schemas import PromotionRead, PromotionRequest
from qm_serving.internal.tables import ServingPromotion
from qm_serving.versions import service as versions


async def promote_version(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    key: str,
    request: PromotionRequest,
    configs_dir: Path,
) -> PromotionRead:
    """Register (and point `alias` at) the version once per key; retries get the same answer."""
    rows = PromotionRows(session, workspace_id)
    await rows.lock_key(key)
    digest = canonical_hash(request.model_dump(mode="json"))
    done = await rows.get(key, column="idempotency_key")
    if done is not None:
        if done.request_hash != digest:
            raise Conflict(f"idempotency key {key!r} was used for a different promotion")
        return PromotionRead(
            idempotency_key=key, serving_id=done.serving_id, alias=done.alias, replayed=True
        )
    row, _ = await versions.register_version(
        session,
        workspace_id=workspace_id,
        actor_id=request.actor_id,
        request=request.version,
        configs_dir=configs_dir,
    )
    if request.alias is not None:
        await _point(session, workspace_id, request, row.serving_id)
    session.add(
        ServingPromotion(
            workspace_id=workspace_id,
            idempotency_key=key,
            request_hash=digest,
            serving_id=row.serving_id,
            alias=request.alias,
            created_at=utcnow(),
        )
    )
    await session.flush()
    return PromotionRead(
        idempotency_key=key, serving_id=row.serving_id, alias=request.alias, replayed=False
    )


async def _point(
    session: AsyncSession, workspace_id: WorkspaceId, request: PromotionRequest, serving_id: str
) -> None:
    assert request.alias is not None
    current = await AliasRows(session, workspace_id).get(request.alias, column="alias")
    if current is not None and current.serving_id == serving_id:
        return
    await aliases.move_alias(
        session,
        workspace_id=workspace_id,
        alias=request.alias,
        serving_id=serving_id,
        actor_id=request.actor_id,
        reason=request.reason,
        kind="promote",
    )
