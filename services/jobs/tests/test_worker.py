"""Jobs executed by a real worker process: results, artifacts, concurrency, cancel, failure,
and the SSE event stream (ordering and Last-Event-ID resume)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import datetime

import duckdb
import httpx
import pytest

JOBS = "/v1/jobs/experiments"
TERMINAL = {"succeeded", "failed", "canceled"}


@pytest.fixture(autouse=True)
def _worker(shared_worker):
    """Every test here runs against the module's worker process."""
    return shared_worker


def _at(text):
    return datetime.fromisoformat(text)


def _finished(body):
    return body["status"] in TERMINAL


async def _download_all(http, job_id, headers):
    listed = await http.get(f"{JOBS}/{job_id}/artifacts", headers=headers)
    assert listed.status_code == 200
    files = {}
    for item in listed.json():
        response = await http.get(
            f"{JOBS}/{job_id}/artifacts/{item['artifact_id']}/download", headers=headers
        )
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == item["checksum"]
        assert response.headers["x-checksum-sha256"] == item["checksum"]
        assert len(response.content) == item["size"]
        files[item["name"]] = response.content
    return files


async def test_job_succeeds_with_run_results_sorted_by_metric_and_verified_artifacts(
    http, member, submit, poll, tmp_path
):
    ws = uuid.uuid4()
    editor = member(ws, "editor")
    job = (await submit(editor)).json()
    # The first job also waits for the worker process to start (imports, JIT warm-up).
    done = await poll(http, f"{JOBS}/{job['job_id']}", editor, _finished, within=280)
    assert done["status"] == "succeeded", done["error"]
    assert done["progress"] == {"done": 8, "total": 8, "pct": 100.0}
    params = {"job_id": job["job_id"], "sort": "mean_pnl_ticks", "order": "desc"}
    runs = (await http.get("/v1/experiments/runs", params=params, headers=editor)).json()
    assert runs["total"] == 8
    assert {r["status"] for r in runs["items"]} == {"succeeded"}
    pnl = [r["metrics"].get("mean_pnl_ticks") for r in runs["items"]]
    present = [p for p in pnl if p is not None]
    assert present == sorted(present, reverse=True)
    assert pnl[: len(present)] == present  # runs without the metric come last
    other = {"job_id": job["job_id"], "dataset_id": "no-such-dataset"}
    assert (await http.get("/v1/experiments/runs", params=other, headers=editor)).json()[
        "total"
    ] == 0
    files = await _download_all(http, job["job_id"], editor)
    assert {"runs.parquet", "experiment.json", "manifest.json"} <= set(files)
    manifest = json.loads(files["manifest.json"])
    listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    assert listed["runs.parquet"] == hashlib.sha256(files["runs.parquet"]).hexdigest()
    (tmp_path / "runs.parquet").write_bytes(files["runs.parquet"])
    with duckdb.connect() as con:
        count = con.execute(
            "SELECT count(*) FROM read_parquet(?)", [str(tmp_path / "runs.parquet")]
        )
        assert count.fetchall() == [(8,)]


async def test_sse_is_ordered_and_last_event_id_resumes_without_gap_or_repeat(
    http, member, submit, sse, poll
):
    ws = uuid.uuid4()
    editor = member(ws, "editor")
    job_id = (await submit(editor, description="pause=0.25")).json()["job_id"]
    path = f"{JOBS}/{job_id}/events"
    first = [f for f in await sse(http, path, editor, stop_after=5) if f.id]
    assert [f.id for f in first] == [1, 2, 3, 4, 5]
    rest = [f for f in await sse(http, path, editor, last_event_id=first[-1].id) if f.id]
    ids = [f.id for f in first + rest]
    assert ids == list(range(1, len(ids) + 1))
    final = json.loads(rest[-1].data)
    assert rest[-1].event == "job_state"
    assert final["payload"]["status"] == "succeeded"
    replay = [f for f in await sse(http, path, editor) if f.id]
    assert [(f.id, f.event, f.data) for f in replay] == [
        (f.id, f.event, f.data) for f in first + rest
    ]
    kinds = {f.event for f in replay}
    assert kinds <= {"job_state", "job_progress", "run_started", "run_finished", "run_failed"}
    assert "error" not in kinds
    progress = [json.loads(f.data)["payload"]["done"] for f in replay if f.event == "job_progress"]
    assert progress == sorted(progress)
    assert progress[-1] == 8
    half = len(ids) // 2
    middle = [f for f in await sse(http, path, editor, last_event_id=ids[half - 1]) if f.id]
    assert [f.id for f in middle] == ids[half:]


