"""Stream leases in Redis: a workspace's `max_streams` holds across every serving replica.

Each open stream holds a lease: a member of the workspace's sorted set scored by its expiry.
Taking one is atomic (a Lua script drops expired leases, counts, and adds only under the limit);
a replica renews its leases well before they expire and releases them when streams end, so a
crashed replica's streams stop counting after `ttl_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field

from redis.asyncio import Redis

from qm_core.errors import QuotaExceeded

log = logging.getLogger("qm.serving.stream")

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""


@dataclass(frozen=True)
class Lease:
    """One open stream's claim on its workspace's quota."""

    workspace_id: uuid.UUID
    lease_id: str


@dataclass
class StreamLeases:
    """Workspace stream counts shared by every replica (Redis sorted sets with expiry)."""

    redis: Redis
    namespace: str = ""
    ttl_s: float = 30.0
    held: set[Lease] = field(default_factory=set)
    _renewer: asyncio.Task[None] | None = None

    def _key(self, workspace_id: uuid.UUID) -> str:
        return f"{self.namespace}serving:streams:{workspace_id}"

    async def acquire(self, workspace_id: uuid.UUID, max_streams: int) -> Lease:
        """A lease, or QuotaExceeded when the workspace already has `max_streams` open."""
        lease = Lease(workspace_id, uuid.uuid4().hex)
        now = time.time()
        took = await self.redis.eval(  # type: ignore[misc]
            _ACQUIRE,
            1,
            self._key(workspace_id),
            repr(now),
            repr(now + self.ttl_s),
            str(max_streams),
            lease.lease_id,
            str(int(self.ttl_s * 2000)),
        )
        if not took:
            raise QuotaExceeded(f"max_streams quota reached ({max_streams} open streams)")
        self.held.add(lease)
        return lease

    async def release(self, lease: Lease) -> None:
        """Give the lease back (the stream ended)."""
        self.held.discard(lease)
        await self.redis.zrem(self._key(lease.workspace_id), lease.lease_id)

    async def renew(self) -> None:
        """Push every held lease's expiry `ttl_s` ahead."""
        expiry = time.time() + self.ttl_s
        async with self.redis.pipeline(transaction=False) as pipe:
            for lease in tuple(self.held):
                pipe.zadd(self._key(lease.workspace_id), {lease.lease_id: expiry}, xx=True)
            await pipe.execute()

    async def count(self, workspace_id: uuid.UUID) -> int:
        """Open (unexpired) streams of a workspace across replicas."""
        key = self._key(workspace_id)
        await self.redis.zremrangebyscore(key, "-inf", time.time())
        return int(await self.redis.zcard(key))

    def start(self) -> None:
        """Renew held leases every third of the ttl until `close`."""
        self._renewer = asyncio.create_task(self._renew_forever(), name="stream-leases")

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.ttl_s / 3)
            try:
                await self.renew()
            except Exception:  # Redis blips: the next round retries well before expiry
                log.warning("stream lease renewal failed", exc_info=True)

    async def close(self) -> None:
        """Stop renewing and release every held lease (shutdown)."""
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        for lease in tuple(self.held):
            with contextlib.suppress(Exception):
                await self.release(lease)
