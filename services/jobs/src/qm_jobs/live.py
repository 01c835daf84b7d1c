"""Live fan-out over Redis pub/sub: committed job events, and cancel nudges to workers.

Postgres stays the source of truth; a lost message only delays a client or worker until its
next database read, it never loses an event or a cancel.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from redis.asyncio import Redis

from qm_jobs.experiments.schemas import JobEventRead
from qm_jobs.experiments.tables import JobEvent


def events_channel(namespace: str, job_id: uuid.UUID) -> str:
    """The pub/sub channel carrying one job's events."""
    return f"{namespace}jobs:job:{job_id}:events"


def cancel_channel(namespace: str) -> str:
    """The pub/sub channel workers listen on for cancel requests (payload: the job id)."""
    return f"{namespace}jobs:cancel"


async def publish_events(redis: Redis, namespace: str, events: Iterable[JobEvent]) -> None:
    """Push committed events to their job's channel (call only after the commit)."""
    for event in events:
        body = JobEventRead.model_validate(event).model_dump_json()
        await redis.publish(events_channel(namespace, event.job_id), body)


async def nudge_cancel(redis: Redis, namespace: str, job_id: uuid.UUID) -> None:
    """Tell workers now that a job's cancel flag was committed."""
    await redis.publish(cancel_channel(namespace), str(job_id))
