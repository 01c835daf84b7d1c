"""The shared worker is SIGKILLed in the middle of two jobs: the running one is retried
(bounded) and finishes on a new worker; the one cancelled while no worker was alive ends
canceled; neither stays running (the API's reaper settles both before any worker is back).
Runs after test_worker.py, since it ends the shared worker."""

from __future__ import annotations

import json
import uuid

JOBS = "/v1/jobs/experiments"
TERMINAL = {"succeeded", "failed", "canceled"}


async def _states(sse, http, job_id, headers):
    frames = await sse(http, f"{JOBS}/{job_id}/events", headers, seconds=5)
    return [json.loads(f.data)["payload"] for f in frames if f.event == "job_state"]


async def _runs(http, job_id, headers):
    params = {"job_id": job_id}
    return (await http.get("/v1/experiments/runs", params=params, headers=headers)).json()


async def test_sigkill_mid_job_retries_or_honours_cancel_never_stuck_running(
    http, member, submit, poll, shared_worker, start_worker, sse
):
    ws = uuid.uuid4()
    editor = member(ws, "editor")
    retried, canceled = [
        (await submit(editor, description="pause=0.5")).json()["job_id"] for _ in range(2)
    ]
    for job_id in (retried, canceled):
        await poll(
            http, f"{JOBS}/{job_id}", editor, lambda b: b["progress"]["done"] >= 1, within=240
        )
    shared_worker.kill()
    for job_id in (retried, canceled):
        assert (await http.get(f"{JOBS}/{job_id}", headers=editor)).json()["status"] == "running"
    cancel = await http.post(f"{JOBS}/{canceled}/cancel", headers=editor)
    assert cancel.json()["status"] == "canceling"
    # No worker is alive: the API's reaper settles both jobs on its own.
    gone = await poll(http, f"{JOBS}/{canceled}", editor, lambda b: b["status"] in TERMINAL)
    assert (gone["status"], gone["attempt"]) == ("canceled", 1)  # a cancel beats the retry
    assert (await _runs(http, canceled, editor))["total"] < 8
    again = await poll(http, f"{JOBS}/{retried}", editor, lambda b: b["status"] == "queued")
    assert again["attempt"] == 2
    start_worker(QM_JOBS_WORKER_CONCURRENCY=1)
    done = await poll(
        http, f"{JOBS}/{retried}", editor, lambda b: b["status"] in TERMINAL, within=240
    )
    assert (done["status"], done["attempt"]) == ("succeeded", 2)
    states = await _states(sse, http, retried, editor)
    assert [s["status"] for s in states] == ["queued", "running", "queued", "running", "succeeded"]
    assert "lost: no heartbeat" in states[2]["reason"]
    assert "retrying (attempt 2 of 2)" in states[2]["reason"]
    runs = await _runs(http, retried, editor)
    assert runs["total"] == 8
    assert {r["status"] for r in runs["items"]} == {"succeeded"}
