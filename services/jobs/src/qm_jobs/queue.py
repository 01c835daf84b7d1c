"""The thin queue interface over arq: enqueue a job attempt, read the queue depth."""

from __future__ import annotations

import uuid

from arq.connections import ArqRedis, RedisSettings, create_pool

TASK = "run_experiment_job"


def redis_settings(url: str) -> RedisSettings:
    """arq connection settings from a redis:// URL."""
    return RedisSettings.from_dsn(url)


def arq_job_id(job_id: uuid.UUID, attempt: int) -> str:
    """One arq id per attempt, so a stale entry of a dead attempt never shadows a retry."""
    return f"jobs:{job_id}:{attempt}"


class JobQueue:
    """Where submitted jobs wait for a worker."""

    def __init__(self, pool: ArqRedis, queue_name: str) -> None:
        self._pool = pool
        self.queue_name = queue_name

    @classmethod
    async def connect(cls, url: str, queue_name: str) -> JobQueue:
        """Open the arq pool (in a lifespan or worker start-up)."""
        return cls(await create_pool(redis_settings(url)), queue_name)

    async def enqueue(self, job_id: uuid.UUID, workspace_id: uuid.UUID, attempt: int) -> bool:
        """Queue one attempt; False when that attempt is already queued (idempotent)."""
        queued = await self._pool.enqueue_job(
            TASK,
            str(job_id),
            str(workspace_id),
            attempt,
            _job_id=arq_job_id(job_id, attempt),
            _queue_name=self.queue_name,
        )
        return queued is not None

    async def depth(self) -> int:
        """Jobs waiting in the queue."""
        return int(await self._pool.zcard(self.queue_name))

    async def aclose(self) -> None:
        await self._pool.aclose()
