"""Shared fixtures: a tmp lake with two small synthetic datasets, built once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qm_research.synthetic import write_synthetic_dataset

N_BINS = 2000


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    write_synthetic_dataset(root, "ds_a", n_bins=N_BINS, seed=1)
    write_synthetic_dataset(root, "ds_b", n_bins=N_BINS, seed=2)
    return root


def experiment(**eval_overrides: Any) -> dict[str, Any]:
    """A minimal valid ExperimentSpec dict with short holds for small datasets."""
    ev = {
        "tp_ticks": [4],
        "sl_ticks": [4],
        "cooldown_bins": [10],
        "max_hold_bins": 100,
        "warmup_bins": 100,
        "min_signals": 3,
    }
    ev.update(eval_overrides)
    return {"kind": "experiment", "name": "test_sweep", "serving": "none", "eval": ev}
