"""Shared event payload contracts (the only event types one service may read from another)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from qm_events.envelope import DomainEvent


class AuditRecorded(DomainEvent):
    """A user-visible mutation, to be appended to the workspace's audit chain by tenancy."""

    name = "audit_recorded"

    actor_id: str
    action: str
    target: str
    payload: dict[str, Any] = Field(default_factory=dict)


class MembershipChanged(DomainEvent):
    """A member was added, re-roled or removed; services drop their cached role for the pair."""

    name = "membership_changed"

    user_id: str
    role: str | None


class WorkspaceCreated(DomainEvent):
    """A workspace came into being."""

    name = "workspace_created"

    display_name: str
    slug: str
    owner_id: str


AUDIT_TYPE_SUFFIX = f".{AuditRecorded.name}.v{AuditRecorded.version}"
MEMBERSHIP_TYPE_SUFFIX = f".{MembershipChanged.name}.v{MembershipChanged.version}"
