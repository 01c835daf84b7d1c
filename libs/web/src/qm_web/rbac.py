"""Roles and the one policy table: every route declares an action; an action needs a minimum role.

Deny by default: an action missing from POLICY cannot be declared (the app refuses to build).
"""

from __future__ import annotations

from enum import IntEnum


class Role(IntEnum):
    """Workspace roles, ordered: owner > admin > editor > viewer."""

    viewer = 10
    editor = 20
    admin = 30
    owner = 40

    @classmethod
    def parse(cls, value: str) -> Role:
        """A role from its name."""
        return cls[value]


POLICY: dict[str, Role] = {
    # tenancy
    "workspace.read": Role.viewer,
    "workspace.members.read": Role.viewer,
    "workspace.members.manage": Role.admin,
    "workspace.quotas.read": Role.viewer,
    "workspace.quotas.manage": Role.admin,
    "workspace.flags.read": Role.viewer,
    "workspace.flags.manage": Role.admin,
    "audit.read": Role.admin,
    "assets.read": Role.viewer,
    "assets.manage": Role.editor,
    # ingestion and datasets
    "datasets.read": Role.viewer,
    "datasets.build": Role.editor,
    "ingestion.read": Role.viewer,
    "ingestion.manage": Role.editor,
    # modeling, gold
    "modeling.read": Role.viewer,
    "modeling.edit": Role.editor,
    "gold.read": Role.viewer,
    "gold.edit": Role.editor,
    # jobs and experiments
    "jobs.read": Role.viewer,
    "jobs.submit": Role.editor,
    "jobs.cancel": Role.editor,
    # serving and stream
    "serving.read": Role.viewer,
    "serving.register": Role.editor,
    "serving.activate": Role.editor,
    "stream.watch": Role.viewer,
    # monitoring
    "monitoring.read": Role.viewer,
    "monitoring.manage": Role.editor,
}


def minimum_role(action: str) -> Role:
    """The least role allowed to perform `action`; KeyError for undeclared actions."""
    return POLICY[action]


def allows(role: Role | None, action: str) -> bool:
    """Whether `role` may perform `action` (None, i.e. not a member, never may)."""
    return role is not None and role >= POLICY[action]
