"""The signal catalogue: statistical signals (domain §6.4) and the walk-forward ML family."""

from qm_research.signals import ml, stat_flow, stat_force
from qm_research.signals.base import (
    REGISTRY,
    Context,
    SignalDef,
    bind_params,
    get_signal,
    register,
)

__all__ = [
    "REGISTRY",
    "Context",
    "SignalDef",
    "bind_params",
    "get_signal",
    "ml",
    "register",
    "stat_flow",
    "stat_force",
]
