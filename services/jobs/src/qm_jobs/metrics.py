"""Prometheus metrics of the jobs API and worker (each process serves its own registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SUBMITTED = Counter("qm_jobs_submitted_total", "Experiment jobs accepted")
REJECTED = Counter("qm_jobs_rejected_total", "Submissions refused", ["reason"])
FINISHED = Counter("qm_jobs_finished_total", "Jobs that reached a terminal state", ["status"])
RUNS = Counter("qm_jobs_runs_total", "Run specs the worker finished", ["status"])
RUN_SECONDS = Histogram(
    "qm_jobs_run_duration_seconds",
    "Wall time of one run spec",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
QUEUE_DEPTH = Gauge("qm_jobs_queue_depth", "Jobs waiting in the arq queue")
RUNNING = Gauge("qm_jobs_running", "Jobs this worker is executing")
REAPED = Counter("qm_jobs_reaped_total", "Jobs whose worker died", ["outcome"])
