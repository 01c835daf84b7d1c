"""Jobs settings: shared web settings plus the queue, worker, runner and storage knobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import model_validator

from qm_web.settings import WebSettings


class JobsSettings(WebSettings):
    """Env: QM_JOBS_* fields below, plus every QM_* field of WebSettings."""

    jobs_configs_dir: Path = Path("configs")
    # Default <var_dir>/lake and <var_dir>/jobs/artifacts (QM_VAR_DIR moves them together).
    jobs_lake_dir: Path = Path("var/lake")
    jobs_artifacts_dir: Path = Path("var/jobs/artifacts")
    # The compute core as "module:function": the research runner (tests wrap it to pace runs).
    jobs_runner: str = "qm_research.runner:run_experiment"
    jobs_runner_workers: int = 1
    jobs_worker_concurrency: int = 2
    jobs_worker_metrics_port: int = 9114
    jobs_heartbeat_s: float = 2.0
    jobs_stale_after_s: float = 30.0
    jobs_max_attempts: int = 2
    jobs_reaper_interval_s: float = 5.0
    # The API reaps too, so a job whose only worker died is settled even before one restarts.
    jobs_api_reaper: bool = True
    jobs_requeue_after_s: float = 30.0
    jobs_job_timeout_s: int = 6 * 3600
    jobs_sse_keepalive_s: float = 15.0
    jobs_sse_poll_s: float = 2.0

    @model_validator(mode="before")
    @classmethod
    def _under_var_dir(cls, data: Any) -> Any:
        if isinstance(data, dict):
            var = Path(data.get("var_dir") or "var")
            data.setdefault("jobs_lake_dir", var / "lake")
            data.setdefault("jobs_artifacts_dir", var / "jobs" / "artifacts")
        return data

    def queue_name(self) -> str:
        """The arq queue of this environment (namespaced like every other Redis key)."""
        return f"{self.redis_namespace}jobs:queue"
