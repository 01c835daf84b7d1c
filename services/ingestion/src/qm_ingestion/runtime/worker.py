"""The worker: leases active sessions from Postgres and runs one supervisor per session."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import replace
from datetime import timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from qm_core.clock import utcnow
from qm_core.errors import Invalid
from qm_db.uow import unit_of_work
from qm_events.market_stream import StreamWriter, stream_key, stream_state
from qm_ingestion.live import repository
from qm_ingestion.live.rolls import session_roll
from qm_ingestion.live.tables import LiveSession
from qm_ingestion.runtime.config import GatewayConfig, SessionSpec
from qm_ingestion.runtime.persist import SessionHooks
from qm_ingestion.runtime.supervisor import Counters, LiveSupervisor, State
from qm_ingestion.settings import IngestionSettings
from qm_market.envelope import Cursor

log = logging.getLogger(__name__)


class Worker:
    """Owns the sessions it leases; a restarted worker resumes them from their checkpoints."""

    def __init__(
        self,
        settings: IngestionSettings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        *,
        owner: str | None = None,
    ) -> None:
        self.settings, self.sessions, self.redis = settings, sessions, redis
        self.owner = owner or f"worker-{uuid.uuid4().hex[:12]}"
        self.supervisors: dict[uuid.UUID, LiveSupervisor] = {}
        self.tasks: dict[uuid.UUID, asyncio.Task[None]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Poll, claim, supervise until `stop`; then stop every session gracefully."""
        try:
            while not stop.is_set():
                await self.tick()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.ingestion_poll_s)
        finally:
            await self.shutdown()

    async def tick(self) -> None:
        """One poll: renew leases, start newly claimed sessions, pass on stop requests."""
        now = utcnow()
        until = now + timedelta(seconds=self.settings.ingestion_lease_s)
        async with unit_of_work(self.sessions, system=True) as s:
            rows = await repository.claim(s, self.owner, now, until)
        for row in rows:
            sup = self.supervisors.get(row.session_id)
            if sup is None and row.session_id not in self.tasks:
                await self._launch(row)
            elif sup is not None and row.status == "stopping":
                sup.request_stop()
        for sid, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[sid]
                self.supervisors.pop(sid, None)

    async def _launch(self, row: LiveSession) -> None:
        key = stream_key(self.settings.redis_namespace, str(row.session_id))
        hooks = SessionHooks(self.sessions, row, key)
        state = await self._resume_state(row, key)
        if state is None:  # the stream already ended: only the status write was lost
            await hooks.finished(
                "stopped" if row.status == "stopping" else "failed",
                row.reason or "worker restarted after the stream ended",
                _counters(row),
            )
            return
        try:
            roll = session_roll(
                self.settings.ingestion_rolls_dir, row.config_json.get("roll_policy"), row.symbol
            )
        except Invalid as exc:  # the policy file changed since the request was accepted
            await hooks.finished("failed", str(exc), _counters(row))
            return
        sup = LiveSupervisor(
            replace(_spec(row), roll=roll),
            self._gateway(row),
            StreamWriter(self.redis, key, session_id=str(row.session_id), dataset=row.dataset),
            hooks=hooks,
            state=state,
        )
        sup.counters = _counters(row)
        if row.status == "stopping":
            sup.request_stop()
        self.supervisors[row.session_id] = sup
        self.tasks[row.session_id] = asyncio.create_task(self._supervise(sup, hooks))

    async def _supervise(self, sup: LiveSupervisor, hooks: SessionHooks) -> None:
        try:
            status = await sup.run()
        except Exception as exc:  # never a hung session: any crash is a failed status
            log.exception("supervisor of %s crashed", sup.spec.session_id)
            status, sup.reason = "failed", f"supervisor crashed: {exc}"
        if status == "detached":
            return  # the worker is shutting down; the next worker resumes the session
        await hooks.finished(status, sup.reason, sup.counters)

    async def _resume_state(self, row: LiveSession, key: str) -> State | None:
        """The stream's last entry is what downstream has; Postgres is the fallback."""
        last = await stream_state(self.redis, key)
        if last is not None:
            return None if last.ended else State(last.cursors, last.current, last.seq)
        async with unit_of_work(self.sessions, system=True) as s:
            points = await repository.checkpoints(s, row.session_id)
        if not points:
            return State()
        newest = max(points, key=lambda p: p.sequence_id)
        cursors = {p.instrument_id: Cursor(p.ts_event_ns, p.ordinal) for p in points}
        return State(cursors, newest.instrument_id, newest.sequence_id)

    def _gateway(self, row: LiveSession) -> GatewayConfig:
        st = self.settings
        return GatewayConfig(
            key=st.ingestion_databento_key,
            host=st.ingestion_gateway_host,
            port=st.ingestion_gateway_port,
            heartbeat_interval_s=int(row.config_json.get("heartbeat_interval_s", 30)),
            watchdog_margin_s=st.ingestion_watchdog_margin_s,
            checkpoint_interval_s=st.ingestion_checkpoint_interval_s,
            max_attempts=st.ingestion_max_attempts,
        )

    async def shutdown(self) -> None:
        """Detach every supervisor (final checkpoint, session stays active), release leases."""
        for sup in self.supervisors.values():
            sup.request_detach()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        async with unit_of_work(self.sessions, system=True) as s:
            await repository.release(s, self.owner)

    async def statuses(self) -> dict[uuid.UUID, str]:
        """Current status of every session this worker runs (for tests and diagnostics)."""
        async with unit_of_work(self.sessions, system=True) as s:
            stmt = select(LiveSession).where(col(LiveSession.session_id).in_(self.supervisors))
            return {r.session_id: r.status for r in (await s.execute(stmt)).scalars()}


def _spec(row: LiveSession) -> SessionSpec:
    cfg = row.config_json
    return SessionSpec(
        session_id=str(row.session_id),
        dataset=row.dataset,
        symbol=row.symbol,
        start_ns=cfg.get("start_ns"),
        snapshot=bool(cfg.get("snapshot", False)),
    )


def _counters(row: LiveSession) -> Counters:
    known = {k: v for k, v in (row.counters or {}).items() if k in Counters.__dataclass_fields__}
    return Counters(**known)
