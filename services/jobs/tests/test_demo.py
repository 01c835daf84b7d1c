"""The demo seed builds the demo dataset once; a second run finds the same content-addressed id."""

from __future__ import annotations

from pathlib import Path

from qm_engine.dataset import load_dataset
from qm_jobs.demo import seed_demo_dataset
from qm_jobs.settings import JobsSettings

ROOT = Path(__file__).resolve().parents[3]


def test_demo_dataset_is_built_once_and_loadable(tmp_path: Path) -> None:
    settings = JobsSettings(jobs_configs_dir=ROOT / "configs", jobs_lake_dir=tmp_path / "lake")
    first = seed_demo_dataset(settings, tmp_path / "demo")
    again = seed_demo_dataset(settings, tmp_path / "demo")
    assert first == again
    assert (tmp_path / "demo" / "dataset-id").read_text().strip() == first
    dataset = load_dataset(tmp_path / "lake", first)
    assert dataset.table("bins").num_rows == 1200  # 2 minutes of 100 ms bins