async def test_jobs_run_concurrently_up_to_the_worker_limit_and_the_next_waits(
    http, member, submit
):
    ws = uuid.uuid4()
    editor = member(ws, "editor")
    ids = [(await submit(editor, description="pause=0.3")).json()["job_id"] for _ in range(3)]
    over = await submit(editor, description="pause=0.3")
    assert over.status_code == 429  # the workspace quota is 3 active jobs
    seen: set[tuple[int, int]] = set()
    for _ in range(1200):
        page = (await http.get(JOBS, params={"limit": 10}, headers=editor)).json()
        states = [j["status"] for j in page["items"] if j["job_id"] in ids]
        seen.add((states.count("running"), states.count("queued")))
        if all(s in TERMINAL for s in states):
            break
        await asyncio.sleep(0.1)
    assert states == ["succeeded"] * 3
    assert max(running for running, _ in seen) == 2  # the worker's concurrency limit
    assert (2, 1) in seen  # two ran together while the third waited


async def test_cancel_stops_the_job_and_no_run_starts_after_it(http, member, submit, poll):
    ws = uuid.uuid4()
    editor = member(ws, "editor")
    job_id = (await submit(editor, description="pause=0.6")).json()["job_id"]
    await poll(http, f"{JOBS}/{job_id}", editor, lambda b: b["progress"]["done"] >= 1, within=120)
    cancel = await http.post(f"{JOBS}/{job_id}/cancel", headers=editor)
    assert cancel.status_code == 202
    assert cancel.json()["status"] == "canceling"
    done = await poll(http, f"{JOBS}/{job_id}", editor, _finished, within=30)
    assert done["status"] == "canceled"
    runs = (
        await http.get("/v1/experiments/runs", params={"job_id": job_id}, headers=editor)
    ).json()
    assert 1 <= runs["total"] < 8
    cancel_at = done["cancel_requested_at"]
    starts = [_at(r["started_at"]) for r in runs["items"]]
    assert max(starts) < _at(cancel_at), (starts, cancel_at)
    await asyncio.sleep(1.5)  # nothing more may appear once canceled
    again = (
        await http.get("/v1/experiments/runs", params={"job_id": job_id}, headers=editor)
    ).json()
    assert again["total"] == runs["total"]


async def test_failed_job_keeps_error_trace_and_artifacts_of_finished_runs(
    http, member, submit, poll
):
    ws = uuid.uuid4()
    editor = member(ws, "editor")
    job_id = (await submit(editor, description="fail_after=2")).json()["job_id"]
    done = await poll(http, f"{JOBS}/{job_id}", editor, _finished, within=120)
    assert done["status"] == "failed"
    assert "Traceback" in done["error"]
    assert "injected failure after 2 runs" in done["error"]
    runs = (
        await http.get("/v1/experiments/runs", params={"job_id": job_id}, headers=editor)
    ).json()
    assert [r["status"] for r in runs["items"]] == ["succeeded", "succeeded"]
    files = await _download_all(http, job_id, editor)
    assert "injected failure" in files["error.txt"].decode()
    parts = [name for name in files if name.startswith("parts/")]
    assert parts, sorted(files)
    manifest = json.loads(files["manifest.json"])
    assert {f["name"] for f in manifest["files"]} == set(files) - {"manifest.json"}


async def test_worker_metrics_count_outcomes_runs_and_durations(shared_worker):
    async with httpx.AsyncClient() as client:
        text = (await client.get(shared_worker.metrics_url)).text
    values = {}
    for line in text.splitlines():
        if line.startswith("qm_jobs_"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    assert values['qm_jobs_finished_total{status="succeeded"}'] >= 3
    assert values['qm_jobs_finished_total{status="failed"}'] >= 1
    assert values['qm_jobs_finished_total{status="canceled"}'] >= 1
    assert values['qm_jobs_runs_total{status="succeeded"}'] >= 8
    assert values["qm_jobs_run_duration_seconds_count"] >= 8
    assert "qm_jobs_queue_depth" in values


async def test_wall_clock_budget_stops_the_job_and_keeps_finished_runs(http, member, submit, poll):
    ws = uuid.uuid4()
    editor = member(ws, "editor")
    submitted = await submit(editor, description="pause=0.6", budget={"max_wall_seconds": 2})
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job_id"]
    done = await poll(http, f"{JOBS}/{job_id}", editor, _finished, within=120)
    assert done["status"] == "failed"
    assert "over budget.max_wall_seconds (2 s)" in done["error"]
    runs = (
        await http.get("/v1/experiments/runs", params={"job_id": job_id}, headers=editor)
    ).json()
    statuses = [(r["status"], r.get("error")) for r in runs["items"]]
    assert 1 <= runs["total"] < 8, statuses
    # runs that finished are kept; the one the stop interrupted says so
    *finished, last = statuses
    assert all(status == "succeeded" for status, _ in finished), statuses
    assert last[0] == "succeeded" or "Cancelled" in str(last[1]), statuses
