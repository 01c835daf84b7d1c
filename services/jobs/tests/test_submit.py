"""Submitting, reading, listing and cancelling jobs over HTTP (no worker running)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from qm_db.engine import plain_url

QUEUED = "/v1/jobs/experiments"
MINIMAL = {"kind": "experiment", "name": "x", "serving": "derivative_baseline"}


@pytest.fixture(autouse=True, scope="module")
async def _leave_no_queued_jobs(jobs_db, jobs_settings) -> AsyncIterator[None]:
    """These tests run no worker: end their queued jobs so later worker tests start clean."""
    yield
    conn = await asyncpg.connect(plain_url(jobs_db))
    try:
        await conn.execute(
            "UPDATE jobs.experiment_job SET status = 'canceled' WHERE status = 'queued'"
        )
    finally:
        await conn.close()
    from redis.asyncio import Redis

    redis = Redis.from_url(jobs_settings.redis_url)
    await redis.delete(jobs_settings.queue_name())
    await redis.aclose()


async def _rows(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def test_submit_by_reference_queues_job_with_first_event_and_audit(
    http, member, submit, jobs_db
):
    ws = uuid.uuid4()
    editor = member(ws, "editor")
    response = await submit(editor)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued"
    assert job["spec_ref"] == "derivative_baseline_sweep"
    assert job["progress"]["total"] == 8
    assert len(job["spec_hash"]) == 64
    outbox = await _rows(
        jobs_db,
        "SELECT event_type, envelope->'data' AS data FROM jobs.outbox "
        "WHERE envelope->>'workspace_id' = $1 ORDER BY seq",
        str(ws),
    )
    types = [r["event_type"] for r in outbox]
    assert types == ["jobs.job_submitted.v1", "jobs.audit_recorded.v1"]
    assert '"job.submitted"' in outbox[1]["data"]
    events = await _rows(
        jobs_db,
        "SELECT sequence, event_type FROM jobs.job_event WHERE job_id = $1",
        uuid.UUID(job["job_id"]),
    )
    assert [(r["sequence"], r["event_type"]) for r in events] == [(1, "job_state")]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            {"spec": {"kind": "experiment", "name": "x", "serving": "no_such_serving"}},
            "no_such_serving",
        ),
        (
            {
                "spec": {
                    "kind": "experiment",
                    "name": "x",
                    "serving": "derivative_baseline",
                    "bogus": 1,
                }
            },
            "bogus",
        ),
        ({"spec": {"kind": "serving", "name": "x"}}, "experiment"),
        ({"spec_ref": "no_such_experiment"}, "no_such_experiment"),
        (
            {"spec": {**MINIMAL, "eval": {"cooldown_bins": [1, 2]}, "budget": {"max_runs": 1}}},
            "max_runs",
        ),
        ({"spec_ref": "derivative_baseline_sweep", "datasets": ["not-in-lake"]}, "not-in-lake"),
    ],
)
async def test_bad_spec_is_422_listing_problems_and_writes_nothing(
    http, member, jobs_db, dataset_id, body, needle
):
    ws = uuid.uuid4()
    payload = {"datasets": [dataset_id], **body}
    response = await http.post(QUEUED, json=payload, headers=member(ws, "editor"))
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == "invalid"
    assert needle in response.text
    assert error["problems"]
    written = await _rows(
        jobs_db,
        "SELECT 1 FROM jobs.experiment_job WHERE workspace_id = $1 UNION ALL "
        "SELECT 1 FROM jobs.outbox WHERE envelope->>'workspace_id' = $2",
        ws,
        str(ws),
    )
    assert written == []


@pytest.mark.parametrize(
    "payload",
    [
        {"datasets": ["some-dataset"]},
        {
            "spec_ref": "derivative_baseline_sweep",
            "spec": {"kind": "experiment"},
            "datasets": ["a"],
        },
        {"spec_ref": "derivative_baseline_sweep", "datasets": []},
        {"spec_ref": "derivative_baseline_sweep", "datasets": ["../etc"]},
    ],
)
async def test_malformed_submission_is_422(http, member, payload):
    response = await http.post(QUEUED, json=payload, headers=member(uuid.uuid4(), "editor"))
    assert response.status_code == 422


async def test_viewer_cannot_submit_or_cancel_but_can_read(http, member, submit):
    ws = uuid.uuid4()
    job = (await submit(member(ws, "editor"))).json()
    viewer = member(ws, "viewer")
    assert (await submit(viewer)).status_code == 403
    cancel = await http.post(f"{QUEUED}/{job['job_id']}/cancel", headers=viewer)
    assert cancel.status_code == 403
    assert (await http.get(f"{QUEUED}/{job['job_id']}", headers=viewer)).json()[
        "status"
    ] == "queued"


async def test_job_of_another_workspace_is_404_everywhere(http, member, submit):
    ws_a, ws_b = uuid.uuid4(), uuid.uuid4()
    job_id = (await submit(member(ws_a, "editor"))).json()["job_id"]
    outsider = member(ws_b, "owner")
    for path in ("", "/events", "/artifacts"):
        response = await http.get(f"{QUEUED}/{job_id}{path}", headers=outsider)
        assert response.status_code == 404, path
    assert (await http.post(f"{QUEUED}/{job_id}/cancel", headers=outsider)).status_code == 404
    listed = await http.get(QUEUED, headers=outsider)
    assert listed.json()["items"] == []
    runs = await http.get("/v1/experiments/runs", params={"job_id": job_id}, headers=outsider)
    assert runs.json()["items"] == []


async def test_over_quota_is_429_with_the_limit(http, member, submit, api):
    ws = uuid.uuid4()
    api.limits.per_workspace[ws] = {"max_jobs": 2}
    editor = member(ws, "editor")
    first = [(await submit(editor)).status_code for _ in range(2)]
    assert first == [202, 202]
    refused = await submit(editor)
    assert refused.status_code == 429
    assert "max_jobs quota is 2" in refused.json()["detail"]
    job_id = (await http.get(QUEUED, headers=editor)).json()["items"][0]["job_id"]
    assert (await http.post(f"{QUEUED}/{job_id}/cancel", headers=editor)).status_code == 202
    assert (await submit(editor)).status_code == 202


async def test_flag_off_hides_the_feature(http, member, submit, api):
    ws = uuid.uuid4()
    api.limits.flags[(ws, "ff_experiment_jobs")] = False
    editor = member(ws, "editor")
    response = await submit(editor)
    assert response.status_code == 403
    assert "ff_experiment_jobs" in response.json()["detail"]
    assert (await http.get(QUEUED, headers=editor)).status_code == 403


async def test_cancel_of_queued_job_is_immediate_durable_and_audited(http, member, submit, jobs_db):
    ws = uuid.uuid4()
    editor = member(ws, "editor")
    job_id = (await submit(editor)).json()["job_id"]
    cancel = await http.post(f"{QUEUED}/{job_id}/cancel", headers=editor)
    assert cancel.status_code == 202
    body = cancel.json()
    assert body["status"] == "canceled"
    assert body["cancel_requested_at"] is not None
    again = await http.post(f"{QUEUED}/{job_id}/cancel", headers=editor)
    assert again.status_code == 409
    actions = await _rows(
        jobs_db,
        "SELECT envelope->'data'->>'action' AS action FROM jobs.outbox "
        "WHERE event_type = 'jobs.audit_recorded.v1' AND envelope->>'workspace_id' = $1 "
        "ORDER BY seq",
        str(ws),
    )
    assert [r["action"] for r in actions] == ["job.submitted", "job.cancel_requested"]


async def test_list_filters_and_paginates_newest_first(http, member, submit):
    ws = uuid.uuid4()
    editor = member(ws, "editor")
    ids = [(await submit(editor)).json()["job_id"] for _ in range(3)]
    await http.post(f"{QUEUED}/{ids[0]}/cancel", headers=editor)
    page = (await http.get(QUEUED, params={"limit": 2}, headers=editor)).json()
    assert page["total"] == 3
    assert [j["job_id"] for j in page["items"]] == [ids[2], ids[1]]
    rest = (await http.get(QUEUED, params={"limit": 2, "offset": 2}, headers=editor)).json()
    assert [j["job_id"] for j in rest["items"]] == [ids[0]]
    canceled = (await http.get(QUEUED, params={"status": "canceled"}, headers=editor)).json()
    assert [j["job_id"] for j in canceled["items"]] == [ids[0]]
    bad = await http.get(QUEUED, params={"status": "exploded"}, headers=editor)
    assert bad.status_code == 422


async def test_event_stream_keeps_alive_and_pushes_a_cancel_live(http, member, submit, sse):
    ws = uuid.uuid4()
    editor = member(ws, "editor")
    job_id = (await submit(editor)).json()["job_id"]

    async def cancel_soon():
        await asyncio.sleep(1.5)
        await http.post(f"{QUEUED}/{job_id}/cancel", headers=editor)

    canceller = asyncio.create_task(cancel_soon())
    frames = await sse(http, f"{QUEUED}/{job_id}/events", editor, seconds=20)
    await canceller
    assert any(f.comment == "keep-alive" for f in frames)
    states = [json.loads(f.data)["payload"]["status"] for f in frames if f.event == "job_state"]
    assert states == ["queued", "canceled"]
    assert [f.id for f in frames if f.id] == [1, 2]


async def test_metrics_count_submissions_and_quota_refusals(http, member, submit, api):
    def sample(text: str, name: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(name)]
        return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0

    before = (await http.get("/metrics")).text
    ws = uuid.uuid4()
    api.limits.per_workspace[ws] = {"max_jobs": 1}
    editor = member(ws, "editor")
    assert (await submit(editor)).status_code == 202
    assert (await submit(editor)).status_code == 429
    after = (await http.get("/metrics")).text
    submitted = "qm_jobs_submitted_total"
    refused = 'qm_jobs_rejected_total{reason="quota"}'
    assert sample(after, submitted) == sample(before, submitted) + 1
    assert sample(after, refused) == sample(before, refused) + 1
    assert "qm_jobs_queue_depth" in after
