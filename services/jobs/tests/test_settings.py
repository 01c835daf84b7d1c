"""Jobs storage follows QM_VAR_DIR unless a directory is set on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from qm_jobs.settings import JobsSettings


def test_lake_and_artifacts_live_under_the_var_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QM_JOBS_LAKE_DIR", raising=False)
    monkeypatch.delenv("QM_JOBS_ARTIFACTS_DIR", raising=False)
    monkeypatch.setenv("QM_VAR_DIR", "/srv/qm")
    settings = JobsSettings()
    assert settings.jobs_lake_dir == Path("/srv/qm/lake")
    assert settings.jobs_artifacts_dir == Path("/srv/qm/jobs/artifacts")
    monkeypatch.setenv("QM_JOBS_LAKE_DIR", "/data/lake")
    assert JobsSettings().jobs_lake_dir == Path("/data/lake")
    assert JobsSettings(jobs_artifacts_dir=Path("/x")).jobs_artifacts_dir == Path("/x")
