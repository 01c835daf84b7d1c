"""A simulated Databento live subscription gateway (LSG) for tests, soaks and `make run`."""

from qm_market.lsg_sim.faults import FAULT_KINDS, ConnectionLog, Fault, FaultKind
from qm_market.lsg_sim.script import MarketScript, roll_script, synthetic_script
from qm_market.lsg_sim.server import SimGateway

__all__ = [
    "FAULT_KINDS",
    "ConnectionLog",
    "Fault",
    "FaultKind",
    "MarketScript",
    "SimGateway",
    "roll_script",
    "synthetic_script",
]
