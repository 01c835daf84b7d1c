"""The job state machine: the only legal transitions between job statuses."""

from __future__ import annotations

from enum import StrEnum

from qm_core.errors import Conflict


class JobStatus(StrEnum):
    """Where a job is in its life."""

    queued = "queued"
    running = "running"
    canceling = "canceling"
    succeeded = "succeeded"
    failed = "failed"
    canceled = "canceled"


TERMINAL = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.canceled})
ACTIVE = frozenset({JobStatus.queued, JobStatus.running, JobStatus.canceling})

# running -> queued is the bounded retry of a job whose worker died.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.queued: frozenset({JobStatus.running, JobStatus.canceled, JobStatus.failed}),
    JobStatus.running: frozenset(
        {JobStatus.succeeded, JobStatus.failed, JobStatus.canceling, JobStatus.queued}
    ),
    JobStatus.canceling: frozenset({JobStatus.canceled, JobStatus.failed, JobStatus.succeeded}),
    JobStatus.succeeded: frozenset(),
    JobStatus.failed: frozenset(),
    JobStatus.canceled: frozenset(),
}


def check_transition(current: str, target: JobStatus) -> None:
    """Raise Conflict unless `current -> target` is a legal move."""
    if target not in TRANSITIONS[JobStatus(current)]:
        raise Conflict(f"a {current} job cannot become {target}")
