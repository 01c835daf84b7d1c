"""Alias use cases: activate, roll back, promote-to-alias, resolve a selector, read history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.clock import utcnow
from qm_core.errors import Conflict, NotFound
from qm_core.ids import WorkspaceId
from qm_core.logging import request_id_var
from qm_events.contracts import AuditRecorded
from qm_events.outbox import emit
from qm_serving.aliases.repository import ActivationRows, AliasRows
from qm_serving.aliases.tables import ServingActivation, ServingAlias
from qm_serving.events import AliasMoved
from qm_serving.versions import service as versions
from qm_serving.versions.service import VerifiedVersion


async def move_alias(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    alias: str,
    serving_id: str,
    actor_id: str,
    reason: str,
    kind: str = "activate",
    expected_current: str | None = None,
) -> ServingActivation:
    """Point `alias` at a verified version and append the move to the history (audited)."""
    await versions.load_version(session, workspace_id=workspace_id, serving_id=serving_id)
    rows = AliasRows(session, workspace_id)
    current = await rows.locked(alias)
    before = current.serving_id if current else None
    if expected_current is not None and expected_current != before:
        raise Conflict(f"alias {alias} points at {before}, not {expected_current}")
    if before == serving_id:
        raise Conflict(f"alias {alias} already points at {serving_id}")
    now, revision = utcnow(), (current.revision + 1 if current else 1)
    if current is None:
        session.add(
            ServingAlias(
                workspace_id=workspace_id,
                alias=alias,
                serving_id=serving_id,
                revision=revision,
                updated_by=actor_id,
                updated_at=now,
            )
        )
    else:
        current.serving_id, current.revision = serving_id, revision
        current.updated_by, current.updated_at = actor_id, now
    move = ServingActivation(
        activation_id=uuid.uuid4(),
        workspace_id=workspace_id,
        alias=alias,
        revision=revision,
        kind=kind,
        from_version=before,
        to_version=serving_id,
        actor=actor_id,
        reason=reason,
        request_id=request_id_var.get(),
        created_at=now,
    )
    session.add(move)
    await session.flush()
    await _moved(session, workspace_id, move)
    return move


async def _moved(session: AsyncSession, workspace_id: WorkspaceId, move: ServingActivation) -> None:
    await emit(
        session,
        AliasMoved(
            alias=move.alias,
            from_version=move.from_version,
            to_version=move.to_version,
            kind=move.kind,
            actor_id=move.actor,
            reason=move.reason,
            revision=move.revision,
        ),
        workspace_id=workspace_id,
        subject=move.alias,
    )
    await emit(
        session,
        AuditRecorded(
            actor_id=move.actor,
            action=f"serving.alias_{move.kind}",
            target=f"serving_alias:{move.alias}",
            payload={
                "from": move.from_version,
                "to": move.to_version,
                "reason": move.reason,
                "revision": move.revision,
            },
        ),
        workspace_id=workspace_id,
    )


def rollback_target(history: Sequence[ServingActivation]) -> str | None:
    """The version before the newest activation not already undone by a rollback.

    Walking newest first, each rollback cancels one earlier forward move, so repeated rollbacks
    step further back instead of toggling between two versions.
    """
    undone = 0
    for move in history:
        if move.kind == "rollback":
            undone += 1
        elif undone:
            undone -= 1
        else:
            return move.from_version
    return None


async def roll_back(
    session: AsyncSession, *, workspace_id: WorkspaceId, alias: str, actor_id: str, reason: str
) -> ServingActivation:
    """Repoint the alias to its previous version (Conflict when there is none)."""
    await AliasRows(session, workspace_id).require(alias, column="alias")
    history = await ActivationRows(session, workspace_id).of_alias(alias)
    target = rollback_target(history)
    if target is None:
        raise Conflict(f"alias {alias} has no earlier version to roll back to")
    return await move_alias(
        session,
        workspace_id=workspace_id,
        alias=alias,
        serving_id=target,
        actor_id=actor_id,
        reason=reason,
        kind="rollback",
    )


async def read_alias(
    session: AsyncSession, *, workspace_id: WorkspaceId, alias: str
) -> tuple[ServingAlias, list[ServingActivation]]:
    """The alias and its history, newest first."""
    row = await AliasRows(session, workspace_id).require(alias, column="alias")
    return row, await ActivationRows(session, workspace_id).of_alias(alias)


async def list_aliases(session: AsyncSession, *, workspace_id: WorkspaceId) -> list[ServingAlias]:
    """Every alias of the workspace."""
    return await AliasRows(session, workspace_id).all()


async def resolve_selector(
    session: AsyncSession, *, workspace_id: WorkspaceId, selector: str
) -> VerifiedVersion:
    """An alias first, then an immutable serving id; the version is verified before use."""
    alias = await AliasRows(session, workspace_id).get(selector, column="alias")
    serving_id = alias.serving_id if alias else selector
    try:
        return await versions.load_version(
            session, workspace_id=workspace_id, serving_id=serving_id
        )
    except NotFound:
        raise NotFound(f"no alias or serving version named {selector!r}") from None
