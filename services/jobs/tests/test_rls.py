"""The service's own queries under a non-superuser login (row-level security applies): every
path works inside its scope, and a workspace scope sees nothing of another workspace."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from qm_core.clock import utcnow
from qm_core.errors import NotFound
from qm_db.engine import make_engine, make_sessionmaker, plain_url
from qm_db.uow import unit_of_work
from qm_events.outbox import outbox_info
from qm_jobs.artifacts import service as artifacts
from qm_jobs.db import SERVICE, outbox
from qm_jobs.experiments import repository, service
from qm_jobs.experiments.spec_source import prepare
from qm_jobs.experiments.states import JobStatus
from qm_jobs.runs import service as runs


@pytest.fixture(scope="module")
async def role_url(jobs_db: str) -> AsyncIterator[str]:
    """A throwaway login with DML on the jobs schema only (never the shared `qm_jobs` role)."""
    role, password = f"qm_jobs_rls_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    admin = await asyncpg.connect(plain_url(jobs_db))
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER PASSWORD '{password}'")
        await admin.execute(f"GRANT USAGE ON SCHEMA jobs TO {role}")
        await admin.execute(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA jobs TO {role}")
        parts = urlsplit(plain_url(jobs_db))
        netloc = f"{role}:{password}@{parts.hostname}:{parts.port or 5432}"
        yield urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    finally:
        await admin.execute(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()


async def test_job_lifecycle_queries_work_under_rls_and_stay_in_their_workspace(
    role_url, jobs_settings, dataset_id
):
    engine = make_engine(role_url, pool_size=2)
    sessions = make_sessionmaker(engine, info=outbox_info(outbox, SERVICE))
    ws, other = uuid.uuid4(), uuid.uuid4()
    submission = prepare(
        inline=None,
        spec_ref="derivative_baseline_sweep",
        datasets=[dataset_id],
        configs=jobs_settings.jobs_configs_dir,
        lake=jobs_settings.jobs_lake_dir,
    )
    try:
        async with unit_of_work(sessions, workspace_id=ws) as session:
            job, _ = await service.submit_job(
                session,
                workspace_id=ws,
                actor_id="u",
                submission=submission,
                max_jobs=5,
                max_attempts=1,
            )
        async with unit_of_work(sessions, workspace_id=ws) as session:
            locked = await repository.lock_job(session, job.job_id)
            assert locked is not None
            await service.move(session, locked, JobStatus.running)
            run = {
                "run_id": "r0",
                "run_index": 0,
                "dataset_id": "d",
                "signal": "s",
                "params_json": {},
                "tp_ticks": 8,
                "sl_ticks": 4,
                "cooldown_bins": 20,
            }
            await runs.record_started(
                session, workspace_id=ws, job_id=job.job_id, run=run, started_at=utcnow()
            )
            await artifacts.register(
                session,
                workspace_id=ws,
                job_id=job.job_id,
                files=[artifacts.FileDigest(uri="x/y", name="y", checksum="0" * 64, size=1)],
            )
        async with unit_of_work(sessions, workspace_id=other) as session:
            with pytest.raises(NotFound):
                await service.get_job(session, workspace_id=other, job_id=job.job_id)
            assert await repository.lock_job(session, job.job_id) is None
            assert await repository.events_after(session, job.job_id, 0) == []
        async with unit_of_work(sessions, workspace_id=ws) as session:
            _, events = await service.events_after(
                session, workspace_id=ws, job_id=job.job_id, after=0
            )
            assert [e.sequence for e in events] == [1, 2]
            assert len(await runs.runs_of_job(session, workspace_id=ws, job_id=job.job_id)) == 1
        async with unit_of_work(sessions, system=True) as session:
            stale = await repository.stale_jobs(session, utcnow() + timedelta(seconds=1))
            assert job.job_id in {s.job_id for s in stale}
    finally:
        await engine.dispose()
