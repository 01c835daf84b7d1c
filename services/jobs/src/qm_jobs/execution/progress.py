"""Turn runner progress into run records, ordered job events and monotonic job progress."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from qm_core.clock import utcnow
from qm_db.uow import unit_of_work
from qm_jobs import live
from qm_jobs.execution.context import WorkerContext
from qm_jobs.execution.runner import Progress
from qm_jobs.experiments import repository as job_rows
from qm_jobs.experiments.tables import ExperimentJob, JobEvent
from qm_jobs.runs import service as runs

log = logging.getLogger("qm.jobs.progress")

Item = tuple[Progress, datetime] | None
_ENDED = {"run_finished": "succeeded", "run_failed": "failed"}


def thread_reporter(
    loop: asyncio.AbstractEventLoop, inbox: asyncio.Queue[Item]
) -> Callable[[Progress], None]:
    """The runner's `progress` callback: stamps the time in the runner's thread, hands over."""

    def report(event: Progress) -> None:
        loop.call_soon_threadsafe(inbox.put_nowait, (event, utcnow()))

    return report


def run_columns(event: Progress, described: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The run's identifying columns (from the expanded specs; the payload as a fallback)."""
    run_id = str(event.run_id)
    if run_id in described:
        return described[run_id]
    p = event.payload or {}
    return {
        "run_id": run_id,
        "run_index": int(p.get("index", -1)),
        "dataset_id": str(p.get("dataset_id", "")),
        "signal": str(p.get("signal", "")),
        "params_json": dict(p.get("params", {})),
        "tp_ticks": int(p.get("tp_ticks", 0)),
        "sl_ticks": int(p.get("sl_ticks", 0)),
        "cooldown_bins": int(p.get("cooldown_bins", 0)),
    }


class ProgressSink:
    """Consumes the runner's events in order, one transaction each, then pushes them live."""

    def __init__(
        self, ctx: WorkerContext, job: ExperimentJob, described: dict[str, dict[str, Any]]
    ) -> None:
        self.ctx, self.job, self.described = ctx, job, described
        self.total = len(described)

    async def drain(self, inbox: asyncio.Queue[Item]) -> None:
        """Handle events until the end marker (None)."""
        while (item := await inbox.get()) is not None:
            event, at = item
            try:
                await self._handle(event, at)
            except Exception:  # one bad report must not stop the job's bookkeeping
                log.exception("progress event not recorded", extra={"job_id": str(self.job.job_id)})

    async def _handle(self, event: Progress, at: datetime) -> None:
        ws = self.job.workspace
        async with unit_of_work(self.ctx.sessions, workspace_id=ws) as session:
            job = await job_rows.lock_job(session, self.job.job_id)
            if job is None:
                return
            job.heartbeat_at = utcnow()
            events = await self._record(session, job, event, at)
        await live.publish_events(self.ctx.redis, self.ctx.settings.redis_namespace, events)

    async def _record(
        self, session: Any, job: ExperimentJob, event: Progress, at: datetime
    ) -> list[JobEvent]:
        if event.kind == "run_started" and event.run_id is not None:
            run = run_columns(event, self.described)
            await runs.record_started(
                session, workspace_id=job.workspace, job_id=job.job_id, run=run, started_at=at
            )
            payload = {"run_id": run["run_id"], "index": run["run_index"], "total": self.total}
            return [await job_rows.append_event(session, job, "run_started", payload)]
        if event.kind in _ENDED and event.run_id is not None:
            return await self._ended(session, job, event, at)
        return []

    async def _ended(
        self, session: Any, job: ExperimentJob, event: Progress, at: datetime
    ) -> list[JobEvent]:
        run = run_columns(event, self.described)
        p = event.payload or {}
        outcome = {
            "status": _ENDED[event.kind],
            "metrics_json": dict(p.get("metrics") or {}),
            "error": p.get("error"),
            "duration_s": p.get("duration_s"),
            "finished_at": at,
        }
        await runs.record_outcome(
            session,
            workspace_id=job.workspace,
            job_id=job.job_id,
            run=run,
            outcome=outcome,
            started_at=at,
        )
        ended = {"run_id": run["run_id"], "index": run["run_index"], **_brief(outcome)}
        first = await job_rows.append_event(session, job, event.kind, ended)
        return [first, *await advance(session, job, int(event.done), self.total)]


def _brief(outcome: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": outcome["status"],
        "metrics": outcome["metrics_json"],
        "error": outcome["error"],
    }


async def advance(session: Any, job: ExperimentJob, done: int, total: int) -> list[JobEvent]:
    """Move progress forward only (a late or duplicate report never moves it back)."""
    before = int(job.progress_json.get("done") or 0)
    if done <= before and job.progress_json.get("total") == total:
        return []
    done = max(done, before)
    pct = round(100.0 * done / total, 2) if total else 100.0
    job.progress_json = {"done": done, "total": total, "pct": pct}
    return [await job_rows.append_event(session, job, "job_progress", dict(job.progress_json))]
