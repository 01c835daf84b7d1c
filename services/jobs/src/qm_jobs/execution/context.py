"""What every job execution of one worker process shares."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qm_jobs.execution.runner import Runner
from qm_jobs.queue import JobQueue
from qm_jobs.settings import JobsSettings


class StopFlags:
    """One flag per running job; set by a cancel (pub/sub or database) or by shutdown.

    The runner thread reads it through `is_cancelled`, so it must be a thread-safe event.
    """

    def __init__(self) -> None:
        self._flags: dict[uuid.UUID, threading.Event] = {}

    def open(self, job_id: uuid.UUID) -> threading.Event:
        return self._flags.setdefault(job_id, threading.Event())

    def set(self, job_id: uuid.UUID) -> None:
        flag = self._flags.get(job_id)
        if flag is not None:
            flag.set()

    def set_all(self) -> None:
        for flag in self._flags.values():
            flag.set()

    def close(self, job_id: uuid.UUID) -> None:
        self._flags.pop(job_id, None)


@dataclass
class Infra:
    """Settings and pools: all the reaper needs (the API runs one too)."""

    settings: JobsSettings
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    queue: JobQueue


@dataclass
class WorkerContext(Infra):
    """Settings, pools and the runner of one worker process."""

    runner: Runner
    worker_id: str
    stops: StopFlags = field(default_factory=StopFlags)
