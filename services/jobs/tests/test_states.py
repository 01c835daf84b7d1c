"""The job state machine allows exactly the documented moves."""

from __future__ import annotations

import pytest

from qm_core.errors import Conflict
from qm_jobs.experiments.states import TERMINAL, JobStatus, check_transition

LEGAL = {
    ("queued", "running"),
    ("queued", "canceled"),
    ("queued", "failed"),
    ("running", "succeeded"),
    ("running", "failed"),
    ("running", "canceling"),
    ("running", "queued"),
    ("canceling", "canceled"),
    ("canceling", "failed"),
    ("canceling", "succeeded"),
}


@pytest.mark.parametrize("current", [s.value for s in JobStatus])
@pytest.mark.parametrize("target", list(JobStatus))
def test_only_documented_transitions_are_legal(current, target):
    if (current, target.value) in LEGAL:
        check_transition(current, target)
    else:
        with pytest.raises(Conflict):
            check_transition(current, target)


def test_terminal_states_never_move():
    for state in TERMINAL:
        for target in JobStatus:
            with pytest.raises(Conflict, match="cannot become"):
                check_transition(state.value, target)
