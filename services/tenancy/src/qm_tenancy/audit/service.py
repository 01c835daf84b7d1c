"""The audit chain: append envelopes in order per workspace, and prove the chain intact."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qm_core.hashing import canonical_hash
from qm_core.ids import WorkspaceId
from qm_events.contracts import AUDIT_TYPE_SUFFIX, AuditRecorded
from qm_events.envelope import Envelope
from qm_tenancy.audit.repository import AuditRows
from qm_tenancy.audit.schemas import BrokenLink, ChainVerdict
from qm_tenancy.audit.tables import AuditEvent

GENESIS = "0" * 64


def entry_hash(
    *,
    prev_hash: str,
    event_id: uuid.UUID,
    workspace_id: uuid.UUID,
    seq: int,
    source: str,
    actor_id: str,
    action: str,
    target: str,
    payload: dict[str, Any],
    created_at: datetime,
) -> str:
    """SHA-256 over the canonical form of an entry and the hash before it."""
    return canonical_hash(
        {
            "prev_hash": prev_hash,
            "event_id": str(event_id),
            "workspace_id": str(workspace_id),
            "seq": seq,
            "source": source,
            "actor_id": actor_id,
            "action": action,
            "target": target,
            "payload": payload,
            "created_at": created_at.astimezone(UTC).isoformat(),
        }
    )


def _row_hash(row: AuditEvent, prev_hash: str) -> str:
    return entry_hash(
        prev_hash=prev_hash,
        event_id=row.event_id,
        workspace_id=row.workspace_id,
        seq=row.seq,
        source=row.source,
        actor_id=row.actor_id,
        action=row.action,
        target=row.target,
        payload=row.payload_json,
        created_at=row.created_at,
    )


def is_audit_envelope(envelope: Envelope) -> bool:
    """Whether an envelope asks to be appended to an audit chain."""
    return envelope.type.endswith(AUDIT_TYPE_SUFFIX) and envelope.workspace_id is not None


async def append_entry(session: AsyncSession, envelope: Envelope) -> AuditEvent:
    """Append one audit envelope to its workspace's chain; a replayed envelope is a no-op."""
    assert envelope.workspace_id is not None
    existing = await session.get(AuditEvent, envelope.id)
    if existing is not None:
        return existing
    record = AuditRecorded.model_validate(envelope.data)
    rows = AuditRows(session, WorkspaceId(envelope.workspace_id))
    await rows.lock_chain()
    head = await rows.head()
    seq, prev = (1, GENESIS) if head is None else (head.seq + 1, head.hash)
    created_at = envelope.time.astimezone(UTC)
    row = AuditEvent(
        event_id=envelope.id,
        workspace_id=envelope.workspace_id,
        seq=seq,
        source=envelope.source,
        actor_id=record.actor_id,
        action=record.action,
        target=record.target,
        payload_json=record.payload,
        created_at=created_at,
        prev_hash=prev,
        hash="",
    )
    row.hash = _row_hash(row, prev)
    session.add(row)
    await session.flush()
    return row


async def list_entries(
    session: AsyncSession, *, workspace_id: WorkspaceId, after_seq: int, limit: int
) -> list[AuditEvent]:
    """A page of the chain, in order."""
    return await AuditRows(session, workspace_id).page(after_seq=after_seq, limit=limit)


async def verify_chain(
    session: AsyncSession, *, workspace_id: WorkspaceId, page_size: int = 1000
) -> ChainVerdict:
    """Recompute every hash and link; report the first entry that does not check out."""
    rows, prev, seq, count = AuditRows(session, workspace_id), GENESIS, 0, 0
    while page := await rows.page(after_seq=seq, limit=page_size):
        for row in page:
            reason = _check(row, prev, seq + 1)
            if reason:
                broken = BrokenLink(seq=row.seq, event_id=row.event_id, reason=reason)
                return ChainVerdict(
                    workspace_id=workspace_id,
                    ok=False,
                    count=count,
                    head_hash=prev,
                    first_broken=broken,
                )
            prev, seq, count = row.hash, row.seq, count + 1
    return ChainVerdict(workspace_id=workspace_id, ok=True, count=count, head_hash=prev)


def _check(row: AuditEvent, prev: str, expected_seq: int) -> str | None:
    if row.seq != expected_seq:
        return f"sequence gap: expected {expected_seq}, found {row.seq}"
    if row.prev_hash != prev:
        return "prev_hash does not match the previous entry's hash"
    if _row_hash(row, prev) != row.hash:
        return "hash does not match the entry's content"
    return None
