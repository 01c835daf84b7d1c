"""qMachina research harness: signals, honest TP/SL evaluation without look-ahead, sweep runner."""

from qm_research.execute import RunResult
from qm_research.expansion import RunSpec
from qm_research.runner import (
    ExperimentOutcome,
    Progress,
    ProgressEvent,
    expand,
    run_experiment,
)

__all__ = [
    "ExperimentOutcome",
    "Progress",
    "ProgressEvent",
    "RunResult",
    "RunSpec",
    "expand",
    "run_experiment",
]
