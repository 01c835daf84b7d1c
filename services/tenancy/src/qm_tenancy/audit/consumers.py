"""Audit consumer: appends every service's audit envelopes to the workspace chains."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.ids import WorkspaceId
from qm_db.rls import scope_to_workspace
from qm_events.envelope import Envelope
from qm_tenancy.audit import service


async def on_envelope(session: AsyncSession, envelope: Envelope) -> None:
    """Idempotent by envelope id (the consumer ledger guarantees one call per id)."""
    if not service.is_audit_envelope(envelope):
        return
    assert envelope.workspace_id is not None
    await scope_to_workspace(session, WorkspaceId(envelope.workspace_id))
    await service.append_entry(session, envelope)
