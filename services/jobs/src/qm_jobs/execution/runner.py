"""The compute core as the worker sees it: `expand` and `run_experiment` of the research runner.

They are looked up by "module:function" from settings, so the worker needs no import of the
research package at start-up and an operator can point it at another build of the runner.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from qm_research.runner import expand


class Progress(Protocol):
    """What the runner reports (`qm_research.runner.ProgressEvent`)."""

    kind: str
    done: int
    total: int
    run_id: str | None
    payload: dict[str, Any]


def load_callable(target: str) -> Callable[..., Any]:
    """`package.module:function` -> the function."""
    module_name, _, name = target.partition(":")
    if not module_name or not name:
        raise ValueError(f"runner target {target!r} is not 'module:function'")
    found: Callable[..., Any] = getattr(importlib.import_module(module_name), name)
    return found


@dataclass(frozen=True)
class Runner:
    """The two entry points the worker drives."""

    expand: Callable[..., list[Any]]
    run: Callable[..., Any]

    @classmethod
    def load(cls, run: str) -> Runner:
        """The research expander and the configured `run_experiment`."""
        return cls(expand=expand, run=load_callable(run))


def result_fields(result: Any) -> dict[str, Any]:
    """The outcome columns of a runner RunResult."""
    return {
        "status": str(result.status),
        "metrics_json": dict(result.metrics or {}),
        "error": result.error,
        "duration_s": None if result.duration_s is None else float(result.duration_s),
    }


def produced_files(outcome: Any, job_dir: Path) -> list[Path]:
    """Every file the runner reported or left in the job's directory (partial runs included)."""
    found = {p.resolve() for p in job_dir.rglob("*") if p.is_file()} if job_dir.is_dir() else set()
    for path in getattr(outcome, "artifacts", None) or []:
        resolved = Path(path).resolve()
        if resolved.is_file() and resolved.is_relative_to(job_dir.resolve()):
            found.add(resolved)
    return sorted(found)
