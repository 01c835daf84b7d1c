"""Serving's domain errors (subclasses of the shared categories)."""

from __future__ import annotations

from qm_core.errors import Conflict


class VersionIntegrityError(Conflict):
    """A stored version no longer matches its content hash: it is refused, never served."""

    code = "integrity_failed"
