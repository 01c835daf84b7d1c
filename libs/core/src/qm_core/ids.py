"""Typed identifiers: distinct types so a user id is never passed where a workspace id goes."""

from __future__ import annotations

import uuid
from typing import NewType

from qm_core.errors import Invalid

WorkspaceId = NewType("WorkspaceId", uuid.UUID)
UserId = NewType("UserId", str)
EventId = NewType("EventId", uuid.UUID)
RequestId = NewType("RequestId", str)


def new_uuid() -> uuid.UUID:
    """A fresh random UUID (v4)."""
    return uuid.uuid4()


def new_workspace_id() -> WorkspaceId:
    """A fresh workspace id."""
    return WorkspaceId(uuid.uuid4())


def new_event_id() -> EventId:
    """A fresh event envelope id."""
    return EventId(uuid.uuid4())


def parse_workspace_id(raw: str) -> WorkspaceId:
    """Parse a workspace id from text; raise Invalid with a clear message when it is not a UUID."""
    try:
        return WorkspaceId(uuid.UUID(raw))
    except (ValueError, AttributeError, TypeError) as exc:
        raise Invalid(f"workspace id {raw!r} is not a valid UUID") from exc
