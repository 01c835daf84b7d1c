"""Domain events the jobs service publishes (type `jobs.<name>.v1`)."""

from __future__ import annotations

import uuid

from qm_events.envelope import DomainEvent


class JobSubmitted(DomainEvent):
    """An experiment job was accepted and queued."""

    name = "job_submitted"

    job_id: uuid.UUID
    spec_ref: str
    spec_hash: str
    submitted_by: str


class JobCancelRequested(DomainEvent):
    """Someone asked a job to stop."""

    name = "job_cancel_requested"

    job_id: uuid.UUID
    requested_by: str
    status: str


class JobFinished(DomainEvent):
    """A job reached a terminal state."""

    name = "job_finished"

    job_id: uuid.UUID
    status: str
    error: str | None = None
