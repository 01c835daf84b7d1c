"""Serving's own domain events (type `serving.<name>.v1`)."""

from __future__ import annotations

from qm_events.envelope import DomainEvent


class VersionRegistered(DomainEvent):
    """A new immutable serving version was stored."""

    name = "version_registered"

    serving_id: str
    spec_name: str
    spec_sha256: str


class AliasMoved(DomainEvent):
    """An alias now points at another version (activation, rollback or promotion)."""

    name = "alias_moved"

    alias: str
    from_version: str | None
    to_version: str
    kind: str
    actor_id: str
    reason: str
    revision: int
