"""Serving's request dependencies: the shared workspace unit of work."""

from qm_web.units import Unit, workspace_unit

__all__ = ["Unit", "workspace_unit"]
