"""The real research runner, paced for tests: a job's description can ask for a pause after
each run starts (`pause=0.4`) and for a crash after N finished runs (`fail_after=2`), so tests
can cancel, kill or fail a job in the middle. Loaded by the worker via QM_JOBS_RUNNER."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from qm_research.runner import ExperimentOutcome, ProgressEvent
from qm_research.runner import run_experiment as real_run_experiment


def _knob(spec: dict[str, Any], name: str) -> float | None:
    description = str(spec.get("experiment", {}).get("description", ""))
    found = re.search(rf"{name}=([0-9.]+)", description)
    return float(found.group(1)) if found else None


def run_experiment(
    spec: dict[str, Any], *, progress: Callable[[ProgressEvent], None], **kwargs: Any
) -> ExperimentOutcome:
    """`qm_research.runner.run_experiment` with the pacing and failure knobs applied."""
    pause, fail_after = _knob(spec, "pause") or 0.0, _knob(spec, "fail_after")

    def paced(event: ProgressEvent) -> None:
        progress(event)
        if event.kind == "run_started":
            time.sleep(pause)
        if fail_after is not None and event.kind.startswith("run_f") and event.done >= fail_after:
            raise RuntimeError(f"injected failure after {event.done} runs")

    return real_run_experiment(spec, progress=paced, **kwargs)
