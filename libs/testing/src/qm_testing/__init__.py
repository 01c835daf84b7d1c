"""qMachina test support: real servers, per-test rollback, in-process clients, test identities."""

from qm_testing.apps import app_client
from qm_testing.identity import TestIssuer

__all__ = ["TestIssuer", "app_client"]
